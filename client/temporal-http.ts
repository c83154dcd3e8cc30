/**
 * Temporal's HTTP API (the server's grpc-gateway, `/api/v1/...`) for the few calls a short-lived
 * command makes: describe, query, update, signal. Over node:http, it spares a `tourniquet status`
 * loading gRPC, protobuf and the SDK client (most of a call's start-up); `fetch` is not used, as
 * loading undici alone costs more than the call.
 *
 * Payloads travel as the SDK's default converter writes them (json/plain, binary/null), through the
 * same payload codec (encryption) when payload keys are configured. Responses are asked for in
 * canonical protobuf JSON (`application/json+no-payload-shorthand`): every payload with its
 * metadata, so that an encrypted or non-JSON one is never mistaken for a value.
 *
 * Anything that is not an answer from Temporal (nothing listening, TLS refused, another server on
 * the port) is a TemporalHttpUnavailable: the caller then uses gRPC instead, before anything was sent.
 */
import type { Agent as HttpAgent, IncomingMessage } from 'node:http';
import { hostname } from 'node:os';

/** gRPC status codes the callers tell apart */
export const GRPC = {
  CANCELLED: 1,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  RESOURCE_EXHAUSTED: 8,
  UNAVAILABLE: 14,
} as const;
/** what the SDK's connection retries: UNKNOWN, RESOURCE_EXHAUSTED, ABORTED, OUT_OF_RANGE, UNAVAILABLE, DATA_LOSS */
const RETRYABLE = new Set([2, 8, 10, 11, 14, 15]);
const MAX_ATTEMPTS = 10;

export interface JsonPayload {
  metadata?: Record<string, string>;
  data?: string;
}

/** What Tourniquet's payload codec does (worker/payload-codec.ts EncryptionCodec), on the SDK's Payload shape. */
export interface PayloadCodecLike {
  encode(payloads: Array<{ metadata?: Record<string, Uint8Array> | null; data?: Uint8Array | null }>): Promise<unknown[]>;
  decode(payloads: Array<{ metadata?: Record<string, Uint8Array> | null; data?: Uint8Array | null }>): Promise<unknown[]>;
}

export interface TemporalHttpSettings {
  /** host:port */
  address: string;
  namespace: string;
  tls?: { ca?: Buffer; cert?: Buffer; key?: Buffer; servername?: string };
  apiKey?: string;
  codec?: PayloadCodecLike;
}

/** No Temporal answered at this address: use gRPC. */
export class TemporalHttpUnavailable extends Error {
  override name = 'TemporalHttpUnavailable';
}

/** Temporal answered with an error: its gRPC status code and message, as the SDK would have received them. */
export class TemporalHttpError extends Error {
  override name = 'TemporalHttpError';
  constructor(
    readonly code: number,
    message: string,
    /** the error details' types, e.g. temporal.api.errordetails.v1.NotFoundFailure */
    readonly detailTypes: string[] = [],
  ) {
    super(message);
  }
}

const ENCODING = 'encoding';

export class TemporalHttp {
  readonly #settings: TemporalHttpSettings;
  #agent: HttpAgent | undefined;
  /** identity as the SDK client gives it (pid@host), recorded with updates and signals */
  readonly identity = `${process.pid}@${hostname()}`;

  constructor(settings: TemporalHttpSettings) {
    this.#settings = settings;
  }

  get namespace(): string {
    return this.#settings.namespace;
  }

  /** Frees the kept-alive connection so the process can exit. */
  close(): void {
    this.#agent?.destroy();
  }

  workflowPath(workflowId: string, rest = ''): string {
    return `/api/v1/namespaces/${encodeURIComponent(this.#settings.namespace)}/workflows/${encodeURIComponent(workflowId)}${rest}`;
  }

