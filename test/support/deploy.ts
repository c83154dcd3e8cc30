/**
 * What the deployment files (docker-compose.yml, deploy/kubernetes/, the env file templates) are
 * held to: the environment variables the code reads, from its own zod schemas, so a renamed or
 * misspelt variable in a manifest fails a test instead of being silently ignored at start-up.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { envSchema as intakeEnv } from '../../gateway/intake/config';
import { projectRoot } from '../../tools/temporal-binaries';
import { envSchema as workerEnv } from '../../worker/config';

/** Read by the AWS SDK itself (its standard credential chain), not by Tourniquet's schemas. */
export const AWS_SDK_VARS: readonly string[] = ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY'];

/** Every variable the worker's and the gateway's schemas know (worker/config.ts, gateway/intake/config.ts). */
export function codeVariables(): Set<string> {
  return new Set([...Object.keys(workerEnv.shape), ...Object.keys(intakeEnv.shape)]);
}

/** The names in `names` that Tourniquet would ignore: neither its schemas nor the AWS SDK read them. */
export function unreadVariables(names: Iterable<string>): string[] {
  const known = codeVariables();
  return [...names].filter((name) => !known.has(name) && !AWS_SDK_VARS.includes(name));
}

export function readProjectFile(path: string): string {
  return readFileSync(join(projectRoot, path), 'utf8');
}

/** `NAME=value` and `#NAME=value` (an optional one, commented out) lines of an env file. */
export function envFileVariables(text: string): { set: string[]; optional: string[] } {
  const set: string[] = [];
  const optional: string[] = [];
  for (const line of text.split('\n')) {
    const m = /^(#)?([A-Z][A-Z0-9_]*)=/.exec(line.trim());
    if (m) (m[1] ? optional : set).push(m[2]!);
  }
  return { set, optional };
}

/** The file a `node --import tsx <file>` or `node <file>` command runs. */
export function scriptOf(command: readonly string[]): string {
  const args = command[0] === 'node' ? command.slice(1) : command;
  const rest = args[0] === '--import' ? args.slice(2) : args;
  return rest[0]!;
}
