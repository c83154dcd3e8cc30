/**
 * Every `ApplicationFailure` type Tourniquet throws, in one place: throw sites, retry decisions,
 * clients and tests use these constants, never the strings (lint refuses a string literal as the
 * type at a throw site). The names are stable: they are recorded in histories and read by
 * operators, so a type is added here, never renamed.
 *
 * Refusals by an update's validator (a vote, a command, a cancel) carry their refusal code as the
 * type instead: REFUSAL_CODES (approval-gate.ts) and COMMAND_REFUSAL_CODES (commands.ts).
 */
export const FAILURE_TYPES = {
  // The engine (workflows/), all non-retryable.
  /** the incident request or its params do not parse, or name no known playbook */
  InvalidIncidentRequest: 'InvalidIncidentRequest',
  /** a gate closed without approval (denied, expired, quorum unreachable): nothing was done */
  ApprovalDenied: 'ApprovalDenied',
  /** a step's verification found the action did not take */
  VerificationFailed: 'VerificationFailed',
  /** the playbook failed after its undos ran: what the workflow ends with */
  IncidentFailed: 'IncidentFailed',
  /** a person cancelled the incident: where the playbook waits or starts a step */
  IncidentCancelled: 'IncidentCancelled',
  /** the gateway never settled a webhook delivery receipt */
  DeliveryNotSettled: 'DeliveryNotSettled',
  /** an alert-count push from the gateway is malformed (./alert-counts.ts) */
  InvalidAlertCounts: 'InvalidAlertCounts',
  /** a push whose counts lack the alerts the incident was opened with: details[0] is `{ keys }` to seed */
  AlertLedgerSeed: 'AlertLedgerSeed',
  /** a push past the incident's history budget: details[0] is `{ retryAfterMs }`; the gateway pushes later, merged */
  AlertCountsBudget: 'AlertCountsBudget',
  /** a record for an alert-ledger shard is malformed (./alert-ledger.ts) */
  InvalidLedgerRecord: 'InvalidLedgerRecord',

  // Approvals (activities/approvals, activities/approved-action.ts).
  /** a destructive activity was called without an approval for this exact action */
  ApprovalMismatch: 'ApprovalMismatch',
  /** a gate names an approval policy the policy file does not have */
  UnknownPolicy: 'UnknownPolicy',
  /** the approvers of a policy could not be resolved (e.g. a Slack user group); retryable */
  ApproverResolutionFailed: 'ApproverResolutionFailed',

  // Slack (activities/slack).
  /** Slack asked to wait: retried after its Retry-After */
  SlackRateLimited: 'SlackRateLimited',
  /** Slack refused the call for good (bad token, channel not found, …) */
  SlackRejected: 'SlackRejected',
  /** a Slack platform error that may pass; retryable */
  SlackError: 'SlackError',
  /** Slack could not be reached; retryable */
  SlackUnavailable: 'SlackUnavailable',

  // Kubernetes (activities/kubernetes).
  /** no KUBECONFIG or in-cluster ServiceAccount on this worker */
  KubernetesNotConfigured: 'KubernetesNotConfigured',
  /** the API server refused the request (4xx other than conflicts and throttling) */
  KubernetesRejected: 'KubernetesRejected',
  /** the API server could not be reached or failed; retryable */
  KubernetesUnavailable: 'KubernetesUnavailable',
  /** rollback-deploy: the default target would roll back a rollback; a person must ask for it */
  RollbackOfRollback: 'RollbackOfRollback',
  /** isolate-pod: another incident already quarantined this pod */
  AlreadyQuarantined: 'AlreadyQuarantined',
  /** rollback-deploy: the revision to roll back to is not in the Deployment's history */
  RevisionNotFound: 'RevisionNotFound',
  /** rollback-deploy: the Deployment has no earlier revision */
  NoRolloutHistory: 'NoRolloutHistory',
  /** rollback-deploy: the Deployment is paused, a person is working on it */
  DeploymentPaused: 'DeploymentPaused',
  /** rollback-deploy: the Deployment changed since the approval */
  DeploymentChanged: 'DeploymentChanged',
  /** rollback-deploy: the evidence step refused the rollback (its own refusal type when it has one) */
  RollbackRefused: 'RollbackRefused',
  /** break-glass: no catalogue on this worker */
  BreakGlassNotConfigured: 'BreakGlassNotConfigured',
  /** break-glass: the request does not fit the catalogue (role, scope, duration) */
  BreakGlassRefused: 'BreakGlassRefused',
  /** break-glass: a binding of the grant's name exists and is not this incident's */
  BindingNotOurs: 'BindingNotOurs',
  /** break-glass: the grant to extend is gone */
  BindingMissing: 'BindingMissing',

  // GitHub (activities/github).
  /** no GITHUB_TOKEN on this worker */
  GitHubNotConfigured: 'GitHubNotConfigured',
  /** GitHub refused the request for good */
  GitHubRejected: 'GitHubRejected',
  /** GitHub asked to wait: retried after its reset time */
  GitHubRateLimited: 'GitHubRateLimited',
  /** GitHub could not be reached or failed; retryable */
  GitHubUnavailable: 'GitHubUnavailable',
  /** GitHub returned the alert without its secret: the token lacks the permission to read it */
  SecretUnavailable: 'SecretUnavailable',
  /** the alert now holds another secret than the one approved */
  SecretChanged: 'SecretChanged',
  /** no revoker for this kind of secret */
  NoRevoker: 'NoRevoker',
  /** the revoker refused (it cannot tell which key or token this is) */
  RevokeRefused: 'RevokeRefused',
  /** the rotation asked for is not allowed (value not from a TOURNIQUET_ROTATE_* variable, or the leaked value itself) */
  RotationRefused: 'RotationRefused',
  /** the rotation's new value is not in the worker's environment */
  RotationValueMissing: 'RotationValueMissing',

  // AWS (activities/aws; leaked AWS access keys in activities/github).
  /** no AWS credentials for Tourniquet's own identity (the SDK's standard chain found none), or no AWS on this worker */
  AwsNotConfigured: 'AwsNotConfigured',
  /** AWS denied the call: the message names the IAM action Tourniquet's identity lacks */
  AwsAccessDenied: 'AwsAccessDenied',
  /** AWS refused the call for good (a 4xx, or Tourniquet's own credentials invalid or expired) */
  AwsRejected: 'AwsRejected',
  /** still throttled after the SDK's own retries: retried after a pause */
  AwsThrottled: 'AwsThrottled',
  /** AWS could not be reached or failed (5xx); retryable */
  AwsUnavailable: 'AwsUnavailable',

  // The evidence store (activities/evidence).
  /** an artifact of this hash already exists with other bytes: it was changed; never overwritten */
  EvidenceConflict: 'EvidenceConflict',
  /** the S3 evidence store refused for good (no such bucket, access denied, bad credentials) */
  EvidenceStoreRejected: 'EvidenceStoreRejected',
  /** the S3 evidence store could not be reached, failed (5xx) or throttled; retryable */
  EvidenceStoreUnavailable: 'EvidenceStoreUnavailable',
} as const;

export type FailureType = (typeof FAILURE_TYPES)[keyof typeof FAILURE_TYPES];
