/**
 * Which failures are Temporal's (answered 503 with Retry-After: the sender retries) and which are
 * the content's (answered 4xx: a retry can never succeed). Only these count as unavailable; the
 * router answers anything else 400, so no malformed alert invites a retry storm.
 */
import { ServiceError } from '@temporalio/client';

export class TemporalUnavailableError extends Error {
  override name = 'TemporalUnavailableError';
}

/** gRPC INVALID_ARGUMENT: Temporal refused what was sent (too large a payload, say), not a failure to reach it. */
const INVALID_ARGUMENT = 3;

function grpcCode(err: unknown): number | undefined {
  for (let e: unknown = err, i = 0; e && typeof e === 'object' && i < 5; e = (e as { cause?: unknown }).cause, i++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'number') return code;
  }
  return undefined;
}

export function isTemporalUnavailable(err: unknown): boolean {
  if (err instanceof TemporalUnavailableError) return true;
  const code = grpcCode(err);
  if (err instanceof ServiceError) return code !== INVALID_ARGUMENT;
  return code !== undefined && code !== INVALID_ARGUMENT;
}
