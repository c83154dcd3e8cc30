/**
 * S3 evidence-store failures as Temporal sees them. The SDK has already retried throttling and
 * transient errors in its retry mode; what is left is retried by Temporal when waiting can help (an
 * unreachable endpoint, 5xx, throttling, a concurrent conditional write), and is final when it
 * cannot (no such bucket, access denied, bad credentials), so a misconfigured store fails the step
 * at once with a message that says what to fix, instead of retrying for the activity's lifetime.
 */
import { ApplicationFailure } from '@temporalio/common';
import { FAILURE_TYPES } from '../../workflows/failure-types';

const THROTTLED = new Set(['SlowDown', 'Throttling', 'ThrottlingException', 'RequestLimitExceeded', 'TooManyRequestsException']);
/** refusals no retry fixes; each named for what to check */
const CONFIGURATION = new Set([
  'AccessDenied',
  'InvalidAccessKeyId',
  'SignatureDoesNotMatch',
  'ExpiredToken',
  'InvalidToken',
  'NoSuchBucket',
  'InvalidBucketName',
  'AuthorizationHeaderMalformed',
  'PermanentRedirect',
]);

interface S3ErrorLike {
  name: string;
  message: string;
  $metadata?: { httpStatusCode?: number };
  $retryable?: { throttling?: boolean };
}

const isS3Error = (err: unknown): err is S3ErrorLike =>
  err instanceof Error && typeof (err as { $metadata?: unknown }).$metadata === 'object';

export const s3ErrorName = (err: unknown): string | undefined => (err instanceof Error ? err.name : undefined);
export const s3Status = (err: unknown): number | undefined => (isS3Error(err) ? err.$metadata?.httpStatusCode : undefined);

/** `what` says the call ("storing evidence://… in s3://bucket/"), `permission` the IAM action it needs. */
export function classifyS3Error(err: unknown, what: string, permission: string): Error {
  if (err instanceof ApplicationFailure) return err;
  const name = s3ErrorName(err) ?? 'Error';
  const message = (err instanceof Error ? err.message : String(err)).split('\n')[0]!;
  if (name === 'CredentialsProviderError') {
    return ApplicationFailure.nonRetryable(
      `evidence store: no S3 credentials for ${what} (${message}); give the worker AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY or an IAM role`,
      FAILURE_TYPES.EvidenceStoreRejected,
    );
  }
  if (!isS3Error(err))
    return ApplicationFailure.retryable(`evidence store unreachable ${what}: ${message}`, FAILURE_TYPES.EvidenceStoreUnavailable);
  if (THROTTLED.has(name) || err.$retryable?.throttling) {
    return ApplicationFailure.create({
      message: `evidence store throttled ${what} (${name}) after the SDK's own retries`,
      type: FAILURE_TYPES.EvidenceStoreUnavailable,
      nextRetryDelay: '10s',
    });
  }
  const status = err.$metadata?.httpStatusCode;
  if (CONFIGURATION.has(name)) {
    const hint = name === 'NoSuchBucket' ? 'check TOURNIQUET_EVIDENCE_S3_BUCKET and the endpoint' : `the identity needs ${permission}`;
    return ApplicationFailure.nonRetryable(
      `evidence store refused ${what}: ${name} (${hint}): ${message}`,
      FAILURE_TYPES.EvidenceStoreRejected,
    );
  }
  // 409: another conditional write to the same key is in flight; the retry finds the object there.
  if (status === undefined || status >= 500 || status === 409) {
    return ApplicationFailure.retryable(
      `evidence store failed ${what}: ${status ?? 'no response'} ${name}: ${message}`,
      FAILURE_TYPES.EvidenceStoreUnavailable,
    );
  }
  return ApplicationFailure.nonRetryable(
    `evidence store refused ${what}: ${status} ${name}: ${message}`,
    FAILURE_TYPES.EvidenceStoreRejected,
  );
}
