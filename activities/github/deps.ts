/** What the GitHub activities need from the worker, and the one way to get it. */
import { ApplicationFailure } from '@temporalio/common';
import type { AwsClients } from '../aws';
import { redactText } from '../evidence';
import type { RotationValues } from './actions-secrets';
import type { GitHubClients } from './client';
import { RevokerRefusal, type Revoker } from './revokers';
import { FAILURE_TYPES } from '../../workflows/failure-types';

export interface GitHubDeps {
  clients: GitHubClients;
  revokers: readonly Revoker[];
  /** where rotation values come from: the worker's environment */
  rotationValues: RotationValues;
  /** a link to the incident, for the comment that resolves the alert */
  incidentUrl?: (incidentId: string) => string;
  /** AWS as Tourniquet's own identity: leaked AWS access keys are revoked with it */
  aws?: AwsClients;
  /** Slack for leaked Slack tokens: the API URL, Tourniquet's bot token (never the leaked one) */
  slack?: { apiUrl?: string; botToken?: string };
}

/** The activities exist on every worker; without GitHub configured they fail, saying what to set. */
export function requireGitHub(deps: GitHubDeps | undefined): GitHubDeps {
  if (!deps) {
    throw ApplicationFailure.nonRetryable(
      'GitHub is not configured on this worker: set GITHUB_TOKEN (and GITHUB_API_URL for GitHub Enterprise Server)',
      FAILURE_TYPES.GitHubNotConfigured,
    );
  }
  return deps;
}

/** A revoker's refusal is final: it says why, and nothing was done. */
export async function refusalsFail<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    if (err instanceof RevokerRefusal) throw ApplicationFailure.nonRetryable(err.message, FAILURE_TYPES.RevokeRefused);
    throw err;
  }
}

/** What a revoker needs besides GitHub: AWS and Slack, when the worker has them. */
export function revokerExtras(github: GitHubDeps): { aws?: AwsClients; slack?: { apiUrl?: string; botToken?: string } } {
  return { ...(github.aws ? { aws: github.aws } : {}), ...(github.slack ? { slack: github.slack } : {}) };
}

/** Belt and braces: whatever we say about a leak is scrubbed of its value first. */
export const scrub = (text: string, secret: string) => redactText(text, { known: [secret] }).value;
