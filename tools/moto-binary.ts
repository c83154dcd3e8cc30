/**
 * Finds or installs moto's server (`moto_server`), the AWS API implementation the AWS suites run
 * against: IAM, STS and CloudTrail as AWS documents them, without an AWS account. Pinned PyPI
 * `moto[server]` in its own git-ignored venv under `.tools/moto/`, like the Temporal wheels: its
 * dependencies (Flask, boto3…) stay out of the Temporal venv.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { isExecutable, onPath } from './executables';
import { projectRoot } from './temporal-binaries';

export const PINNED_MOTO = { pkg: 'moto[server]', version: '5.2.5' } as const;
const ENV_OVERRIDE = 'MOTO_SERVER';
const venvDir = join(projectRoot, '.tools', 'moto', PINNED_MOTO.version);

export class MotoBinaryError extends Error {
  override name = 'MotoBinaryError';
}

/** How to start moto's server: a command and its first arguments. */
export interface MotoCommand {
  command: string;
  args: string[];
}

/**
 * MOTO_SERVER, else the pinned venv; undefined when missing. The venv's own python runs
 * `-m moto.server` rather than its `moto_server` script: the script's shebang holds the path the
 * venv was made at, which breaks when `.tools/` is reached through another (symlinked) checkout.
 */
export function findMotoServer(): MotoCommand | undefined {
  const override = process.env[ENV_OVERRIDE];
  if (override) {
    if (!isExecutable(override)) throw new MotoBinaryError(`${ENV_OVERRIDE}=${override} is not an executable file`);
    return { command: override, args: [] };
  }
  // Not PATH: another moto version there would answer differently from the one the suites document.
  const python = join(venvDir, 'bin', 'python');
  const installed = existsSync(join(venvDir, 'lib')) && isExecutable(python) && isExecutable(join(venvDir, 'bin', 'moto_server'));
  return installed ? { command: python, args: ['-m', 'moto.server'] } : undefined;
}

/** Idempotent: about a millisecond when the pinned venv is there. */
export function ensureMotoServer(log: (line: string) => void = () => {}): MotoCommand {
  const found = findMotoServer();
  if (found) return found;
  const python = process.env.PYTHON ?? onPath('python3') ?? onPath('python');
  if (!python)
    throw new MotoBinaryError(`cannot install moto: no python3 on PATH. Install Python 3, or set ${ENV_OVERRIDE} to a moto_server.`);
  const spec = `${PINNED_MOTO.pkg}==${PINNED_MOTO.version}`;
  log(`installing ${spec} into ${venvDir} (once per machine)`);
  try {
    if (!existsSync(join(venvDir, 'bin', 'python'))) execFileSync(python, ['-m', 'venv', venvDir], { stdio: 'inherit' });
    execFileSync(join(venvDir, 'bin', 'python'), ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', spec], {
      stdio: 'inherit',
    });
  } catch (err) {
    throw new MotoBinaryError(
      `pip could not install ${spec} (${(err as Error).message}). Check that PyPI is reachable, or set ${ENV_OVERRIDE}.`,
    );
  }
  const installed = findMotoServer();
  if (!installed) throw new MotoBinaryError(`moto_server is still missing after installing ${spec}`);
  return installed;
}
