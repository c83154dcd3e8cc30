/**
 * A secret scanning alert, fetched with its secret (GitHub returns the raw value) and turned into
 * what may leave this process: the alert with the value replaced by its fingerprint.
 */
import { ApplicationFailure } from '@temporalio/common';
import type { RestEndpointMethodTypes } from '@octokit/rest';
import { fingerprint } from '../evidence';
import type { GitHubClients } from './client';
import { githubCall } from './errors';
import type { Leak } from './revokers';
import { FAILURE_TYPES } from '../../workflows/failure-types';

export type SecretAlert = RestEndpointMethodTypes['secretScanning']['getAlert']['response']['data'];

export interface AlertTarget {
  owner: string;
  repo: string;
  alertNumber: number;
}

export const alertName = (t: AlertTarget) => `${t.owner}/${t.repo} secret scanning alert #${t.alertNumber}`;

/** The fingerprint people and the workflow see instead of the secret. */
export const secretFingerprint = (secret: string, secretType: string) => fingerprint(secret, secretType);

export interface FetchedAlert {
  alert: SecretAlert;
  leak: Leak;
}

export async function fetchAlert(github: GitHubClients, target: AlertTarget): Promise<FetchedAlert> {
  const { data: alert } = await githubCall(`GET ${alertName(target)}`, () =>
    github.api.rest.secretScanning.getAlert({ owner: target.owner, repo: target.repo, alert_number: target.alertNumber }),
  );
  const secret = alert.secret;
  const secretType = alert.secret_type ?? 'unknown';
  if (!secret) {
    throw ApplicationFailure.nonRetryable(
      `GitHub returned ${alertName(target)} without its secret: the token needs the secret scanning alerts read permission (see docs/playbooks/revoke-leaked-key.md)`,
      FAILURE_TYPES.SecretUnavailable,
    );
  }
  return { alert, leak: { ...target, secretType, secret, fingerprint: secretFingerprint(secret, secretType) } };
}

/** The alert as it may be stored: the secret replaced by its fingerprint. */
export function scrubbedAlert({ alert, leak }: FetchedAlert): Record<string, unknown> {
  return { ...alert, secret: leak.fingerprint };
}
