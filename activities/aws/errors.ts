/**
 * AWS failures as Temporal sees them. The SDK has already retried throttling and transient errors
 * in its retry mode (standard by default: AWS_RETRY_MODE, AWS_MAX_ATTEMPTS); what is still
 * throttled is retried by Temporal after a pause, 5xx and network errors with the workflow's backoff.
 * AccessDenied is final and names the IAM permission Tourniquet's identity lacks. Messages are
 * scrubbed of the leaked values (AWS echoes access key ids in its messages).
 */
import { ApplicationFailure } from '@temporalio/common';
import { FAILURE_TYPES } from '../../workflows/failure-types';
import { redactText } from '../evidence';

const ACCESS_DENIED = new Set(['AccessDenied', 'AccessDeniedException', 'UnauthorizedOperation', 'UnauthorizedAccess']);
const THROTTLED = new Set([
  'Throttling',
  'ThrottlingException',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'RequestThrottled',
  'RequestThrottledException',
  'SlowDown',
]);
/** Tourniquet's own credentials are missing, wrong or expired: a retry will not fix it. */
const OWN_CREDENTIALS = new Set([
  'InvalidClientTokenId',
  'SignatureDoesNotMatch',
  'ExpiredToken',
  'ExpiredTokenException',
  'UnrecognizedClientException',
  'IncompleteSignature',
]);

interface AwsErrorLike {
  name: string;
  message: string;
  $metadata?: { httpStatusCode?: number };
  $retryable?: { throttling?: boolean };
}

const isAwsError = (err: unknown): err is AwsErrorLike =>
  err instanceof Error && typeof (err as { $metadata?: unknown }).$metadata === 'object';

export const awsErrorName = (err: unknown): string | undefined => (err instanceof Error ? err.name : undefined);

/** `what` says the call ("UpdateAccessKey of alice"), `permission` the IAM action it needs ("iam:UpdateAccessKey"). */
export function classifyAwsError(err: unknown, what: string, permission: string, known: readonly string[] = []): Error {
  if (err instanceof ApplicationFailure) return err;
  const scrub = (text: string) => redactText(text, { known }).value;
  const name = awsErrorName(err) ?? 'Error';
  const message = scrub((err instanceof Error ? err.message : String(err)).split('\n')[0]!);
  if (name === 'CredentialsProviderError') {
    return ApplicationFailure.nonRetryable(
      `AWS ${what}: no credentials for Tourniquet's own identity (${message}); give the worker an IAM role or AWS_* credentials (docs/playbooks/revoke-leaked-key.md)`,
      FAILURE_TYPES.AwsNotConfigured,
    );
  }
  if (!isAwsError(err)) return ApplicationFailure.retryable(`AWS ${what} failed: ${message}`, FAILURE_TYPES.AwsUnavailable);
  if (ACCESS_DENIED.has(name)) {
    return ApplicationFailure.nonRetryable(
      `AWS denied ${what}: Tourniquet's identity needs ${permission} (see deploy/aws/tourniquet-iam-policy.json): ${message}`,
      FAILURE_TYPES.AwsAccessDenied,
    );
  }
  if (THROTTLED.has(name) || err.$retryable?.throttling) {
    return ApplicationFailure.create({
      message: `AWS throttled ${what} (${name}) after the SDK's own retries`,
      type: FAILURE_TYPES.AwsThrottled,
      nextRetryDelay: '10s',
    });
  }
  const status = err.$metadata?.httpStatusCode;
  if (OWN_CREDENTIALS.has(name)) {
    return ApplicationFailure.nonRetryable(
      `AWS refused Tourniquet's own credentials for ${what}: ${name}: ${message}`,
      FAILURE_TYPES.AwsRejected,
    );
  }
  if (status === undefined || status >= 500)
    return ApplicationFailure.retryable(`AWS ${what} failed: ${status ?? 'no response'} ${name}: ${message}`, FAILURE_TYPES.AwsUnavailable);
  return ApplicationFailure.nonRetryable(`AWS refused ${what}: ${status} ${name}: ${message}`, FAILURE_TYPES.AwsRejected);
}

/** Runs an AWS call, turning its failures into classified ones. */
export async function awsCall<T>(what: string, permission: string, call: () => Promise<T>, known: readonly string[] = []): Promise<T> {
  try {
    return await call();
  } catch (err) {
    throw classifyAwsError(err, what, permission, known);
  }
}
