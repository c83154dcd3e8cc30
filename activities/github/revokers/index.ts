/** The revokers a worker knows, in order: the first that handles a secret type is used. */
import { awsAccessKeyRevoker } from './aws-access-key';
import { deployKeyRevoker } from './deploy-key';
import { githubTokenRevoker } from './github-token';
import { slackTokenRevoker } from './slack-token';
import type { Revoker } from './types';

export * from './types';

export const defaultRevokers: readonly Revoker[] = [githubTokenRevoker, deployKeyRevoker, awsAccessKeyRevoker(), slackTokenRevoker];

export function revokerFor(revokers: readonly Revoker[], secretType: string): Revoker | undefined {
  return revokers.find((r) => r.handles(secretType));
}

export function noRevokerMessage(secretType: string): string {
  return `no Revoker for secret type "${secretType}": revoke it with its provider by hand, or add a Revoker for it (activities/github/revokers/)`;
}
