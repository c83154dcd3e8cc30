/**
 * Which key the CLI signs with: `--key` (a private key file, or the `.pub` of a key ssh-agent
 * holds), else TOURNIQUET_KEY, else `<identity>` in TOURNIQUET_KEYS_DIR (default `<data dir>/keys`,
 * where `npm run dev` keeps its demo identities' keys). No key: the decision goes unsigned and the
 * engine refuses it, unless it runs in the explicit unauthenticated demo mode.
 */
import type { Command } from 'commander';
import { join } from 'node:path';
import type { StatementSigner } from '../client/signing';
import type { Config } from '../worker/config';

export const KEY_OPTION = [
  '--key <file>',
  'your SSH Ed25519 key: a private key file, or the .pub of one ssh-agent holds (default: $TOURNIQUET_KEY, then $TOURNIQUET_KEYS_DIR/<identity>)',
] as const;

export function withKeyOption(command: Command): Command {
  return command.option(...KEY_OPTION);
}

/** Async: the signing code (Ed25519, key parsing) is loaded only by the commands that sign. */
export async function cliSigner(
  identity: string,
  key: string | undefined,
  config: Pick<Config, 'dataDir'>,
): Promise<StatementSigner | null> {
  const { findSigner } = await import('../client/signing');
  return (
    findSigner(identity, { ...(key ? { key } : {}), keysDir: process.env.TOURNIQUET_KEYS_DIR ?? join(config.dataDir, 'keys') }) ?? null
  );
}
