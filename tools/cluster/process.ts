/** A server child process of the local cluster: its recent output, its exit, and a clean stop. */
import { spawn, type SpawnOptions } from 'node:child_process';
import { createServer } from 'node:net';

export interface ServerProcess {
  pid: number | undefined;
  /** the last few KB of stdout and stderr, for errors */
  output(): string;
  /** resolves with the exit code (or signal name) when the process ends, for any reason */
  exited: Promise<number | string | null>;
  running(): boolean;
  /** `signal` first (a clean shutdown), SIGKILL after `graceMs` */
  stop(signal?: NodeJS.Signals, graceMs?: number): Promise<void>;
}

export function startProcess(command: string, args: string[], options: SpawnOptions = {}): ServerProcess {
  const child = spawn(command, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const keep = (chunk: Buffer) => (output = (output + chunk.toString()).slice(-8000));
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  let done = false;
  const exited = new Promise<number | string | null>((resolve) => {
    child.once('error', (err) => {
      done = true;
      output += `\n${err.message}`;
      resolve(null);
    });
    child.once('exit', (code, signal) => {
      done = true;
      resolve(code ?? signal);
    });
  });
  // Never outlive the process that started us (a test run that dies, Ctrl-C twice).
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  void exited.then(() => process.off('exit', killOnExit));
  return {
    pid: child.pid,
    output: () => output,
    exited,
    running: () => !done,
    async stop(signal: NodeJS.Signals = 'SIGTERM', graceMs = 20_000) {
      if (done) return;
      child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}

function tryPort(port: number): Promise<number | undefined> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', () => resolve(undefined));
    probe.listen(port, '127.0.0.1', () => {
      const { port: bound } = probe.address() as { port: number };
      probe.close(() => resolve(bound));
    });
  });
}

/** A loopback port nobody listens on right now (the OS picks it). */
export async function freePort(): Promise<number> {
  const port = await tryPort(0);
  if (port === undefined) throw new Error('no free loopback port');
  return port;
}

/**
 * A free port below 32768: Temporal keeps membership ports in a PostgreSQL `smallint` column, and
 * the ports the OS hands out (32768 and up on Linux) overflow it ("value out of range for type smallint").
 */
export async function freeSmallPort(): Promise<number> {
  for (let i = 0; i < 200; i++) {
    const port = await tryPort(20_000 + Math.floor(Math.random() * 12_000));
    if (port !== undefined) return port;
  }
  throw new Error('no free loopback port between 20000 and 32000');
}

/** Retries `probe` until it returns true, the process dies, or the deadline passes. */
export async function waitUntil(what: string, proc: ServerProcess, probe: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    if (!proc.running()) throw new Error(`${what}: the process exited (${await proc.exited}) before it was ready:\n${proc.output()}`);
    try {
      if (await probe()) return;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) {
      throw new Error(`${what}: not ready within ${timeoutMs} ms${last ? ` (${(last as Error).message})` : ''}:\n${proc.output()}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}
