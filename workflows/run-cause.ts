/**
 * What a FAILED run's cause is compared by, so the gateway can tell whether another run would
 * fail the same way: the playbook and its params exactly as the workflow parsed them. Pure, so
 * the workflow (which records it in its memo when it fails) and the gateway (which compares a new
 * alert's request with it) compute the same digest.
 */
import { canonicalJson, sha256Hex } from './canonical';

/** the memo field a FAILED run records (see alert-lifecycle.ts) */
export const CAUSE_MEMO = 'cause';

export interface RunCause {
  /** the failure's type (ApplicationFailure type), when it had one */
  type?: string;
  /** the failure's message, clipped */
  message: string;
  /** requestDigest of the run's playbook and params */
  request: string;
}

export function requestDigest(playbook: string, params: unknown): string {
  return sha256Hex(canonicalJson({ playbook, params })).slice(0, 32);
}
