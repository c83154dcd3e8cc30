/**
 * Stopping the worker the way a supervisor or a person does: SIGTERM to the process started with
 * `npm run worker`. The signal must reach the worker itself (npm forwards it to its script; the
 * script runs node directly, no tsx launcher that would keep the worker alive), the worker drains
 * and says so, and no process of the tree is left behind.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import { projectRoot } from '../tools/temporal-binaries';
import { startHarness, type Harness } from './support/harness';
import { freePort } from './support/ports';
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

interface NpmScript {
  script: string;
  env: NodeJS.ProcessEnv;
  /** output that says the script is up */
  ready: string;
  /** part of the command line of the node process that does the work */
  main: string;
}

/**
 * Starts `npm run <script>`, sends SIGTERM to npm once it is up, and expects npm to exit 0 with no
 * process of its tree left (a supervisor's stop, or `timeout`). Returns what it printed.
 */
async function startThenTerminate({ script, env, ready, main }: NpmScript): Promise<string> {
  const child = spawn('npm', ['run', '--silent', script], { cwd: projectRoot, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr.on('data', (c: Buffer) => (output += c.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  let tree: number[] = [];
  try {
    // a script that ends before it is up says why in its output: fail with it at once
    const ended = exited.then((e) => {
      throw new Error(`npm run ${script} exited (${e.code ?? e.signal}) before it was up`);
    });
    ended.catch(() => {});
    await Promise.race([waitFor(`npm run ${script} to be up`, () => output.includes(ready), { timeoutMs: 90_000 }), ended]).catch(
      (err: Error) => {
        throw new Error(`${err.message}\n${output}`);
      },
    );
    tree = descendants(child.pid!);
    // npm, then the script's shell unless it exec'd, then node: the work is somewhere below npm.
    const worker = tree.find((pid) => readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(main));
    expect(worker, `no ${main} process under npm (${tree.join(', ')})\n${output}`).toBeDefined();

    child.kill('SIGTERM');
    const result = await waitFor('npm to exit', () => Promise.race([exited, new Promise<false>((r) => setTimeout(() => r(false), 200))]), {
      timeoutMs: 30_000,
    });
    expect(result, output).toEqual({ code: 0, signal: null });
    await waitFor('every process of the tree to be gone', () => tree.every((pid) => !alive(pid)), { timeoutMs: 10_000 });
    return output;
  } finally {
    for (const pid of [child.pid!, ...tree]) {
      try {
        if (alive(pid)) process.kill(pid, 'SIGKILL');
      } catch {
        // gone
      }
    }
  }
}

it('npm run worker: SIGTERM to the npm process drains the worker, which logs that it stopped, and leaves no process behind', async () => {
  const output = await startThenTerminate({
    script: 'worker',
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
    ready: '"msg":"worker running"',
    main: 'worker/main.ts',
  });
  expect(output).toContain('"msg":"worker stopped"');
}, 150_000);

it('npm run dev: SIGTERM to the npm process stops the whole stack, its Temporal dev server included', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tourniquet-dev-stop-'));
  try {
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      TOURNIQUET_DATA_DIR: dir,
      TOURNIQUET_POLICIES: h.policiesPath,
      TOURNIQUET_WORKFLOW_BUNDLE: inject('workflowBundlePath'),
      TOURNIQUET_DEV_PORT: String(await freePort()),
      TOURNIQUET_DEV_UI_PORT: String(await freePort()),
      TOURNIQUET_DEV_HTTP_PORT: String(await freePort()),
      TOURNIQUET_GATEWAY_PORT: String(await freePort()),
      TOURNIQUET_METRICS_PORT: '0',
    };
    // the embedded default: no cluster named
    delete env.TEMPORAL_ADDRESS;
    delete env.TEMPORAL_HTTP_ADDRESS;
    const output = await startThenTerminate({ script: 'dev', env, ready: 'Tourniquet is running', main: 'cli/main.ts' });
    expect(output).toContain(`Temporal        127.0.0.1:${env.TOURNIQUET_DEV_PORT}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}, 150_000);
