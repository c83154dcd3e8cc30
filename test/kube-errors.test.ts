/** How Kubernetes API failures reach Temporal: final (fail the step) or worth a retry. */
import { ApiException } from '@kubernetes/client-node';
import { ApplicationFailure } from '@temporalio/common';
import { describe, expect, it } from 'vitest';
import { classifyKubeError } from '../activities/kubernetes/errors';
import { FAILURE_TYPES } from '../workflows/failure-types';

const status = (code: number, message: string) =>
  new ApiException(code, 'failed', JSON.stringify({ kind: 'Status', status: 'Failure', message, code }), {});

describe('classifyKubeError', () => {
  it.each([400, 403, 404, 422])("%i fails the step at once, with the API server's message", (code) => {
    const failure = classifyKubeError(status(code, `pods "x" says ${code}`), 'reading pod ns/x') as ApplicationFailure;
    expect(failure).toBeInstanceOf(ApplicationFailure);
    expect(failure).toMatchObject({ nonRetryable: true, type: FAILURE_TYPES.KubernetesRejected });
    expect(failure.message).toMatch(new RegExp(`^Kubernetes refused reading pod ns/x: ${code} pods "x" says ${code}`));
  });

  it('says which permission to check on 403', () => {
    expect(classifyKubeError(status(403, 'forbidden'), 'x').message).toMatch(/deploy\/kubernetes/);
  });

  it.each([409, 429, 500, 503, 504])('%i is retried with backoff', (code) => {
    const failure = classifyKubeError(status(code, 'try again'), 'patching pod ns/x') as ApplicationFailure;
    expect(failure).toMatchObject({ nonRetryable: false, type: FAILURE_TYPES.KubernetesUnavailable });
    expect(failure.message).toBe(`Kubernetes patching pod ns/x failed: ${code} try again`);
  });

  it('retries network errors, and passes classified failures through', () => {
    expect(classifyKubeError(new Error('connect ECONNREFUSED'), 'x')).toMatchObject({
      nonRetryable: false,
      type: FAILURE_TYPES.KubernetesUnavailable,
    });
    const own = ApplicationFailure.nonRetryable('mine', FAILURE_TYPES.AlreadyQuarantined);
    expect(classifyKubeError(own, 'x')).toBe(own);
  });
});
