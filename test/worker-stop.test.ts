/**
 * Stopping the worker the way a supervisor or a person does: SIGTERM to the process started with
 * `npm run worker`. The signal must reach the worker itself (npm forwards it to its script; the
 * script runs node directly, no tsx launcher that would keep the worker alive), the worker drains
 * and says so, and no process of the tree is left behind.
 */
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import { projectRoot } from '../tools/temporal-binaries';
import { startHarness, type Harness } from './support/harness';
import { waitFor } from './support/wait';

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ worker: false });
});
afterAll(async () => {
  await h?.stop();
});

/** pid → parent pid, for every process /proc shows (zombies, already exited, left out) */
function processTable(): Map<number, number> {
  const table = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const [state, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (state !== 'Z') table.set(Number(entry), Number(ppid));
    } catch {
      // exited while we looked
    }
  }
  return table;
}

function descendants(pid: number): number[] {
  const table = processTable();
  const found: number[] = [];
  const queue = [pid];
  while (queue.length) {
    const parent = queue.shift()!;
    for (const [child, ppid] of table) {
      if (ppid !== parent) continue;
      found.push(child);
      queue.push(child);
    }
  }
  return found;
}

const alive = (pid: number) => processTable().has(pid);

it('npm run worker: SIGTERM to the npm process drains the worker, which logs that it stopped, and leaves no process behind', async () => {
  const child = spawn('npm', ['run', '--silent', 'worker'], {
    cwd: projectRoot,
    env: {
      ...process.env,
      TEMPORAL_ADDRESS: h.address,
      TOURNIQUET_TASK_QUEUE: h.taskQueue,
      TOURNIQUET_DATA_DIR: h.dir,
      TOURNIQUET_POLICIES: h.policiesPath,
      TOURNIQUET_WORKFLOW_BUNDLE: inject('workflowBundlePath'),
      TOURNIQUET_METRICS_PORT: '0',
      LOG_LEVEL: 'info',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr.on('data', (c: Buffer) => (output += c.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  let tree: number[] = [];
  try {
    await waitFor('the worker to run', () => output.includes('"msg":"worker running"'), { timeoutMs: 90_000 });
    tree = descendants(child.pid!);
    // npm, then the script's shell unless it exec'd, then node: the worker is somewhere below npm.
    const worker = tree.find((pid) => readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('worker/main.ts'));
    expect(worker, `no worker process under npm (${tree.join(', ')})\n${output}`).toBeDefined();

    child.kill('SIGTERM');
    const result = await waitFor('npm to exit', () => Promise.race([exited, new Promise<false>((r) => setTimeout(() => r(false), 200))]), {
      timeoutMs: 30_000,
    });
    expect(output).toContain('"msg":"worker stopped"');
    expect(result).toEqual({ code: 0, signal: null });
    await waitFor('every process of the tree to be gone', () => tree.every((pid) => !alive(pid)), { timeoutMs: 10_000 });
  } finally {
    for (const pid of [child.pid!, ...tree]) {
      try {
        if (alive(pid)) process.kill(pid, 'SIGKILL');
      } catch {
        // gone
      }
    }
  }
}, 150_000);
