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

export function readBody(req: IncomingMessage, limit: number, limitName: string): Promise<Buffer> {
  const encoding = (req.headers['content-encoding'] ?? 'identity').toLowerCase();
  if (encoding !== 'identity') return Promise.reject(new BodyError(415, `Content-Encoding ${encoding} is not accepted: send the body uncompressed`));
  const declared = Number(req.headers['content-length']);
  const tooLarge = () => new BodyError(413, `the body exceeds ${limitName}`);
  if (declared > limit) {
    req.resume();
    return Promise.reject(tooLarge());
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        req.off('data', onData);
        req.resume(); // drain the rest unread, so the 413 can still be answered on this connection
        reject(tooLarge());
        return;
      }
      chunks.push(chunk);
    };
    req.on('data', onData);
    req.once('end', () => resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)));
    req.once('error', reject);
    req.once('aborted', () => reject(new BodyError(400, 'the request was aborted')));
  });
}
