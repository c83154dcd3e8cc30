/**
 * Reading an alert's body: raw bytes (GitHub signs them), bounded by TOURNIQUET_INTAKE_MAX_BODY,
 * refused early when Content-Length already says too much. Deliberately lean (no inflate, no
 * charset conversion): it is on the path every alert of a storm takes.
 */
import type { IncomingMessage } from 'node:http';

export class BodyError extends Error {
  constructor(
    readonly status: 413 | 415 | 400,
    message: string,
  ) {
    super(message);
    this.name = 'BodyError';
  }
}

const UNITS: Record<string, number> = { b: 1, kb: 1024, mb: 1024 * 1024 };

/** "1mb", "512kb", "65536" → bytes */
export function parseSize(size: string): number {
  const m = /^(\d+)(b|kb|mb)?$/i.exec(size.trim());
  if (!m) throw new Error(`not a size: ${size}`);
  return Number(m[1]) * UNITS[(m[2] ?? 'b').toLowerCase()]!;
}

const JSON_TYPE = /^application\/([a-z0-9.+-]*\+)?json\s*(;|$)/i;

/** Senders must say the body is JSON: a form or text body is refused (415), never parsed as JSON by guess. */
export function checkContentType(contentType: string | undefined): void {
  if (contentType && JSON_TYPE.test(contentType.trim())) return;
  const given = contentType ? `Content-Type ${contentType.slice(0, 100)} is not accepted` : 'the request has no Content-Type';
  throw new BodyError(415, `${given}: send the alert as application/json (GitHub webhooks: content type application/json)`);
}

/** Deeper than this is no alert any sender sends (Alertmanager's are 4 deep, GitHub's 5). */
export const MAX_JSON_DEPTH = 32;

/**
 * The body as JSON, refused with 400 when it is not JSON or nests deeper than MAX_JSON_DEPTH (what
 * would later make JSON.stringify or the redactor overflow the stack). Iterative: the check cannot
 * overflow either.
 */
export function parseJson(raw: Buffer, maxDepth = MAX_JSON_DEPTH): unknown {
  if (raw.length === 0) throw new BodyError(400, 'the body is empty');
  let json: unknown;
  try {
    json = JSON.parse(raw.toString('utf8'));
  } catch (err) {
    throw new BodyError(400, `the body is not JSON: ${(err as Error).message}`);
  }
  if (json === null || typeof json !== 'object' || !nestsTooDeep(json, 0, maxDepth)) return json;
  // too deep: find where, for the answer (the walk below keeps no path on the way down)
  const stack: [unknown, number, string][] = [[json, 0, '']];
  while (stack.length > 0) {
    const [value, depth, path] = stack.pop()!;
    if (value === null || typeof value !== 'object') continue;
    if (depth >= maxDepth) throw new BodyError(400, `the body nests deeper than ${maxDepth} levels (at ${path.slice(0, 200) || '(body)'})`);
    for (const [key, child] of Object.entries(value)) {
      if (child !== null && typeof child === 'object')
        stack.push([child, depth + 1, path ? `${path}.${key.slice(0, 40)}` : key.slice(0, 40)]);
    }
  }
  return json;
}

/**
 * Whether an object or array sits `max` levels deep or more. No allocation (a storm's every alert is
 * checked); recursion is bounded by `max`, so it cannot overflow the stack.
 */
function nestsTooDeep(value: object, depth: number, max: number): boolean {
  if (depth >= max) return true;
  if (Array.isArray(value)) {
    for (const child of value as unknown[])
      if (child !== null && typeof child === 'object' && nestsTooDeep(child, depth + 1, max)) return true;
    return false;
  }
  for (const key in value) {
    const child = (value as Record<string, unknown>)[key];
    if (child !== null && typeof child === 'object' && nestsTooDeep(child, depth + 1, max)) return true;
  }
  return false;
}

function tooLarge(limitName: string): BodyError {
  return new BodyError(413, `the body exceeds ${limitName}`);
}

/**
 * Reads the body, then calls `done` once: with the bytes, or with a BodyError. A callback, not a
 * promise: every alert of a storm comes through here, and with async hooks on (Temporal's client
 * uses AsyncLocalStorage) each promise costs. Inline listeners, not named closures: under tsx
 * (esbuild's keepNames) each named closure costs a defineProperty per request.
 */
export function readBody(
  req: IncomingMessage,
  limit: number,
  limitName: string,
  done: (err: Error | undefined, raw?: Buffer) => void,
): void {
  const encoding = req.headers['content-encoding']?.toLowerCase();
  if (encoding !== undefined && encoding !== 'identity')
    return done(new BodyError(415, `Content-Encoding ${encoding} is not accepted: send the body uncompressed`));
  const declared = Number(req.headers['content-length']);
  if (declared > limit) {
    req.resume();
    return done(tooLarge(limitName));
  }
  let chunks: Buffer | Buffer[] | undefined;
  let size = 0; // -1 once answered
  req.on('data', (chunk: Buffer) => {
    if (size < 0) return; // refused already: the rest is drained unread
    size += chunk.length;
    if (size > limit) {
      size = -1;
      chunks = undefined;
      req.resume(); // drain the rest unread, so the 413 can still be answered on this connection
      done(tooLarge(limitName));
      return;
    }
    if (chunks === undefined) chunks = chunk;
    else if (Array.isArray(chunks)) chunks.push(chunk);
    else chunks = [chunks, chunk];
  });
  req.on('end', () => {
    if (size < 0) return;
    size = -1;
    done(undefined, chunks === undefined ? Buffer.alloc(0) : Array.isArray(chunks) ? Buffer.concat(chunks) : chunks);
  });
  req.on('error', (err) => {
    if (size < 0) return;
    size = -1;
    done(err);
  });
  req.on('aborted', () => {
    if (size < 0) return;
    size = -1;
    done(new BodyError(400, 'the request was aborted'));
  });
}
