/**
 * CLI latency: how long a person waits for `tourniquet --help`, `status` and `approve`, each a fresh
 * process as from a shell (process start, module loading, connecting, the call, exit), against the
 * bench's own dev server and worker. The target is p95 < 300 ms for status and approve.
 *
 * bin/tourniquet runs the compiled CLI (dist/, which `npm run bench` builds first); a few runs of the
 * sources through tsx, as before, are printed beside it for comparison. A few more calls with
 * TOURNIQUET_PHASES=1 say where the time goes (bin/tourniquet and cli/main.ts mark the phases).
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { promisify } from 'node:util';
import { startIncident } from '../client';
import { projectRoot } from '../tools/temporal-binaries';
import type { BenchStack } from './stack';
import { row } from './stats';

const run = promisify(execFile);
const TARGET_P95_MS = 300;
/** calls of each command with TOURNIQUET_PHASES=1, not counted in the figures above them */
const PHASE_RUNS = 5;
const GATE_WAIT_MS = 60_000;

export interface CliBenchOptions {
  /** runs of each command through bin/tourniquet */
  runs: number;
  /** runs of each command from the TypeScript sources (tsx), for comparison; 0 skips */
  sourceRuns: number;
}

export async function runCliBench(stack: BenchStack, options: CliBenchOptions, log: (line: string) => void): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'tourniquet-bench-cli-'));
  const env = {
    ...process.env,
    TEMPORAL_ADDRESS: stack.address,
    // BENCH_CLI_HTTP=0: status and approve over gRPC, as without an HTTP API (to compare)
    TEMPORAL_HTTP_ADDRESS: process.env.BENCH_CLI_HTTP === '0' ? 'off' : (stack.httpAddress ?? 'off'),
    TOURNIQUET_TASK_QUEUE: stack.taskQueue,
    TOURNIQUET_DATA_DIR: dir,
  };
  const bin = join(projectRoot, 'bin/tourniquet');
  const fromSource = [process.execPath, ['--import', 'tsx', join(projectRoot, 'cli/main.ts')]] as const;
  // Wall time is what a person waits; the process's CPU time says what it costs on a busy machine.
  const cpu: Record<string, number[]> = {};
  const timed = async (label: string, file: string, args: readonly string[], cwd = dir): Promise<number> => {
    const c0 = childrenCpuMs();
    const t0 = performance.now();
    await run(file, args, { env, cwd });
    const wall = performance.now() - t0;
    const c1 = childrenCpuMs();
    if (c0 !== undefined && c1 !== undefined) (cpu[label] ??= []).push(c1 - c0);
    return wall;
  };
  try {
    const compiled = existsSync(join(projectRoot, 'dist/tourniquet.cjs'));
    log(
      `\nCLI: a fresh process per call, ${options.runs} calls each (${compiled ? 'bin/tourniquet: compiled dist/ when fresh' : 'no dist/: bin/tourniquet runs the sources'}; status and approve over ${env.TEMPORAL_HTTP_ADDRESS === 'off' ? 'gRPC' : `Temporal's HTTP API at ${env.TEMPORAL_HTTP_ADDRESS}`})`,
    );

    // Incidents waiting for an approval, opened beforehand: one for the status calls, one per approve.
    const open = async () => {
      const id = await startIncident(
        stack.client,
        { playbook: 'demo', requester: 'alice', params: { service: `cli-${Math.random().toString(36).slice(2, 8)}` } },
        { taskQueue: stack.taskQueue },
      );
      await stack.notifier.gateOpened.wait(id, 'approval.requested notification', GATE_WAIT_MS);
      return id;
    };
    const phaseRuns = options.runs > 0 ? PHASE_RUNS : 0;
    const total = 1 + options.runs + options.sourceRuns + phaseRuns;
    const ids: string[] = [];
    for (let i = 0; i < total; i++) ids.push(await open());
    const statusId = ids.shift()!;

    const help: number[] = [];
    const status: number[] = [];
    const approve: number[] = [];
    for (let i = 0; i < options.runs; i++) {
      help.push(await timed('help', bin, ['--help']));
      status.push(await timed('status', bin, ['status', statusId]));
      approve.push(await timed('approve', bin, ['approve', ids.shift()!, '--as', 'bob', '--reason', 'bench']));
    }
    log(row('tourniquet --help', help));
    log(row('tourniquet status', status, TARGET_P95_MS));
    log(row('tourniquet approve', approve, TARGET_P95_MS));
    for (const label of ['help', 'status', 'approve']) if (cpu[label]) log(row(`(info) ${label}, CPU time`, cpu[label]));
    if (phaseRuns > 0) {
      const phased = async (args: readonly string[]) => {
        const { stderr } = await run(bin, args, { env: { ...env, TOURNIQUET_PHASES: '1' }, cwd: dir });
        return parsePhases(stderr);
      };
      const statusPhases: Phase[][] = [];
      const approvePhases: Phase[][] = [];
      for (let i = 0; i < phaseRuns; i++) {
        statusPhases.push(await phased(['status', statusId]));
        approvePhases.push(await phased(['approve', ids.shift()!, '--as', 'bob', '--reason', 'bench']));
      }
      log(`  phases, median of ${phaseRuns} calls each (wall ms / CPU ms spent in each; wall waits on the server too):`);
      log(phaseLine('status', statusPhases));
      log(phaseLine('approve', approvePhases));
    }

    if (options.sourceRuns > 0) {
      // From the project root: `--import tsx` resolves tsx from the working directory.
      const [node, pre] = fromSource;
      const src = { help: [] as number[], status: [] as number[], approve: [] as number[] };
      for (let i = 0; i < options.sourceRuns; i++) {
        src.help.push(await timed('help from sources', node, [...pre, '--help'], projectRoot));
        src.status.push(await timed('status from sources', node, [...pre, 'status', statusId], projectRoot));
        src.approve.push(
          await timed('approve from sources', node, [...pre, 'approve', ids.shift()!, '--as', 'bob', '--reason', 'bench'], projectRoot),
        );
      }
      log(row('(info) help from sources (tsx)', src.help));
      log(row('(info) status from sources (tsx)', src.status));
      log(row('(info) approve from sources (tsx)', src.approve));
      for (const label of ['help from sources', 'status from sources', 'approve from sources'])
        if (cpu[label]) log(row(`(info) ${label}, CPU time`, cpu[label]));
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

interface Phase {
  label: string;
  /** since the process started */
  ms: number;
  /** CPU time spent by then */
  cpuMs: number;
}

function parsePhases(stderr: string): Phase[] {
  const line = stderr.split('\n').find((l) => l.startsWith('tourniquet-phases '));
  if (!line) throw new Error(`no phases on stderr (is dist/ fresh?):\n${stderr}`);
  return JSON.parse(line.slice('tourniquet-phases '.length)) as Phase[];
}

/** Each phase's own wall and CPU time (from the previous mark; the first from the process start), median over calls. */
function phaseLine(command: string, calls: Phase[][]): string {
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const labels = calls[0]!.map((p) => p.label);
  const parts = labels.map((label, i) => {
    const own = (key: 'ms' | 'cpuMs') => median(calls.map((c) => c[i]![key] - (i > 0 ? c[i - 1]![key] : 0)));
    return `${label} ${Math.round(own('ms'))}/${Math.round(own('cpuMs'))}`;
  });
  return `    ${command.padEnd(8)} ${parts.join(' · ')}`;
}

/** CPU time (user + system) of this process's waited-for children, from /proc; undefined elsewhere. */
function childrenCpuMs(): number | undefined {
  try {
    // Fields after the command name (which may hold spaces): cutime and cstime are the 14th and 15th.
    const stat = readFileSync('/proc/self/stat', 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[13]) + Number(fields[14])) * 1000) / CLOCK_TICKS;
  } catch {
    return undefined;
  }
}
/** USER_HZ: 100 on Linux everywhere Node runs */
const CLOCK_TICKS = 100;
