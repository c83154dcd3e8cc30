/**
 * Kubernetes failures as Temporal sees them. What a retry cannot fix (400 bad request, 403 RBAC,
 * 404 gone, 422 invalid or refused by the worker guard's admission policies) fails the step at
 * once with the API server's own message; 409 conflicts, 429 and 5xx (and network errors) are
 * retried with the workflow's backoff.
 */
import { ApplicationFailure } from '@temporalio/common';
import { ApiException } from '@kubernetes/client-node';
import { FAILURE_TYPES } from '../../workflows/failure-types';

const FINAL = new Set([400, 401, 403, 404, 405, 410, 422]);

/** The Status object's `message`, which says what was wrong (e.g. pods "x" not found). */
function apiMessage(err: ApiException<unknown>): string {
  const body = err.body;
  if (typeof body === 'string') {
    try {
      const parsed = JSON.parse(body) as { message?: unknown };
      if (typeof parsed.message === 'string') return parsed.message;
    } catch {
      return body.slice(0, 300);
    }
  }
  if (body && typeof body === 'object' && typeof (body as { message?: unknown }).message === 'string') {
    return (body as { message: string }).message;
  }
  return err.message.split('\n')[0] ?? '';
}

export function codeOf(err: unknown): number | undefined {
  return err instanceof ApiException ? err.code : undefined;
}

export function classifyKubeError(err: unknown, what: string): Error {
  if (err instanceof ApplicationFailure) return err;
  if (!(err instanceof ApiException)) {
    const message = err instanceof Error ? err.message : String(err);
    return ApplicationFailure.retryable(`Kubernetes ${what} failed: ${message}`, FAILURE_TYPES.KubernetesUnavailable);
  }
  const code = err.code;
  const message = apiMessage(err);
  if (FINAL.has(code)) {
    const hint = code === 403 ? ' (check the worker has the RBAC in deploy/kubernetes/)' : '';
    return ApplicationFailure.nonRetryable(`Kubernetes refused ${what}: ${code} ${message}${hint}`, FAILURE_TYPES.KubernetesRejected);
  }
  return ApplicationFailure.retryable(`Kubernetes ${what} failed: ${code} ${message}`, FAILURE_TYPES.KubernetesUnavailable);
}

/** Runs a Kubernetes call, turning its failures into classified ones. */
export async function kubeCall<T>(what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    throw classifyKubeError(err, what);
  }
}
