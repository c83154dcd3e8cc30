/**
 * A real Prometheus Alertmanager (v0.31.1, built by `npm run setup:alertmanager`) pointed at a
 * gateway with the docs' own snippet (docs/intake.md): its URL and token file swapped for the test's, and the
 * group timings shortened so a suite sees re-sends and resolutions in seconds.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findAlertmanager } from '../../tools/alertmanager-binary';
import { projectRoot } from '../../tools/temporal-binaries';
import { freePort } from './ports';
import { waitFor } from './wait';

export interface RunningAlertmanager {
  url: string;
  /** POST /api/v2/alerts, as Prometheus does */
  post(alerts: PostableAlert[]): Promise<void>;
  /** a counter from its /metrics, summed over labels matching `labels` */
  metric(name: string, labels?: string): Promise<number>;
  stop(): Promise<void>;
}

export interface PostableAlert {
  labels: Record<string, string>;
  annotations?: Record<string, string>;
  startsAt?: string;
  endsAt?: string;
}

/** The Alertmanager snippet of the docs (docs/intake.md, "Pointing senders at Tourniquet"). */
export function readmeAlertmanagerConfig(): string {
  const readme = readFileSync(join(projectRoot, 'docs/intake.md'), 'utf8');
  const start = readme.indexOf('Alertmanager (`alertmanager.yml`');
  const block = /```yaml\n([\s\S]*?)```/.exec(readme.slice(start));
  if (start < 0 || !block) throw new Error('no Alertmanager snippet in docs/intake.md');
  return block[1]!;
}

export async function startAlertmanager(
  gatewayUrl: string,
  token: string,
  timings = { groupWait: '200ms', groupInterval: '1s', repeatInterval: '3s' },
): Promise<RunningAlertmanager> {
  const binary = findAlertmanager();
  const dir = mkdtempSync(join(tmpdir(), 'tourniquet-alertmanager-'));
  const tokenFile = join(dir, 'token');
  writeFileSync(tokenFile, token, { mode: 0o600 });
  const config = readmeAlertmanagerConfig()
    .replace('https://tourniquet.example.com', gatewayUrl)
    .replace('/etc/alertmanager/secrets/tourniquet-token', tokenFile)
    .replace(
      /^route:\n/m,
      `route:\n  group_wait: ${timings.groupWait}\n  group_interval: ${timings.groupInterval}\n  repeat_interval: ${timings.repeatInterval}\n`,
    );
  writeFileSync(join(dir, 'alertmanager.yml'), config);
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const output: string[] = [];
  const child: ChildProcess = spawn(
    binary,
    [
      `--config.file=${join(dir, 'alertmanager.yml')}`,
      `--storage.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--cluster.listen-address=',
      '--log.level=warn',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  for (const stream of [child.stdout!, child.stderr!]) stream.on('data', (c: Buffer) => output.push(c.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  try {
    await waitFor(
      'Alertmanager ready',
      async () => {
        if (child.exitCode !== null) throw new Error(`alertmanager exited ${child.exitCode}: ${output.join('')}`);
        const res = await fetch(`${url}/-/ready`).catch(() => undefined);
        return res?.ok ? true : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 100 },
    );
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  }
  return {
    url,
    async post(alerts) {
      const res = await fetch(`${url}/api/v2/alerts`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(alerts),
      });
      if (!res.ok) throw new Error(`POST /api/v2/alerts: ${res.status} ${await res.text()}`);
    },
    async metric(name, labels = '') {
      const text = await (await fetch(`${url}/metrics`)).text();
      return text
        .split('\n')
        .filter((l) => l.startsWith(`${name}{`) && l.includes(labels))
        .reduce((n, l) => n + Number(l.split(' ').at(-1)), 0);
    },
    async stop() {
      child.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
      if (child.exitCode === null) child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
