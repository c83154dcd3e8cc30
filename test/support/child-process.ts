/**
 * One of Tourniquet's real entry points (`worker/main.ts`, `gateway/main.ts`, `cli/main.ts …`) run
 * as a child process with its output kept, so a test can read what it printed, wait for a line,
 * stop it as a supervisor would (SIGTERM) or kill it as a crash or an OOM kill would (SIGKILL).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { projectRoot } from '../../tools/temporal-binaries';

export interface ChildOutput {
  child: ChildProcess;
  output(): string;
  /** resolves once the output contains `text` */
  waitFor(text: string, timeoutMs?: number): Promise<void>;
  /** SIGTERM, then SIGKILL if it has not exited within 10 s */
  stop(): Promise<void>;
  /** SIGKILL: no shutdown of any kind */
  kill(): Promise<void>;
}

const running = (child: ChildProcess) => child.exitCode === null && child.signalCode === null;

/** Runs `node --import tsx <args>` in the project root with this environment on top of the test's own. */
export function spawnEntry(args: string[], env: Record<string, string>): ChildOutput {
  const child = spawn(process.execPath, ['--import', 'tsx', ...args], {
    cwd: projectRoot,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (output += c.toString()));
  const exited = new Promise((r) => child.once('exit', r));
  return {
    child,
    output: () => output,
    async waitFor(text, timeoutMs = 60_000) {
      const deadline = Date.now() + timeoutMs;
      while (!output.includes(text)) {
        if (child.exitCode !== null) throw new Error(`${args.join(' ')} exited (${child.exitCode}):\n${output}`);
        if (Date.now() > deadline) throw new Error(`${args.join(' ')} did not say "${text}" within ${timeoutMs} ms:\n${output}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    async stop() {
      if (!running(child)) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
    async kill() {
      if (!running(child)) return;
      child.kill('SIGKILL');
      await exited;
    },
  };
}
