/**
 * Telling "the engine did not answer" apart from every other failure, so people are told that no
 * worker is running instead of being shown gRPC text.
 *
 * The SDK wraps a query's gRPC failure in a ServiceError ("Failed to query Workflow") whose `cause`
 * carries the code: DEADLINE_EXCEEDED both when our own deadline passes and when the server gives
 * up waiting for a worker ("query timed out before a worker could process it", after ~30 s).
 */
import { ServiceError, WorkflowUpdateRPCTimeoutOrCancelledError } from '@temporalio/client';
import { engineUnavailable } from './engine-unavailable';

export { EngineUnavailableError } from './engine-unavailable';

/** gRPC codes meaning "no answer": CANCELLED, DEADLINE_EXCEEDED, UNAVAILABLE */
const NO_ANSWER_CODES = new Set([1, 4, 14]);

/** The engine did not answer in time (no worker, or a slow one, or no server): not a refusal, and not a success. */
export function isTimeout(err: unknown): boolean {
  if (err instanceof WorkflowUpdateRPCTimeoutOrCancelledError) return true;
  if (NO_ANSWER_CODES.has((err as { code?: number })?.code as number)) return true;
  return err instanceof ServiceError && NO_ANSWER_CODES.has((err.cause as { code?: number } | undefined)?.code as number);
}

/** Whether Temporal itself is unreachable (as opposed to reachable with no worker on the queue). */
function serverUnreachable(err: unknown): boolean {
  const code = (err as { code?: number })?.code ?? (err as { cause?: { code?: number } })?.cause?.code;
  return code === 14;
}

/** Runs a query, turning "nobody answered" into an EngineUnavailableError that says what to do. */
export async function answeredQuery<T>(incidentId: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    if (!isTimeout(err)) throw err;
    throw engineUnavailable(incidentId, serverUnreachable(err), err);
  }
}
