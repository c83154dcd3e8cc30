/**
 * Test identities sign their decisions like people do: the global setup gives each an SSH key
 * (TOURNIQUET_KEYS_DIR, where the client finds it) and writes the allowed signers file and the
 * Slack gateway's key pair; suites build their workers' trust from the same environment.
 */
import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import type { TrustConfig } from '../../activities/approvals/signers';
import { encodeOpenSshPrivateKey, ensureKeys } from '../../client/signing';
import { trustFromConfig } from '../../worker/worker';

/** Everyone the suites let decide; `mallory` has a key but is eligible nowhere. */
export const TEST_IDENTITIES = ['alice', 'bob', 'carol', 'dana', 'erin', 'frank', 'mallory', 'octocat'];

/** Writes the keys under `dir` and returns the environment that points at them. */
export function writeTestKeys(dir: string): Record<string, string> {
  const keysDir = join(dir, 'keys');
  const { allowedSigners } = ensureKeys(keysDir, TEST_IDENTITIES);
  const gateway = encodeOpenSshPrivateKey(randomBytes(32), 'slack-gateway');
  writeFileSync(join(dir, 'slack-gateway'), gateway.privateKey, { mode: 0o600 });
  writeFileSync(join(dir, 'slack-gateway.pub'), `${gateway.publicKey}\n`);
  return {
    TOURNIQUET_KEYS_DIR: keysDir,
    TOURNIQUET_ALLOWED_SIGNERS: allowedSigners,
    TOURNIQUET_SLACK_GATEWAY_KEY: join(dir, 'slack-gateway'),
    TOURNIQUET_SLACK_GATEWAY_PUBLIC_KEY: join(dir, 'slack-gateway.pub'),
  };
}

/** The worker's trust as the suites' environment configures it (see global-setup.ts). */
export function testTrust(env: NodeJS.ProcessEnv = process.env): TrustConfig {
  if (!env.TOURNIQUET_ALLOWED_SIGNERS) throw new Error('TOURNIQUET_ALLOWED_SIGNERS is unset: the test global setup writes the test keys');
  return trustFromConfig({
    decisions: {
      mode: 'signed',
      allowedSignersPath: env.TOURNIQUET_ALLOWED_SIGNERS,
      ...(env.TOURNIQUET_SLACK_GATEWAY_PUBLIC_KEY ? { slackGatewayPublicKey: env.TOURNIQUET_SLACK_GATEWAY_PUBLIC_KEY } : {}),
    },
  });
}
