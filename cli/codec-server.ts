/** `tourniquet codec-server`: decodes encrypted payloads for the Temporal CLI and UI (worker/codec-server.ts). */
import { Command } from 'commander';

export class CodecServerRefusal extends Error {}

export function codecServerCommand(): Command {
  return new Command('codec-server')
    .description(
      'serve the payload codec (POST /codec/decode, /codec/encode) for the Temporal CLI and UI; needs TOURNIQUET_PAYLOAD_KEY and TOURNIQUET_CODEC_TOKEN',
    )
    .option('--host <host>', 'listen address (TOURNIQUET_CODEC_HOST, default 127.0.0.1)')
    .option('--port <port>', 'port (TOURNIQUET_CODEC_PORT, default 8888; 0 picks one)', (v) => Number.parseInt(v, 10))
    .action(async (opts: { host?: string; port?: number }) => {
      // Loaded here: no other command needs the HTTP server or the logger.
      const [{ loadConfig }, { createLogger }, { EncryptionCodec }, { startCodecServer }] = await Promise.all([
        import('../worker/config'),
        import('../worker/logger'),
        import('../worker/payload-codec'),
        import('../worker/codec-server'),
      ]);
      const config = loadConfig();
      if (!config.payloadKeys)
        throw new CodecServerRefusal(
          'TOURNIQUET_PAYLOAD_KEY (or TOURNIQUET_PAYLOAD_KEY_FILE) is not set: payloads are plain and there is nothing to decode',
        );
      if (config.codecServer.tokens.length === 0) {
        throw new CodecServerRefusal(
          'TOURNIQUET_CODEC_TOKEN is not set: the codec server decrypts every history, so it answers only requests that bring this token',
        );
      }
      const logger = createLogger(config.logLevel, 'tourniquet-codec');
      const server = await startCodecServer({
        codec: new EncryptionCodec(config.payloadKeys),
        tokens: config.codecServer.tokens,
        origins: config.codecServer.origins,
        host: opts.host ?? config.codecServer.host,
        port: opts.port ?? config.codecServer.port,
        log: (entry) => logger[entry.status >= 400 ? 'warn' : 'info'](entry, 'codec request'),
      });
      logger.info(
        { url: server.url, origins: config.codecServer.origins, keys: config.payloadKeys.ids, current: config.payloadKeys.currentId },
        'codec server listening',
      );
      console.log(`codec endpoint ${server.url}`);
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
      await server.close();
    });
}
