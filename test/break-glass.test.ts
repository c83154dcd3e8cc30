/**
 * break-glass end to end against a real kube-apiserver (test/support/kube/), the worker calling
 * it as its own ServiceAccount with the RBAC and admission guard of deploy/kubernetes/. Access is
 * checked the way the cluster itself decides it: a SubjectAccessReview for the granted user.
 * Expiry after a wait is in break-glass-expiry.test.ts (time-skipping server); expiry while no
 * worker runs, in break-glass-server-restart.test.ts.
 */
import { RbacAuthorizationV1Api, type KubeConfig } from '@kubernetes/client-node';
import { WorkflowFailedError } from '@temporalio/client';
import { MockActivityEnvironment } from '@temporalio/testing';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { DefaultLogger, Worker } from '@temporalio/worker';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  createKubernetesActivities,
  EXPIRES_AT_ANNOTATION,
  EXPIRES_LABEL,
  grantBindingName,
  INCIDENT_LABEL,
  type GrantArgs,
} from '../activities/kubernetes';
import { decide, getStatus, getTimeline, sendCommand, startIncident } from '../client';
import { keyFileSigner } from '../client/signing';
import { approved } from './support/github-leaks';
import { runCli, runCliWith } from './support/cli';
import type { Harness } from './support/harness';
import { grantsIn, testCatalogue, userMay } from './support/kube/break-glass';
import { useKubeSuite } from './support/kube/suite';
import { waitForGate } from './support/gates';
import { waitFor } from './support/wait';
import { FAILURE_TYPES } from '../workflows/failure-types';

const USER = 'alice@example.com';
const kube = useKubeSuite({ harness: ({ ns }) => ({ breakGlass: testCatalogue(ns) }) });
const { open, finished } = kube;
let admin: KubeConfig;
let worker: KubeConfig;
let ns: string;
let h: Harness;
beforeAll(() => {
  ({ admin, worker, ns, h } = kube);
});

afterEach(async () => {
  await kube.cancelOpen();
  // Grants left by a failed test must not make the next one pass.
  for (const b of await grantsIn(admin, ns))
    await admin.makeApiClient(RbacAuthorizationV1Api).deleteNamespacedRoleBinding({ name: b.metadata!.name!, namespace: ns });
});

async function request(params: Record<string, unknown>, options: { mode?: 'live' | 'drill'; requester?: string } = {}) {
  const id = await startIncident(
    h.client,
    {
      playbook: 'break-glass',
      requester: options.requester ?? 'alice',
      mode: options.mode ?? 'live',
      params: { role: 'ns-edit', duration: '30m', reason: 'restore orders after a bad migration', ...params },
    },
    { taskQueue: h.taskQueue },
  );
  open.add(id);
  return id;
}

async function approveTwice(id: string): Promise<void> {
  await decide(h.client, { incidentId: id, decision: 'approve', approver: 'bob', via: 'test' });
  await decide(h.client, { incidentId: id, decision: 'approve', approver: 'dana', via: 'test' });
}

const granted = (id: string) =>
  waitFor(`the grant of ${id}`, async () => (await getStatus(h.client, id)).state === 'contained' && getStatus(h.client, id));
const binding = (id: string) =>
  admin.makeApiClient(RbacAuthorizationV1Api).readNamespacedRoleBinding({ name: grantBindingName(id), namespace: ns });
const quiet = { logger: new DefaultLogger('ERROR') };
const acts = () => createKubernetesActivities({ kubernetes: { kubeConfig: worker }, store: h.deps.store, breakGlass: testCatalogue(ns) });

