/**
 * `status`, `approve` and `deny` over Temporal's HTTP API when one is configured or the embedded
 * dev server's (worker/config.ts temporalHttpAddress): no gRPC client, protobuf or SDK client to
 * load, most of such a call's start-up. The same client code decides (client/decisions.ts) with the
 * same settings as the gRPC connection: TLS (https, the same CA, client certificate and server
 * name), the API key (as a bearer token), the payload codec. When nothing answers there, the
 * command runs over gRPC as without it; nothing was sent.
 */
import { readFileSync } from 'node:fs';
import type { Config } from '../worker/config';
import type { TemporalHttp, TemporalHttpSettings } from '../client/temporal-http';
import { phase } from './phases';

function settingsFor(config: Config, address: string): TemporalHttpSettings {
  const tls = config.temporal.tls;
  return {
    address,
    namespace: config.temporal.namespace,
    ...(tls
      ? {
          tls: {
            ...(tls.caPath ? { ca: readFileSync(tls.caPath) } : {}),
            ...(tls.certPath && tls.keyPath ? { cert: readFileSync(tls.certPath), key: readFileSync(tls.keyPath) } : {}),
            ...(tls.serverName ? { servername: tls.serverName } : {}),
          },
        }
      : {}),
    ...(config.temporal.apiKey ? { apiKey: config.temporal.apiKey } : {}),
  };
}

/**
 * Runs `fn` over the HTTP API and returns true; false when there is none, or nothing answered
 * before anything was sent: the caller then runs the command over gRPC.
 */
export async function overHttp(fn: (http: TemporalHttp, config: Config) => Promise<void>): Promise<boolean> {
  const [{ loadConfig, temporalHttpAddress }, { TemporalHttp, TemporalHttpUnavailable }] = await Promise.all([
    import('../worker/config'),
    import('../client/temporal-http'),
  ]);
  const config = loadConfig();
  const address = temporalHttpAddress(config);
  if (!address) return false;
  const settings = settingsFor(config, address);
  if (config.payloadKeys) {
    // Encrypted payloads: the same codec as every Temporal connection of Tourniquet (worker/temporal-connection.ts).
    const { EncryptionCodec } = await import('../worker/payload-codec');
    settings.codec = new EncryptionCodec(config.payloadKeys) as unknown as TemporalHttpSettings['codec'];
  }
  phase('modules loaded (HTTP)');
  const http = new TemporalHttp(settings);
  try {
    await fn(http, config);
    return true;
  } catch (err) {
    if (err instanceof TemporalHttpUnavailable) return false;
    throw err;
  } finally {
    phase('command done');
    http.close();
  }
}
