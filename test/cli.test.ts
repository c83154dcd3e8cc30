/**
 * The `tourniquet` command as a person runs it: a real process, real exit codes, real output.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decide, startIncident } from '../client';
import { runCli } from './support/cli';
import { startHarness, type Harness } from './support/harness';
import { waitFor } from './support/wait';
import { waitForGate } from './support/gates';

/** Each CLI call is a fresh Node process (~1.5 s, more on a loaded 2-core machine): a generous bound, not a speed check. */
const CLI_TEST_TIMEOUT_MS = 180_000;
let h: Harness;

beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h?.stop();
});

function tourniquet(...args: string[]) {
  return runCli(h, ...args);
}

describe('tourniquet', () => {
  it(
    'runs a demo incident: start, refused self-approval, eligible approval, timeline with durations, verified evidence',
    async () => {
      const started = await tourniquet('start', 'demo', '--requester', 'alice', '--param', 'service=cli-demo');
      expect(started.code).toBe(0);
      const id = started.stdout.trim();
      expect(id).toMatch(/^inc-demo-[a-z2-9]{8}$/);

      await waitFor('the gate to open', async () => {
        const s = await tourniquet('status', id, '--json');
        return JSON.parse(s.stdout).state === 'awaiting-approval';
      });
      const human = await tourniquet('status', id);
      expect(human.stdout).toContain(`${id}  AWAITING-APPROVAL`);
      expect(human.stdout).toContain('requester alice cannot approve');

      const self = await tourniquet('approve', id, '--as', 'alice');
      expect(self.code).toBe(2);
      expect(self.stdout.trim()).toBe('refused (SelfApproval): alice requested this incident and cannot approve their own request');

      const ok = await tourniquet('approve', id, '--as', 'bob', '--reason', 'evidence reviewed');
      expect(ok.code).toBe(0);
      expect(ok.stdout.trim()).toBe('approved g1 (Quarantine service cli-demo): gate is approved');

      const timeline = await waitFor('the incident to resolve', async () => {
        const t = JSON.parse((await tourniquet('timeline', id, '--json')).stdout);
        return t.state === 'resolved' ? t : undefined;
      });
      expect(timeline.events.map((e: { kind: string }) => e.kind)).toEqual(
        expect.arrayContaining([
          'evidence.recorded',
          'approval.requested',
          'approval.refused',
          'approval.vote',
          'action.started',
          'action.completed',
          'verify.passed',
          'incident.contained',
        ]),
      );
      for (const e of timeline.events) expect(Date.parse(e.at)).not.toBeNaN();
      expect(timeline.clock.durations.time_to_contain_ms).toBeGreaterThan(0);
      expect(timeline.clock.durations.time_to_approve_ms).toBeGreaterThan(0);

      const verified = await tourniquet('verify-evidence', id, '--json');
      expect(verified.code).toBe(0);
      expect(JSON.parse(verified.stdout)).toMatchObject({ id, ok: true, entries: [{ ok: true }, { ok: true }, { ok: true }] });

      const list = JSON.parse((await tourniquet('list', '--json')).stdout);
      expect(list).toContainEqual(expect.objectContaining({ id, playbook: 'demo', state: 'resolved' }));
    },
    CLI_TEST_TIMEOUT_MS,
  );

  it(
    'reports MTTA and MTTC per playbook',
    async () => {
      const id = await startIncident(
        h.client,
        { playbook: 'demo', requester: 'alice', params: { service: `cli-report-${process.pid}` } },
        { taskQueue: h.taskQueue },
      );
      await waitForGate(h.client, id);
      await decide(h.client, { incidentId: id, decision: 'approve', approver: 'bob', via: 'test' });
      await h.client.workflow.getHandle(id).result();
      const report = JSON.parse((await tourniquet('report', '--since', '1h', '--json')).stdout);
      const demo = report.playbooks.find((p: { playbook: string }) => p.playbook === 'demo');
      expect(demo.incidents).toBeGreaterThanOrEqual(1);
      expect(demo.time_to_contain.n).toBeGreaterThanOrEqual(1);
      expect(demo.time_to_contain.median_ms).toBeGreaterThan(0);
      const reportText = await tourniquet('report', '--since', '1h');
      expect(reportText.stdout).toMatch(/^since .*\nplaybook\s+incidents\s+drills\s+MTTA p50 \/ p90/);
      expect((await tourniquet('report', '--since', 'lately')).stderr).toContain('--since takes a duration like 7d or 12h');
    },
    CLI_TEST_TIMEOUT_MS,
  );

  it(
    'explains bad input and exits non-zero without starting anything',
    async () => {
      const badParam = await tourniquet('start', 'demo', '--requester', 'alice', '--param', 'service=Not Valid');
      expect(badParam.code).toBe(2);
      expect(badParam.stderr).toMatch(/invalid params for playbook demo[\s\S]*→ at service/);

      const unknownParam = await tourniquet('start', 'demo', '--requester', 'alice', '--param', 'bogus=1');
      expect(unknownParam.code).toBe(2);
      expect(unknownParam.stderr.trim()).toBe('unknown param "bogus" for playbook demo; known: service, simulateVerifyFailure');

      const noPlaybook = await tourniquet('start', 'nope', '--requester', 'alice');
      expect(noPlaybook.code).toBe(2);
      expect(noPlaybook.stderr).toContain('unknown playbook "nope"; known: demo');

      const denyWithoutReason = await tourniquet('deny', 'inc-demo-whatever', '--as', 'bob');
      expect(denyWithoutReason.code).not.toBe(0);
      expect(denyWithoutReason.stderr).toContain("required option '--reason <text>' not specified");
    },
    CLI_TEST_TIMEOUT_MS,
  );
});
