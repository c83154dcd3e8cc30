/** GitHub activities: secret scanning evidence, revoking a leaked secret, checking it is dead; deployment statuses after a rollback. */
import type { AwsClients } from '../aws';
import type { EvidenceStore } from '../evidence';
import { defaultRevokers } from './revokers';
import { createGitHubClients, type GitHubSettings } from './client';
import type { GitHubDeps } from './deps';
import { createGitHubDeploymentActivities } from './deployments';
import { createGitHubEvidenceActivities } from './evidence';
import { createGitHubRevokeActivities } from './revoke';
import { createAwsKeyActivities } from './aws-key';
import type { RotationValues } from './actions-secrets';
import type { Revoker } from './revokers';

export type { GitHubDeps } from './deps';
export type { GitHubSettings } from './client';
export type { AlertTarget } from './alerts';
export type { RevokeArgs, LeakedSecretRef } from './revoke';
export type { AwsKeyEvidenceInput } from './aws-key';
export type { RecordRollbackArgs, RevisionDeploymentsInput } from './deployments';
export { ROTATION_ENV_PREFIX, type Rotation } from './actions-secrets';

export function createGitHubDeps(
  settings: GitHubSettings,
  options: {
    rotationValues?: RotationValues;
    revokers?: readonly Revoker[];
    incidentUrl?: (incidentId: string) => string;
    aws?: AwsClients;
    slack?: { apiUrl?: string; botToken?: string };
  } = {},
): GitHubDeps {
  return {
    clients: createGitHubClients(settings),
    revokers: options.revokers ?? defaultRevokers,
    rotationValues: options.rotationValues ?? ((name) => process.env[name]),
    ...(options.incidentUrl ? { incidentUrl: options.incidentUrl } : {}),
    ...(options.aws ? { aws: options.aws } : {}),
    ...(options.slack ? { slack: options.slack } : {}),
  };
}

/** Registered on every worker; they fail with GitHubNotConfigured when `github` is undefined. */
export function createGitHubActivities(deps: { github: GitHubDeps | undefined; store: EvidenceStore }) {
  return {
    ...createGitHubEvidenceActivities(deps),
    ...createGitHubRevokeActivities(deps),
    ...createGitHubDeploymentActivities(deps),
    ...createAwsKeyActivities(deps),
  };
}
