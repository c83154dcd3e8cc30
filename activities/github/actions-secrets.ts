/**
 * Rotating a repository's Actions secret to a new value, sealed (libsodium `crypto_box_seal`) to
 * the repository's public key as GitHub requires. The new value never travels through the
 * workflow: the approved action names an environment variable of the worker, read here.
 */
import { ApplicationFailure } from '@temporalio/common';
import sodium from 'libsodium-wrappers';
import type { GitHubClients } from './client';
import { githubCall } from './errors';
import { FAILURE_TYPES } from '../../workflows/failure-types';

/** Only variables named so can be written to a repository: nobody can ask for the worker's own credentials. */
export const ROTATION_ENV_PREFIX = 'TOURNIQUET_ROTATE_';

export interface Rotation {
  /** the Actions secret to set, e.g. DEPLOY_TOKEN */
  secretName: string;
  /** the worker's environment variable holding the new value, e.g. TOURNIQUET_ROTATE_DEPLOY_TOKEN */
  valueFromEnv: string;
}

export type RotationValues = (name: string) => string | undefined;

export function resolveRotationValue(rotation: Rotation, values: RotationValues, leaked: string): string {
  if (!rotation.valueFromEnv.startsWith(ROTATION_ENV_PREFIX)) {
    throw ApplicationFailure.nonRetryable(
      `rotation values come from ${ROTATION_ENV_PREFIX}* variables only, not ${rotation.valueFromEnv}`,
      FAILURE_TYPES.RotationRefused,
    );
  }
  const value = values(rotation.valueFromEnv);
  if (!value) {
    throw ApplicationFailure.nonRetryable(
      `the worker has no ${rotation.valueFromEnv} in its environment: set it to the new value of ${rotation.secretName}`,
      FAILURE_TYPES.RotationValueMissing,
    );
  }
  if (value === leaked)
    throw ApplicationFailure.nonRetryable(
      `${rotation.valueFromEnv} holds the leaked value itself: nothing rotated`,
      FAILURE_TYPES.RotationRefused,
    );
  return value;
}

/** Seals a value to a base64 libsodium public key: what GitHub stores and only Actions can open. */
export async function sealForGitHub(value: string, publicKeyBase64: string): Promise<string> {
  await sodium.ready;
  const key = sodium.from_base64(publicKeyBase64, sodium.base64_variants.ORIGINAL);
  return sodium.to_base64(sodium.crypto_box_seal(sodium.from_string(value), key), sodium.base64_variants.ORIGINAL);
}

export interface RotateRequest {
  owner: string;
  repo: string;
  secretName: string;
  value: string;
  dryRun: boolean;
}

/**
 * Sets the secret. Idempotent by nature (it sets a value, it does not add one); in a drill the
 * public key is still fetched, so a drill shows the token may do it.
 */
export async function rotateActionsSecret(github: GitHubClients, req: RotateRequest): Promise<{ summary: string; changed: boolean }> {
  const where = `${req.owner}/${req.repo}`;
  const { data: key } = await githubCall(`GET the Actions public key of ${where}`, () =>
    github.api.rest.actions.getRepoPublicKey({ owner: req.owner, repo: req.repo }),
  );
  if (req.dryRun) return { summary: `would set Actions secret ${req.secretName} of ${where}`, changed: false };
  const encrypted = await sealForGitHub(req.value, key.key);
  await githubCall(
    `PUT Actions secret ${req.secretName} of ${where}`,
    () =>
      github.api.rest.actions.createOrUpdateRepoSecret({
        owner: req.owner,
        repo: req.repo,
        secret_name: req.secretName,
        encrypted_value: encrypted,
        key_id: key.key_id,
      }),
    [req.value],
  );
  return { summary: `set Actions secret ${req.secretName} of ${where} to its new value`, changed: true };
}
