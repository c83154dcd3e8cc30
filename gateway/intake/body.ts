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

function tooLarge(limitName: string): BodyError {
  return new BodyError(413, `the body exceeds ${limitName}`);
}

export function readBody(req: IncomingMessage, limit: number, limitName: string): Promise<Buffer> {
  const encoding = req.headers['content-encoding']?.toLowerCase();
  if (encoding !== undefined && encoding !== 'identity')
    return Promise.reject(new BodyError(415, `Content-Encoding ${encoding} is not accepted: send the body uncompressed`));
  const declared = Number(req.headers['content-length']);
  if (declared > limit) {
    req.resume();
    return Promise.reject(tooLarge(limitName));
  }
  // Inline listeners, not named closures: every alert of a storm comes through here, and under tsx
  // (esbuild's keepNames) each named closure costs a defineProperty per request.
  return new Promise((resolve, reject) => {
    let chunks: Buffer | Buffer[] | undefined;
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      if (size < 0) return; // refused already: the rest is drained unread
      size += chunk.length;
      if (size > limit) {
        size = -1;
        chunks = undefined;
        req.resume(); // drain the rest unread, so the 413 can still be answered on this connection
        reject(tooLarge(limitName));
        return;
      }
      if (chunks === undefined) chunks = chunk;
      else if (Array.isArray(chunks)) chunks.push(chunk);
      else chunks = [chunks, chunk];
    });
    req.on('end', () => {
      if (chunks === undefined) resolve(Buffer.alloc(0));
      else resolve(Array.isArray(chunks) ? Buffer.concat(chunks) : chunks);
    });
    req.on('error', reject);
    req.on('aborted', () => reject(new BodyError(400, 'the request was aborted')));
  });
}