describe('break-glass', () => {
  it('grants the role after two approvals, labelled with the incident and expiry, and revokes it on request', async () => {
    const id = await request({});
    const status = await waitForGate(h.client, id);
    const gate = status.gates[0]!;
    expect(gate).toMatchObject({
      action: 'kubeGrantAccess',
      target: `rolebindings/${ns}/${grantBindingName(id)}`,
      policy: 'two-person',
      quorum: 2,
    });
    expect(gate.step).toBe(
      `Grant ns-edit (tourniquet-breakglass-edit) to ${USER} in namespace ${ns} for 30m — "restore orders after a bad migration"`,
    );
    expect(status.evidence[0]!.facts).toMatchObject({
      clusterRole: 'tourniquet-breakglass-edit',
      user: USER,
      namespace: ns,
      durationMs: 30 * 60_000,
    });
    const plan = JSON.parse((await h.deps.store.get(status.evidence[0]!.uri)).toString());
    expect(plan.clusterRole.rules.length).toBeGreaterThan(0);

    // The requester cannot approve, and one approval is not enough.
    expect(await decide(h.client, { incidentId: id, decision: 'approve', approver: 'alice', via: 'test' })).toMatchObject({
      applied: false,
      code: 'SelfApproval',
    });
    await decide(h.client, { incidentId: id, decision: 'approve', approver: 'bob', via: 'test' });
    expect(await userMay(admin, USER, 'delete', 'pods', ns)).toBe(false);
    await decide(h.client, { incidentId: id, decision: 'approve', approver: 'dana', via: 'test' });

    const contained = await granted(id);
    expect(contained.clock.durations.time_to_contain_ms).toBeGreaterThan(0);
    expect(await userMay(admin, USER, 'delete', 'pods', ns)).toBe(true);
    expect(await userMay(admin, USER, 'delete', 'pods', 'default')).toBe(false);
    expect(await userMay(admin, USER, 'get', 'secrets', ns)).toBe(false);
    const rb = await binding(id);
    expect(rb.metadata!.labels).toMatchObject({ 'app.kubernetes.io/managed-by': 'tourniquet', [INCIDENT_LABEL]: id });
    const expiresAt = Date.parse(rb.metadata!.annotations![EXPIRES_AT_ANNOTATION]!);
    expect(Number(rb.metadata!.labels![EXPIRES_LABEL])).toBe(Math.floor(expiresAt / 1000));
    expect(expiresAt - Date.parse(contained.gates[0]!.closed_at!)).toBe(30 * 60_000);

    // Commands are signed too: an unsigned revoke, or an extension signed with someone else's key, is refused.
    expect(await sendCommand(h.client, { incidentId: id, command: 'revoke', by: 'carol', via: 'test', signer: null })).toMatchObject({
      applied: false,
      code: 'Unauthenticated',
    });
    const bobsKey = keyFileSigner(join(process.env.TOURNIQUET_KEYS_DIR!, 'bob'));
    expect(
      await sendCommand(h.client, {
        incidentId: id,
        command: 'extend',
        by: 'alice',
        args: { duration: '30m' },
        reason: 'still restoring',
        via: 'test',
        signer: bobsKey,
      }),
    ).toMatchObject({
      applied: false,
      code: 'Unauthenticated',
    });
    expect(await userMay(admin, USER, 'delete', 'pods', ns)).toBe(true);

    // Anyone may take access away early; it is recorded who did.
    const revoked = await sendCommand(h.client, { incidentId: id, command: 'revoke', by: 'carol', reason: 'migration fixed', via: 'test' });
    expect(revoked).toMatchObject({ applied: true });
    const final = await finished(id);
    expect(final.state).toBe('resolved');
    expect(await userMay(admin, USER, 'delete', 'pods', ns)).toBe(false);
    expect(await grantsIn(admin, ns)).toEqual([]);

    const timeline = await getTimeline(h.client, id);
    const kinds = timeline.map((e) => e.kind);
    for (const k of [
      'evidence.recorded',
      'approval.requested',
      'approval.closed',
      'action.completed',
      'verify.passed',
      'incident.contained',
      'command.received',
      'incident.update',
      'incident.finished',
    ] as const) {
      expect(kinds).toContain(k);
    }
    expect(timeline.find((e) => e.kind === 'command.received')).toMatchObject({
      actor: 'carol',
      summary: 'carol asked to revoke: migration fixed',
    });
    const updates = timeline.filter((e) => e.kind === 'incident.update').map((e) => e.summary);
    expect(updates[0]).toMatch(new RegExp(`^Access granted: ${USER} has ns-edit in namespace ${ns} until `));
    expect(updates.at(-1)).toMatch(/^Access revoked: .*revoked early by carol: migration fixed/);
    expect(
      timeline
        .filter((e) => e.kind === 'action.completed')
        .map((e) => e.summary)
        .at(-1),
    ).toMatch(/^Revoked RoleBinding/);
    const announced = h.notifier.of(id, 'incident.update').map((e) => e.summary);
    expect(announced).toEqual(updates);
  });

  it('extends only with a fresh approval, asked by the requester, within the catalogue limit', async () => {
    const id = await request({});
    await waitForGate(h.client, id);
    await approveTwice(id);
    await granted(id);
    const before = Date.parse((await binding(id)).metadata!.annotations![EXPIRES_AT_ANNOTATION]!);

    expect(
      await sendCommand(h.client, { incidentId: id, command: 'extend', by: 'bob', args: { duration: '30m' }, via: 'test' }),
    ).toMatchObject({ applied: false, code: 'CommandNotPermitted' });
    expect(
      await sendCommand(h.client, {
        incidentId: id,
        command: 'extend',
        by: 'alice',
        args: { duration: 'forever' },
        reason: 'still restoring',
        via: 'test',
      }),
    ).toMatchObject({ applied: false, code: 'InvalidCommand' });
    // The approvers judge an extension by its reason, as they judged the grant.
    expect(
      await sendCommand(h.client, { incidentId: id, command: 'extend', by: 'alice', args: { duration: '30m' }, via: 'test' }),
    ).toMatchObject({
      applied: false,
      code: 'InvalidCommand',
      message: 'extend: reason: at least 10 characters, for the people who approve it',
    });
    expect(await sendCommand(h.client, { incidentId: id, command: 'escalate', by: 'alice', via: 'test' })).toMatchObject({
      applied: false,
      code: 'UnknownCommand',
    });
    // The catalogue allows ns-edit for 2h in all.
    await sendCommand(h.client, {
      incidentId: id,
      command: 'extend',
      by: 'alice',
      args: { duration: '2h' },
      reason: 'still restoring',
      via: 'test',
    });
    await waitFor('the over-limit extension refused', async () =>
      (await getTimeline(h.client, id)).some((e) => e.summary.startsWith('Extension by 2h refused')),
    );

    await sendCommand(h.client, {
      incidentId: id,
      command: 'extend',
      by: 'alice',
      args: { duration: '30m' },
      reason: 'still restoring',
      via: 'test',
    });
    const extension = (await waitForGate(h.client, id)).gates[1]!;
    expect(extension).toMatchObject({ action: 'kubeExtendGrant', status: 'open', policy: 'two-person' });
    expect(Date.parse(extension.deadline)).toBeLessThanOrEqual(before);
    await decide(h.client, { incidentId: id, gateId: extension.id, decision: 'approve', approver: 'bob', via: 'test' });
    await decide(h.client, { incidentId: id, gateId: extension.id, decision: 'approve', approver: 'erin', via: 'test' });
    await waitFor(
      'the expiry moved',
      async () => Date.parse((await binding(id)).metadata!.annotations![EXPIRES_AT_ANNOTATION]!) === before + 30 * 60_000,
    );
    expect(Number((await binding(id)).metadata!.labels![EXPIRES_LABEL])).toBe(Math.floor((before + 30 * 60_000) / 1000));

    // A second extension, denied: the grant keeps its expiry.
    await sendCommand(h.client, {
      incidentId: id,
      command: 'extend',
      by: 'alice',
      args: { duration: '15m' },
      reason: 'a little longer please',
      via: 'test',
    });
    await waitForGate(h.client, id);
    await decide(h.client, { incidentId: id, gateId: 'g3', decision: 'deny', approver: 'dana', reason: 'enough', via: 'test' });
    await waitFor('the denial announced', async () =>
      (await getTimeline(h.client, id)).some((e) => e.summary.startsWith('Extension not granted')),
    );
    expect(Date.parse((await binding(id)).metadata!.annotations![EXPIRES_AT_ANNOTATION]!)).toBe(before + 30 * 60_000);

    await sendCommand(h.client, { incidentId: id, command: 'revoke', by: 'alice', via: 'test' });
    expect((await finished(id)).state).toBe('resolved');
    expect(await grantsIn(admin, ns)).toEqual([]);

    // Commands, three gates and an undo: this history replays on the current code, and is kept
    // as a fixture (RECORD_HISTORIES=1) for test/replay.test.ts to replay on future code.
    const history = await h.client.workflow.getHandle(id).fetchHistory();
    await Worker.runReplayHistory({ workflowBundle: { codePath: inject('workflowBundlePath') } }, history, id);
    if (process.env.RECORD_HISTORIES === '1')
      writeFileSync(join(import.meta.dirname, 'histories', 'break-glass-extended.json'), historyToJSON(history));
  });

  it('a revoke while extensions await approval goes first: the pending one is cancelled, queued ones never asked', async () => {
    const id = await request({});
    await waitForGate(h.client, id);
    await approveTwice(id);
    await granted(id);
    for (const duration of ['30m', '20m', '10m']) {
      expect(
        await sendCommand(h.client, {
          incidentId: id,
          command: 'extend',
          by: 'alice',
          args: { duration },
          reason: 'still restoring the orders',
          via: 'test',
        }),
      ).toMatchObject({ applied: true });
    }
    await waitForGate(h.client, id);
    await sendCommand(h.client, { incidentId: id, command: 'revoke', by: 'dana', reason: 'suspicious', via: 'test' });
    const final = await finished(id);
    expect(final.gates).toHaveLength(2);
    expect(final.gates[1]).toMatchObject({ status: 'cancelled', closed_reason: 'dana asked to revoke' });
    expect(await grantsIn(admin, ns)).toEqual([]);
  });

  it('cancelling the incident while access is held takes the access away', async () => {
    const id = await request({});
    await waitForGate(h.client, id);
    await approveTwice(id);
    await granted(id);
    await h.client.workflow.getHandle(id).cancel();
    await waitFor('the incident cancelled', async () => (await getStatus(h.client, id)).state === 'cancelled');
    open.delete(id);
    expect(await grantsIn(admin, ns)).toEqual([]);
    expect(await userMay(admin, USER, 'delete', 'pods', ns)).toBe(false);
    const timeline = await getTimeline(h.client, id);
    expect(
      timeline
        .filter((e) => e.kind === 'action.completed')
        .map((e) => e.summary)
        .at(-1),
    ).toMatch(/^Revoked RoleBinding .*: the incident ended before the grant was revoked$/);
    expect(timeline.map((e) => e.kind)).toContain('compensation.completed');
  });

  it('grants nothing when an approver denies, and takes no commands before a grant', async () => {
    const id = await request({});
    await waitForGate(h.client, id);
    const early = await sendCommand(h.client, { incidentId: id, command: 'revoke', by: 'bob', via: 'test' });
    expect(early).toMatchObject({ applied: false, code: 'CommandNotAccepted' });
    await decide(h.client, { incidentId: id, decision: 'deny', approver: 'bob', reason: 'use the runbook instead', via: 'test' });
    const final = await finished(id);
    expect(final.state).toBe('denied');
    expect(await grantsIn(admin, ns)).toEqual([]);
    const refused = (await getTimeline(h.client, id)).find((e) => e.kind === 'approval.refused');
    expect(refused).toMatchObject({ actor: 'bob', details: { code: 'CommandNotAccepted' } });
  });

  it('in a drill, asks for approval (marked DRILL) and grants nothing: server-side dry runs only', async () => {
    const id = await request({}, { mode: 'drill' });
    await waitForGate(h.client, id);
    await approveTwice(id);
    const final = await finished(id);
    expect(final.state).toBe('resolved');
    expect(final.mode).toBe('drill');
    expect(await grantsIn(admin, ns)).toEqual([]);
    const timeline = await getTimeline(h.client, id);
    const done = timeline.filter((e) => e.kind === 'action.completed').map((e) => e.summary);
    expect(done[0]).toMatch(new RegExp(`^DRILL: would grant tourniquet-breakglass-edit to ${USER} in namespace ${ns} until `));
    expect(done[1]).toMatch(/^DRILL: would delete RoleBinding/);
    expect(timeline.find((e) => e.kind === 'incident.update')!.summary).toMatch(/^DRILL nothing was granted/);
  });

  it('refuses what the catalogue does not allow, before any gate, saying why', async () => {
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ role: 'cluster-admin' }, /"cluster-admin" is not in the break-glass catalogue; it has: ns-edit, viewer/],
      [{ role: 'ns-edit', scope: 'kube-system' }, /ns-edit cannot be granted in namespace kube-system/],
      [{ role: 'ns-edit', scope: 'cluster' }, /ns-edit cannot be granted cluster-wide/],
      [{ role: 'ns-edit', duration: '3h' }, /ns-edit is granted for at most 120 min; asked for 180 min/],
      [{ role: 'viewer' }, /viewer needs a scope: \*, cluster/],
    ];
    for (const [params, message] of cases) {
      const id = await request(params);
      const err = await h.client.workflow
        .getHandle(id)
        .result()
        .catch((e: unknown) => e);
      open.delete(id);
      expect(err).toBeInstanceOf(WorkflowFailedError);
      expect((await getStatus(h.client, id)).outcome).toMatch(message);
      expect((await getStatus(h.client, id)).gates).toEqual([]);
    }
  });

  it('grants cluster-wide with a ClusterRoleBinding when the catalogue allows it', async () => {
    const id = await request({ role: 'viewer', scope: 'cluster', duration: '1h' });
    await waitForGate(h.client, id);
    await approveTwice(id);
    await granted(id);
    expect(await userMay(admin, USER, 'list', 'pods', 'kube-system')).toBe(true);
    await sendCommand(h.client, { incidentId: id, command: 'revoke', by: 'alice', via: 'test' });
    await finished(id);
    expect(await userMay(admin, USER, 'list', 'pods', 'kube-system')).toBe(false);
  });

  it('resumes after a worker restart while access is held, and revokes once', async () => {
    const id = await request({});
    await waitForGate(h.client, id);
    await approveTwice(id);
    await granted(id);
    await h.stopWorker();
    // With no worker nobody confirms the command: the person is told so, not that it was done.
    const unconfirmed = await sendCommand(h.client, { incidentId: id, command: 'revoke', by: 'bob', via: 'test', timeoutMs: 2_000 });
    expect(unconfirmed).toMatchObject({
      applied: false,
      code: 'EngineUnavailable',
      message: expect.stringContaining('may still apply when a worker returns'),
    });
    expect(await userMay(admin, USER, 'delete', 'pods', ns)).toBe(true);
    await h.startWorker();
    // The server may have kept that one and delivered it to the returning worker, or not: asking
    // again is either taken, or finds the revoke under way (commands closed) or the incident over.
    // Either way access goes, once.
    const again = await sendCommand(h.client, { incidentId: id, command: 'revoke', by: 'bob', via: 'test' });
    expect(again.applied ? 'taken' : again.code).toMatch(/^(taken|CommandNotAccepted|IncidentEnded)$/);
    await finished(id);
    expect(await grantsIn(admin, ns)).toEqual([]);
    const done = (await getTimeline(h.client, id)).filter((e) => e.kind === 'action.completed').map((e) => e.summary);
    expect(done.filter((s) => s.startsWith('Granted'))).toHaveLength(1);
    expect(done.filter((s) => s.startsWith('Revoked'))).toHaveLength(1);
  });

  it('runs from the CLI: request, refused extension by someone else, revoke', async () => {
    const cli = (...args: string[]) => runCli(h, ...args);
    const started = await cli(
      'breakglass',
      'request',
      'ns-edit',
      '30m',
      '--as',
      'alice',
      '--reason',
      'restore orders after a bad migration',
    );
    expect(started.code).toBe(0);
    const id = started.stdout.trim();
    expect(id).toMatch(/^inc-break-glass-[a-z2-9]{8}$/);
    open.add(id);
    await waitForGate(h.client, id);
    await approveTwice(id);
    await granted(id);
    const notHers = await cli('breakglass', 'extend', id, '30m', '--as', 'bob', '--reason', 'bob wants it longer');
    expect(notHers.code).toBe(2);
    expect(notHers.stdout).toContain('refused (CommandNotPermitted): only alice, who requested this incident, may ask to extend');
    const revoked = await cli('breakglass', 'revoke', id, '--as', 'carol', '--reason', 'done');
    expect(revoked).toMatchObject({ code: 0, stdout: `revoke requested for ${id}: the grant is being removed\n` });
    await finished(id);
    expect(await grantsIn(admin, ns)).toEqual([]);
    const bad = await cli('breakglass', 'request', 'ns-edit', '9h', '--as', 'alice', '--reason', 'restore orders after a bad migration');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('a duration between 1m and 8h');
  });

  it('sweep deletes expired grants whose incident is gone (a terminated workflow), and leaves the rest', async () => {
    const rbac = admin.makeApiClient(RbacAuthorizationV1Api);
    const made = (name: string, incidentId: string, expiresSec: number) =>
      rbac.createNamespacedRoleBinding({
        namespace: ns,
        body: {
          metadata: {
            name,
            labels: { 'app.kubernetes.io/managed-by': 'tourniquet', [INCIDENT_LABEL]: incidentId, [EXPIRES_LABEL]: String(expiresSec) },
            annotations: { 'tourniquet.io/incident-id': incidentId },
          },
          roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'tourniquet-breakglass-view' },
          subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: 'erin' }],
        },
      });
    const nowSec = Math.floor(Date.now() / 1000);
    // A grant left by a terminated incident: expired, and its workflow no longer running.
    const terminated = await request({});
    await waitForGate(h.client, terminated);
    await h.client.workflow.getHandle(terminated).terminate('test: terminated by hand');
    open.delete(terminated);
    await made('left-behind', terminated, nowSec - 60);
    // Expired too, but its incident still runs: the incident's own timer is responsible.
    const running = await request({});
    await waitForGate(h.client, running);
    await made('overdue', running, nowSec - 60);
    await made('not-yet', 'inc-someone-else', nowSec + 3600);

    const names = async () => (await grantsIn(admin, ns)).map((b) => b.metadata!.name).sort();
    // As an operator runs it: the CLI with a kubeconfig that may list and delete bindings.
    const kubeconfig = join(h.dir, 'operator.kubeconfig');
    writeFileSync(kubeconfig, admin.exportConfig(), { mode: 0o600 });
    const sweep = (...flags: string[]) => runCliWith(h, { KUBECONFIG: kubeconfig }, 'breakglass', 'sweep', '--json', ...flags);
    const preview = await sweep('--dry-run');
    expect(preview.code, preview.stderr).toBe(0);
    const ours = (rows: { namespace?: string; name: string; outcome: string }[]) =>
      rows
        .filter((g) => g.namespace === ns)
        .map((g) => [g.name, g.outcome])
        .sort();
    expect(ours(JSON.parse(preview.stdout))).toEqual([
      ['left-behind', 'would delete'],
      ['not-yet', 'not expired'],
      ['overdue', 'overdue: its incident is still running (is a worker running?)'],
    ]);
    expect(await names()).toEqual(['left-behind', 'not-yet', 'overdue']);
    const swept = await sweep();
    expect(JSON.parse(swept.stdout).find((g: { name: string }) => g.name === 'left-behind')).toMatchObject({
      outcome: 'deleted',
      incidentId: terminated,
    });
    expect(await names()).toEqual(['not-yet', 'overdue']);
  });

  it('grant, extend and revoke are idempotent, and never touch a binding another incident made', async () => {
    const args: GrantArgs = {
      binding: grantBindingName('inc-idem'),
      clusterRole: 'tourniquet-breakglass-view',
      user: 'erin',
      namespace: ns,
      durationMs: 60_000,
    };
    const env = (type: string) => new MockActivityEnvironment({ activityType: type }, quiet);
    const grant = approved('kubeGrantAccess', `rolebindings/${ns}/${args.binding}`, args, { incidentId: 'inc-idem' });
    expect(await env('kubeGrantAccess').run(acts().kubeGrantAccess, grant)).toMatchObject({ changed: true });
    expect(await env('kubeGrantAccess').run(acts().kubeGrantAccess, grant)).toMatchObject({
      changed: false,
      summary: expect.stringContaining('already grants'),
    });

    const other = approved('kubeGrantAccess', `rolebindings/${ns}/${args.binding}`, args, { incidentId: 'inc-other' });
    await expect(env('kubeGrantAccess').run(acts().kubeGrantAccess, other)).rejects.toMatchObject({ type: FAILURE_TYPES.BindingNotOurs });
    const undo = {
      incidentId: 'inc-other',
      action: 'kubeRevokeGrant',
      target: '',
      args: { binding: args.binding, namespace: ns },
      dryRun: false,
      reason: 'test',
      requestedBy: 'test',
    };
    await expect(env('kubeRevokeGrant').run(acts().kubeRevokeGrant, undo)).rejects.toMatchObject({ type: FAILURE_TYPES.BindingNotOurs });

    const mine = { ...undo, incidentId: 'inc-idem' };
    expect(await env('kubeRevokeGrant').run(acts().kubeRevokeGrant, mine)).toMatchObject({ changed: true });
    expect(await env('kubeRevokeGrant').run(acts().kubeRevokeGrant, mine)).toMatchObject({
      changed: false,
      summary: expect.stringContaining('already gone'),
    });
    const extend = approved(
      'kubeExtendGrant',
      '',
      { binding: args.binding, namespace: ns, expiresAt: new Date().toISOString() },
      { incidentId: 'inc-idem' },
    );
    await expect(env('kubeExtendGrant').run(acts().kubeExtendGrant, extend)).rejects.toMatchObject({ type: FAILURE_TYPES.BindingMissing });
  });

  it('fails the step with the API server’s reason when the worker may not bind the role (403)', async () => {
    const args: GrantArgs = {
      binding: grantBindingName('inc-403'),
      clusterRole: 'cluster-admin',
      user: 'erin',
      namespace: ns,
      durationMs: 60_000,
    };
    const env = new MockActivityEnvironment({ activityType: 'kubeGrantAccess' }, quiet);
    const err = await env
      .run(acts().kubeGrantAccess, approved('kubeGrantAccess', '', args, { incidentId: 'inc-403' }))
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ type: FAILURE_TYPES.KubernetesRejected, nonRetryable: true });
    expect((err as Error).message).toMatch(/^Kubernetes refused creating RoleBinding .*: 403 /);
  });
});
