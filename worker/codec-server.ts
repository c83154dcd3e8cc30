/**
 * The codec endpoint (`tourniquet codec-server`): Temporal's codec-server protocol, so the Temporal
 * CLI (`--codec-endpoint`) and UI can show encrypted payloads to people allowed to see them.
 *
 *   POST …/decode, POST …/encode   body and answer `{"payloads":[{"metadata":{k: base64}, "data": base64}]}`
 *                                  (Payloads as proto3 JSON); only the last path segment counts
 *   OPTIONS                        CORS preflight for the UI's origin (browsers send no credentials on it)
 *
 * Every POST needs `Authorization: Bearer <TOURNIQUET_CODEC_TOKEN>`: whoever can call /decode reads
 * every incident's history in clear. A process of its own, not a gateway route: the gateway faces
 * Slack and alert senders, and this endpoint should be reachable by far fewer.
 */
import type { Payload, PayloadCodec } from '@temporalio/common';
import { createHash, timingSafeEqual } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { z } from 'zod';

export interface CodecServerOptions {
  codec: PayloadCodec;
  /** accepted bearer tokens (several, to rotate); empty refuses every request */
  tokens: readonly string[];
  /** browser origins allowed to call it (the Temporal UI's) */
  origins: readonly string[];
  host: string;
  port: number;
  /** request log: path, status, payload count; never a payload */
  log?: (entry: { path: string; status: number; payloads?: number; error?: string }) => void;
  /** largest request body, bytes */
  maxBody?: number;
}

export interface RunningCodecServer {
  /** the endpoint to give the CLI or UI: `<url>/codec` */
  url: string;
  close(): Promise<void>;
}

const jsonPayload = z.object({ metadata: z.record(z.string(), z.string()).nullish(), data: z.string().nullish() }).passthrough();
const bodySchema = z.object({ payloads: z.array(jsonPayload) });
type JsonPayload = z.infer<typeof jsonPayload>;

const fromJson = (p: JsonPayload): Payload => ({
  metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64')])),
  ...(p.data ? { data: Buffer.from(p.data, 'base64') } : {}),
});
const toJson = (p: Payload) => ({
  metadata: Object.fromEntries(
    Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v ?? new Uint8Array()).toString('base64')]),
  ),
  ...(p.data && p.data.length > 0 ? { data: Buffer.from(p.data).toString('base64') } : {}),
});

const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

async function readJson(req: IncomingMessage, limit: number): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw new HttpError(413, `body over ${limit} bytes`);
    chunks.push(chunk);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new HttpError(400, 'the body is not JSON');
  }
}

export async function startCodecServer(options: CodecServerOptions): Promise<RunningCodecServer> {
  const accepted = options.tokens.map(digest);
  const origins = new Set(options.origins);
  const limit = options.maxBody ?? 16 * 1024 * 1024;
  const authorized = (header: string | undefined) => {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
    if (!m) return false;
    const given = digest(m[1]!);
    // every token compared, in constant time: which one matched (or how nearly) is not observable
    return accepted.reduce((ok, t) => timingSafeEqual(t, given) || ok, false);
  };

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<{ status: number; payloads?: number }> {
    const origin = req.headers.origin;
    if (origin && origins.has(origin)) {
      res.setHeader('Access-Control-Allow-Origin', origin);
      res.setHeader('Access-Control-Allow-Credentials', 'true');
      res.setHeader('Vary', 'Origin');
    }
    if (req.method === 'OPTIONS') {
      res.setHeader('Access-Control-Allow-Methods', 'POST, OPTIONS');
      res.setHeader('Access-Control-Allow-Headers', 'authorization, content-type, x-namespace');
      res.setHeader('Access-Control-Max-Age', '600');
      res.writeHead(204).end();
      return { status: 204 };
    }
    const op = /\/(encode|decode)\/?$/.exec(new URL(req.url ?? '/', 'http://codec').pathname)?.[1];
    if (!op) throw new HttpError(404, 'POST …/decode or …/encode');
    if (req.method !== 'POST') throw new HttpError(405, `${op} takes POST`);
    if (!authorized(req.headers.authorization)) {
      res.setHeader('WWW-Authenticate', 'Bearer');
      throw new HttpError(
        401,
        accepted.length
          ? 'send "Authorization: Bearer <TOURNIQUET_CODEC_TOKEN>"'
          : 'no TOURNIQUET_CODEC_TOKEN is configured: every request is refused',
      );
    }
    const body = bodySchema.safeParse(await readJson(req, limit));
    if (!body.success) throw new HttpError(400, `expected {"payloads":[{"metadata":{…},"data":"…"}]}: ${z.prettifyError(body.error)}`);
    let out: Payload[];
    try {
      const payloads = body.data.payloads.map(fromJson);
      out = op === 'decode' ? await options.codec.decode(payloads) : await options.codec.encode(payloads);
    } catch (err) {
      throw new HttpError(400, `${op} failed: ${(err as Error).message}`);
    }
    const json = JSON.stringify({ payloads: out.map(toJson) });
    res
      .writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(json), 'cache-control': 'no-store' })
      .end(json);
    return { status: 200, payloads: out.length };
  }

  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://codec').pathname;
    handle(req, res).then(
      (r) => options.log?.({ path, ...r }),
      (err: unknown) => {
        const status = err instanceof HttpError ? err.status : 500;
        const message = err instanceof HttpError ? err.message : 'internal error';
        options.log?.({ path, status, error: message });
        if (!res.headersSent) res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify({ error: message }));
        req.resume();
      },
    );
  });
  server.listen(options.port, options.host);
  await Promise.race([
    once(server, 'listening'),
    once(server, 'error').then(([err]) => {
      throw new Error(`codec server cannot listen on ${options.host}:${options.port}: ${(err as Error).message}`);
    }),
  ]);
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${options.host}:${port}/codec`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}
