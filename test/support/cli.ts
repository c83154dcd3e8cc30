/** Runs the real `tourniquet` command against a suite's harness: a fresh process, real exit codes and output. */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { projectRoot } from '../../tools/temporal-binaries';
import type { Harness } from './harness';

const run = promisify(execFile);

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function runCli(h: Pick<Harness, 'dir' | 'address' | 'taskQueue'>, ...args: string[]): Promise<CliResult> {
  return runCliWith(h, {}, ...args);
}

/** The same, with more environment (e.g. KUBECONFIG for the commands that talk to Kubernetes). */
export async function runCliWith(
  h: Pick<Harness, 'dir' | 'address' | 'taskQueue'>,
  env: Record<string, string>,
  ...args: string[]
): Promise<CliResult> {
  try {
    const { stdout, stderr } = await run(join(projectRoot, 'bin/tourniquet'), args, {
      cwd: h.dir,
      env: {
        ...process.env,
        TEMPORAL_ADDRESS: h.address,
        TOURNIQUET_TASK_QUEUE: h.taskQueue,
        TOURNIQUET_DATA_DIR: h.dir,
        ...env,
      },
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}
