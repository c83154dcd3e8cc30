import { execFile } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decide, startIncident } from '../client';
import { buildPostmortem, postmortemJsonSchema, postmortemSchema, renderHtml, renderMarkdown, type Postmortem } from '../client/postmortem';
import { projectRoot } from '../tools/temporal-binaries';
import { startHarness, type Harness } from './support/harness';
import { waitFor } from './support/wait';
import { waitForGate } from './support/gates';

const run = promisify(execFile);
let h: Harness;
let pm: Postmortem;
let id: string;
const HOSTILE = 'checkout <img src=x onerror=alert(1)> | pipes';

beforeAll(async () => {
  h = await startHarness();
  id = await startIncident(
    h.client,
    {
      playbook: 'demo',
      requester: 'alice',
      title: HOSTILE,
      params: { service: `pm-${process.pid}` },
      alerts: [{ source: 'falco', title: 'shell in container', detectedAt: new Date(Date.now() - 90_000).toISOString() }],
    },
    { taskQueue: h.taskQueue },
  );
  await waitForGate(h.client, id);
  await decide(h.client, { incidentId: id, decision: 'approve', approver: 'alice', via: 'cli' });
  await decide(h.client, { incidentId: id, decision: 'approve', approver: 'bob', via: 'slack:U0BOB', reason: 'evidence reviewed' });
  await h.client.workflow.getHandle(id).result();
  // Queries on a completed incident replay its history on the worker: slow when the machine is busy.
  pm = await waitFor(
    'the refusal on the timeline',
    async () => {
      const p = await buildPostmortem(h.client, id, h.deps.store);
      return p.approvals[0]!.refusals.length === 1 ? p : undefined;
    },
    { timeoutMs: 120_000, intervalMs: 250 },
  );
});
afterAll(async () => {
  await h?.stop();
});