  /**
   * One call; `deadline` (epoch ms) ends it as DEADLINE_EXCEEDED, as a gRPC deadline would. Retried
   * as the SDK's connection retries (its grpc-retry defaults): a busy server (RESOURCE_EXHAUSTED,
   * e.g. a workflow's one buffered query while no worker runs) or a passing failure, with backoff,
   * until the deadline.
   */
  async call<T>(method: 'GET' | 'POST', path: string, body: unknown, deadline: number): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.#once<T>(method, path, body, deadline);
      } catch (err) {
        if (!(err instanceof TemporalHttpError) || !RETRYABLE.has(err.code) || attempt >= MAX_ATTEMPTS) throw err;
        const initialMs = err.code === GRPC.RESOURCE_EXHAUSTED ? 1_000 : 100;
        const delayMs = Math.min(5_000, 1.7 ** attempt * initialMs) * (0.8 + Math.random() * 0.4);
        if (Date.now() + delayMs >= deadline) {
          await new Promise((r) => setTimeout(r, Math.max(0, deadline - Date.now())));
          throw new TemporalHttpError(GRPC.DEADLINE_EXCEEDED, 'context deadline exceeded');
        }
        await new Promise((r) => setTimeout(r, delayMs));
      }
    }
  }

  async #once<T>(method: 'GET' | 'POST', path: string, body: unknown, deadline: number): Promise<T> {
    const { address, tls, apiKey } = this.#settings;
    const secure = Boolean(tls || apiKey);
    // Only the transport in use is loaded: https (TLS) costs a few ms more to load.
    const transport = secure ? await import('node:https') : await import('node:http');
    this.#agent ??= new transport.Agent({ keepAlive: true, ...(secure ? tls : {}) });
    const colon = address.lastIndexOf(':');
    const host = address.slice(0, colon).replace(/^\[(.*)\]$/, '$1');
    const text = body === undefined ? undefined : JSON.stringify(body);
    const remainingMs = Math.max(1, deadline - Date.now());
    const headers: Record<string, string> = {
      accept: 'application/json+no-payload-shorthand',
      // the gRPC deadline, which the gateway passes on to the server
      'grpc-timeout': `${remainingMs}m`,
      ...(text !== undefined ? { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(text)) } : {}),
      ...(apiKey ? { authorization: `Bearer ${apiKey}` } : {}),
    };
    return new Promise<T>((resolve, reject) => {
      let settled = false;
      const done = (fn: () => void) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        fn();
      };
      const req = transport.request(
        { host, port: Number(address.slice(colon + 1)), method, path, headers, agent: this.#agent as never },
        (res: IncomingMessage) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('error', (err) => done(() => reject(new TemporalHttpError(GRPC.UNAVAILABLE, err.message))));
          res.on('end', () => done(() => settle(res.statusCode ?? 0, Buffer.concat(chunks).toString('utf8'), resolve, reject)));
        },
      );
      const timer = setTimeout(() => {
        done(() => reject(new TemporalHttpError(GRPC.DEADLINE_EXCEEDED, 'context deadline exceeded')));
        req.destroy();
      }, remainingMs);
      req.on('error', (err: NodeJS.ErrnoException) =>
        done(() =>
          reject(
            notConnected(err)
              ? new TemporalHttpUnavailable(`Temporal's HTTP API at ${address}: ${err.code ?? err.message}`)
              : // sent, perhaps taken, and no answer: the server went away mid-call, as gRPC's UNAVAILABLE says
                new TemporalHttpError(GRPC.UNAVAILABLE, err.message),
          ),
        ),
      );
      req.end(text);
    });
  }

  /** Values → payloads as the SDK's default converter writes them, then through the codec. */
  async toPayloads(values: unknown[]): Promise<JsonPayload[]> {
    const raw = values.map((v) =>
      v === undefined
        ? { metadata: { [ENCODING]: new Uint8Array(Buffer.from('binary/null')) }, data: new Uint8Array() }
        : { metadata: { [ENCODING]: new Uint8Array(Buffer.from('json/plain')) }, data: new Uint8Array(Buffer.from(JSON.stringify(v))) },
    );
    const encoded = this.#settings.codec ? ((await this.#settings.codec.encode(raw)) as typeof raw) : raw;
    return encoded.map((p) => ({
      metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v).toString('base64')])),
      data: Buffer.from(p.data ?? new Uint8Array()).toString('base64'),
    }));
  }

  /** A payload → its value: the codec, then the default converter's json/plain and binary/null. */
  async fromPayload(payload: JsonPayload | undefined): Promise<unknown> {
    if (!payload) return undefined;
    let p = {
      metadata: Object.fromEntries(Object.entries(payload.metadata ?? {}).map(([k, v]) => [k, new Uint8Array(Buffer.from(v, 'base64'))])),
      data: new Uint8Array(Buffer.from(payload.data ?? '', 'base64')),
    } as { metadata?: Record<string, Uint8Array> | null; data?: Uint8Array | null };
    if (this.#settings.codec) p = ((await this.#settings.codec.decode([p])) as [typeof p])[0];
    // the SDK's default payload converter's words, for a payload it cannot read either
    if (!p.metadata) throw new Error('Missing payload metadata');
    const encoding = Buffer.from(p.metadata[ENCODING] ?? new Uint8Array()).toString('utf8');
    if (encoding === 'binary/null') return undefined;
    if (encoding === 'json/plain') return JSON.parse(Buffer.from(p.data ?? new Uint8Array()).toString('utf8'));
    throw new Error(`Unknown encoding: ${encoding}`);
  }
}

/** Errors before anything was sent: nothing listening there, no such host, TLS refused. */
function notConnected(err: NodeJS.ErrnoException): boolean {
  return (
    ['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL'].includes(err.code ?? '') ||
    /^(ERR_TLS|ERR_SSL)|CERT|SELF_SIGNED|UNABLE_TO/.test(err.code ?? '')
  );
}

/** A 2xx body is the answer; an error body is Temporal's (code, message, details); anything else is not Temporal. */
function settle<T>(status: number, text: string, resolve: (v: T) => void, reject: (e: Error) => void): void {
  let body: unknown;
  try {
    body = text ? JSON.parse(text) : {};
  } catch {
    reject(new TemporalHttpUnavailable(`Temporal's HTTP API answered HTTP ${status} without JSON`));
    return;
  }
  if (status >= 200 && status < 300) {
    resolve(body as T);
    return;
  }
  const e = body as { code?: unknown; message?: unknown; details?: Array<{ '@type'?: string }> };
  if (typeof e?.code !== 'number' || typeof e.message !== 'string') {
    reject(new TemporalHttpUnavailable(`HTTP ${status} is not an answer from Temporal's HTTP API`));
    return;
  }
  const types = (e.details ?? []).map((d) => (d['@type'] ?? '').replace(/^type\.googleapis\.com\//, ''));
  reject(new TemporalHttpError(e.code, e.message, types));
}