describe('the postmortem export', () => {
  it('holds every vote and refusal, the durations and the verified evidence, in its versioned schema', () => {
    expect(postmortemSchema.parse(pm)).toEqual(pm);
    expect(pm).toMatchObject({
      schema: 'tourniquet.postmortem/v1',
      incident: { id, state: 'resolved', mode: 'live' },
      alerts: { total: 1 },
    });
    expect(pm.approvals[0]!.votes).toEqual([
      expect.objectContaining({ approver: 'bob', decision: 'approve', reason: 'evidence reviewed', via: 'slack:U0BOB' }),
    ]);
    expect(pm.approvals[0]!.refusals).toEqual([expect.objectContaining({ actor: 'alice', code: 'SelfApproval', via: 'cli' })]);
    expect(pm.durations.time_to_contain_ms).toBeGreaterThanOrEqual(90_000);
    expect(pm.evidence.verified).toBe(true);
    expect(pm.evidence.entries.every((e) => e.ok)).toBe(true);
  });

  it('ships a JSON Schema that is the one generated from the model (npm run schema)', () => {
    const committed = JSON.parse(readFileSync(join(projectRoot, 'client/postmortem/postmortem.v1.schema.json'), 'utf8'));
    expect(committed).toEqual(postmortemJsonSchema());
  });

  it('reports failed evidence verification when an artifact was altered', async () => {
    const [, dir, file] = /^evidence:\/\/([^/]+)\/(.+)$/.exec(pm.evidence.entries[0]!.uri)!;
    const path = join(h.dir, 'evidence', dir!, file!);
    const original = readFileSync(path);
    await writeFile(path, Buffer.concat([original, Buffer.from(' ')]));
    try {
      const tampered = await buildPostmortem(h.client, id, h.deps.store);
      expect(tampered.evidence.verified).toBe(false);
      expect(renderMarkdown(tampered)).toContain('**FAILED verification**');
    } finally {
      await writeFile(path, original);
    }
  });

  it('as Markdown, lists votes, refusals and every step in tables that hostile text cannot break', () => {
    const md = renderMarkdown(pm);
    expect(md).toContain(`# Postmortem: ${HOSTILE}`);
    expect(md).toContain('| bob | approve |');
    expect(md).toContain('| alice | SelfApproval |');
    expect(md).toContain('checkout <img src=x onerror=alert(1)> \\| pipes');
    expect(md).toContain('Hash chain and artifacts: **verified**');
    for (const step of pm.steps) expect(md).toContain(`| ${step.seq} | ${step.at} | ${step.kind} |`);
  });

  it('as HTML, is one self-contained file with a visual timeline, escaping hostile text — checked in headless Chromium', async () => {
    const html = renderHtml(pm);
    expect(html).not.toMatch(/<script|<link|src="http|href="http/i);
    expect(html).not.toContain('<img src=x');
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;');
    const file = join(h.dir, 'postmortem.html');
    await writeFile(file, html);

    const chromium = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find(existsSync);
    expect(chromium, 'headless Chromium is required for this check (.ci/run installs Debian chromium)').toBeDefined();
    const flags = ['--headless=new', '--no-sandbox', '--disable-gpu', '--hide-scrollbars', '--no-first-run'];
    const dom = (await run(chromium!, [...flags, '--dump-dom', `file://${file}`], { timeout: 60_000 })).stdout;
    const bars = (dom.match(/<rect /g) ?? []).length;
    expect(bars).toBeGreaterThanOrEqual(3); // detection, approval g1, action g1
    expect(dom).toContain('Approval g1');
    const shot = join(h.dir, 'postmortem.png');
    await run(chromium!, [...flags, `--screenshot=${shot}`, '--window-size=1100,1300', `file://${file}`], { timeout: 60_000 });
    expect(statSync(shot).size).toBeGreaterThan(20_000);
    if (process.env.KEEP_SCREENSHOT) await writeFile(process.env.KEEP_SCREENSHOT, readFileSync(shot));
  });

  it('from the CLI, writes JSON that matches the schema', async () => {
    const out = join(h.dir, 'pm.json');
    await run(join(projectRoot, 'bin/tourniquet'), ['export', id, '--format', 'json', '--out', out], {
      env: { ...process.env, TEMPORAL_ADDRESS: h.address, TOURNIQUET_TASK_QUEUE: h.taskQueue, TOURNIQUET_DATA_DIR: h.dir },
    });
    const exported = postmortemSchema.parse(JSON.parse(readFileSync(out, 'utf8')));
    expect(exported.incident.id).toBe(id);
    expect(exported.approvals[0]!.refusals).toHaveLength(1);
  });

  it('files the Markdown postmortem as a GitHub issue once, however often the export runs', async () => {
    const { startFakeGitHub } = await import('./support/fake-github');
    const fake = await startFakeGitHub();
    try {
      await fake.addRepo('acme/incidents');
      const env = {
        ...process.env,
        TEMPORAL_ADDRESS: h.address,
        TOURNIQUET_TASK_QUEUE: h.taskQueue,
        TOURNIQUET_DATA_DIR: h.dir,
        GITHUB_TOKEN: fake.appToken,
        GITHUB_API_URL: fake.url,
      };
      const exportTo = () => run(join(projectRoot, 'bin/tourniquet'), ['export', id, '--github-issue', 'acme/incidents'], { env });
      const first = await exportTo();
      expect(first.stdout.trim()).toBe('filed: https://github.com/acme/incidents/issues/1');
      const again = await exportTo();
      expect(again.stdout.trim()).toBe('already filed: https://github.com/acme/incidents/issues/1');
      const created = fake.callsOf('issues/create');
      expect(created).toHaveLength(1);
      const body = JSON.stringify(created[0]);
      expect(body).toContain(`tourniquet:incident:${id}`);
      expect(body).toContain('| bob | approve |');
      expect(fake.rejections).toEqual([]);
      expect(fake.problems).toEqual([]);
    } finally {
      await fake.stop();
    }
  }, 120_000);
});
