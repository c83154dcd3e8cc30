/**
 * Decisions whose identity is proven: on the real dev server, every way a program that merely
 * reaches Temporal could try to decide or to write the audit is refused, and leaves nothing on
 * the timeline as a decision.
 */
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cancelIncident, decide, getStatus, getTimeline, startIncident } from '../client';
import { keyFileSigner } from '../client/signing';
import { decideUpdate, decisionStatement, refusalSignal, type DecisionInput, type IncidentStatus, type TimelineEvent } from '../workflows';
import { waitForGate } from './support/gates';
import { startHarness, type Harness } from './support/harness';
import { testTrust } from './support/keys';
import { waitFor } from './support/wait';

let h: Harness;
let demo: Harness;
beforeAll(async () => {
  [h, demo] = await Promise.all([startHarness(), startHarness({ trust: { ...testTrust(), mode: 'unauthenticated' } })]);
});
afterAll(async () => {
  await Promise.all([h?.stop(), demo?.stop()]);
});

const keyOf = (identity: string) => keyFileSigner(join(process.env.TOURNIQUET_KEYS_DIR!, identity));
const gatewayKey = () => keyFileSigner(process.env.TOURNIQUET_SLACK_GATEWAY_KEY!);

let seq = 0;
async function openIncident(on: Harness = h): Promise<{ id: string; status: IncidentStatus }> {
  const id = await startIncident(
    on.client,
    { playbook: 'demo', requester: 'alice', params: { service: `sig-${process.pid}-${++seq}` } },
    { taskQueue: on.taskQueue },
  );
  return { id, status: await waitForGate(on.client, id) };
}

/** A decision as a foreign client would build it, signed with whatever key it likes (or none). */
async function rawDecision(
  id: string,
  status: IncidentStatus,
  fields: Partial<DecisionInput> & { signWith?: string | 'gateway' },
): Promise<DecisionInput> {
  const gate = status.gates[0]!;
  const input: DecisionInput = {
    gateId: gate.id,
    digest: gate.digest,
    decision: 'approve',
    approver: 'bob',
    via: 'cli',
    validUntil: new Date(Date.now() + 60_000).toISOString(),
    nonce: `n-${Math.random().toString(36).slice(2)}`,
    ...fields,
  };
  delete (input as { signWith?: string }).signWith;
  if (fields.signWith) {
    const signer = fields.signWith === 'gateway' ? gatewayKey() : keyOf(fields.signWith);
    input.signature = await signer.sign(
      decisionStatement({ ...input, via: input.via ?? 'api', incidentId: id, runStartedAt: gate.runStartedAt }),
    );
  }
  return input;
}

async function refusedCode(id: string, input: DecisionInput): Promise<string | undefined> {
  try {
    await h.client.workflow.getHandle(id).executeUpdate(decideUpdate, { args: [input] });
    return undefined;
  } catch (err) {
    if (err instanceof WorkflowUpdateFailedError) return (err.cause as { type?: string }).type;
    throw err;
  }
}

const decisions = (events: TimelineEvent[]) => events.filter((e) => e.kind === 'approval.vote' || e.kind === 'approval.refused');

describe('a decision is taken only with a signature from a key bound to the approver', () => {
  it('refuses a foreign client’s unsigned decide, and one signed with someone else’s key, before history', async () => {
    const { id, status } = await openIncident();
    expect(await refusedCode(id, await rawDecision(id, status, {}))).toBe('Unauthenticated');
    expect(await refusedCode(id, await rawDecision(id, status, { signWith: 'carol' }))).toBe('Unauthenticated');
    // the gateway's key speaks only for the Slack user it names, and that user must be the approver
    expect(await refusedCode(id, await rawDecision(id, status, { signWith: 'gateway', via: 'slack:U0MALLORY' }))).toBe('Unauthenticated');
    // a signed decision may not claim to stay valid for long: a captured one would be a standing approval
    const farFuture = new Date(Date.now() + 24 * 3600_000).toISOString();
    expect(await refusedCode(id, await rawDecision(id, status, { signWith: 'bob', validUntil: farFuture }))).toBe('Unauthenticated');
    // the signature covers the reason: changing it after signing breaks it
    const signed = await rawDecision(id, status, { signWith: 'bob', reason: 'checked the evidence' });
    expect(await refusedCode(id, { ...signed, reason: 'checked nothing' })).toBe('Unauthenticated');

    const after = await getStatus(h.client, id);
    expect(after.gates[0]).toMatchObject({ status: 'open', votes: [], authentication: 'signed' });
    expect(decisions(await getTimeline(h.client, id))).toEqual([]);
  });

  it('takes the approver’s own signed decision once, and records who signed it with which key', async () => {
    // Verification fails, so the incident then waits on its compensation gate g2: it is still
    // running, and answers, when the same decision comes again (an ended one would not).
    const id = await startIncident(
      h.client,
      { playbook: 'demo', requester: 'alice', params: { service: `sig-${process.pid}-${++seq}`, simulateVerifyFailure: true } },
      { taskQueue: h.taskQueue },
    );
    const status = await waitForGate(h.client, id);
    const input = await rawDecision(id, status, { signWith: 'bob' });
    await h.client.workflow.getHandle(id).executeUpdate(decideUpdate, { args: [input] });
    const vote = (await getStatus(h.client, id)).gates[0]!.votes[0]!;
    expect(vote).toMatchObject({
      approver: 'bob',
      signer: { by: 'person', key: keyOf('bob').publicKey!.fingerprint },
      nonce: input.nonce,
      signature: input.signature,
    });
    await waitFor('the compensation gate', async () =>
      (await getStatus(h.client, id)).gates.some((g) => g.id === 'g2' && g.status === 'open'),
    );
    // the same signed decision again, under another update id: gate g1 closed on that vote
    expect(await refusedCode(id, input)).toBe('GateClosed');
    expect((await getTimeline(h.client, id)).filter((e) => e.kind === 'approval.vote')).toHaveLength(1);
    await h.client.workflow.getHandle(id).cancel();
  });

  it('refuses a replayed nonce on a gate that is still open (quorum of two)', async () => {
    const id = await startIncident(
      h.client,
      { playbook: 'demo', requester: 'alice', policy: 'two-person', params: { service: `sig2-${++seq}` } },
      { taskQueue: h.taskQueue },
    );
    const status = await waitForGate(h.client, id);
    const bob = await rawDecision(id, status, { signWith: 'bob' });
    await h.client.workflow.getHandle(id).executeUpdate(decideUpdate, { args: [bob] });
    // carol's decision reusing bob's nonce: whoever sent it, that delivery was already taken
    expect(await refusedCode(id, await rawDecision(id, status, { signWith: 'carol', approver: 'carol', nonce: bob.nonce! }))).toBe(
      'Replayed',
    );
    expect((await getStatus(h.client, id)).gates[0]).toMatchObject({ status: 'open', approvalsRemaining: 1 });
  });

  it('accepts the Slack gateway’s signature only for the identity mapped to the Slack user who clicked', async () => {
    const policies = {
      groups: { oncall: ['alice', 'bob', 'carol'] },
      people: { bob: { slack: 'U0BOB' } },
      policies: {
        standard: { approvers: ['@oncall'], quorum: 1, timeout: '10m' },
        'two-person': { approvers: ['@oncall'], quorum: 2, timeout: '10m' },
      },
    };
    const slackH = await startHarness({ policies });
    try {
      const { id, status } = await openIncident(slackH);
      const asCarol = await rawDecision(id, status, { signWith: 'gateway', approver: 'carol', via: 'slack:U0BOB' });
      const code = await slackH.client.workflow
        .getHandle(id)
        .executeUpdate(decideUpdate, { args: [asCarol] })
        .then(
          () => undefined,
          (e: WorkflowUpdateFailedError) => (e.cause as { type?: string }).type,
        );
      expect(code).toBe('Unauthenticated');
      const asBob = await rawDecision(id, status, { signWith: 'gateway', approver: 'bob', via: 'slack:U0BOB' });
      await slackH.client.workflow.getHandle(id).executeUpdate(decideUpdate, { args: [asBob] });
      expect((await getStatus(slackH.client, id)).gates[0]!.votes[0]).toMatchObject({
        approver: 'bob',
        via: 'slack:U0BOB',
        signer: { by: 'slack-gateway' },
      });
    } finally {
      await slackH.stop();
    }
  });
});

describe('the refusal audit cannot be forged', () => {
  it('drops refusal signals that carry no signed decision, or one that proves nothing was refused', async () => {
    const { id, status } = await openIncident();
    const handle = h.client.workflow.getHandle(id);
    // the attack from the issue: a made-up refusal in the old shape
    await handle.signal(refusalSignal, { approver: 'dana', code: 'ReasonRequired', message: 'made up', via: 'slack' } as never);
    // an unsigned decision, and one signed by the wrong key
    await handle.signal(refusalSignal, { decision: await rawDecision(id, status, { approver: 'alice' }) });
    await handle.signal(refusalSignal, { decision: await rawDecision(id, status, { approver: 'alice', signWith: 'carol' }) });
    // bob's valid decision is not a refusal: it cannot be turned into one
    await handle.signal(refusalSignal, { decision: await rawDecision(id, status, { signWith: 'bob' }) });
    // then a real one, sent twice: the requester approving her own incident, signed by her
    const self = await rawDecision(id, status, { approver: 'alice', signWith: 'alice' });
    await handle.signal(refusalSignal, { decision: self });
    await handle.signal(refusalSignal, { decision: self });
    const refused = await waitFor('the proven refusal on the timeline', async () => {
      const events = (await getTimeline(h.client, id)).filter((e) => e.kind === 'approval.refused');
      return events.length > 0 ? events : undefined;
    });
    // signals are applied in order: by now all the earlier ones have been looked at and dropped
    expect(refused).toHaveLength(1);
    expect(refused[0]).toMatchObject({ actor: 'alice', details: { code: 'SelfApproval', signer: { by: 'person' } } });
    expect((await getTimeline(h.client, id)).filter((e) => e.kind === 'approval.vote')).toEqual([]);
    expect((await getStatus(h.client, id)).gates[0]!.votes).toEqual([]);
  });

  it('records the refusal of a signed decision sent through the client, with its signer', async () => {
    const { id } = await openIncident();
    const outcome = await decide(h.client, { incidentId: id, decision: 'approve', approver: 'alice', via: 'cli' });
    expect(outcome).toMatchObject({ applied: false, code: 'SelfApproval' });
    const refused = await waitFor('the refusal', async () => (await getTimeline(h.client, id)).find((e) => e.kind === 'approval.refused'));
    expect(refused).toMatchObject({
      actor: 'alice',
      details: { code: 'SelfApproval', via: 'cli', signer: { by: 'person', key: keyOf('alice').publicKey!.fingerprint } },
    });
  });

  it('tells the person when they have no key, and records nothing', async () => {
    const { id } = await openIncident();
    const outcome = await decide(h.client, { incidentId: id, decision: 'approve', approver: 'bob', via: 'cli', signer: null });
    expect(outcome).toMatchObject({ applied: false, code: 'Unauthenticated' });
    expect(decisions(await getTimeline(h.client, id))).toEqual([]);
  });
});

describe('the explicit unauthenticated demo mode', () => {
  it('takes unsigned decisions and says so on the gate, the status and the timeline', async () => {
    const { id, status } = await openIncident(demo);
    expect(status).toMatchObject({ decisions: 'unauthenticated', gates: [{ authentication: 'unauthenticated' }] });
    const outcome = await decide(demo.client, { incidentId: id, decision: 'approve', approver: 'bob', via: 'cli', signer: null });
    expect(outcome).toMatchObject({ applied: true });
    const final = await demo.client.workflow.getHandle(id).result();
    expect(final.gates[0]!.votes[0]).toMatchObject({ approver: 'bob', signer: { by: 'unauthenticated' } });
    const events = await getTimeline(demo.client, id);
    expect(events.find((e) => e.kind === 'approval.requested')?.summary).toContain('(decisions unauthenticated)');
  });
});

describe('cancelling as a person', () => {
  it('is signed and recorded with who and why; an unsigned one and a second one are refused', async () => {
    const { id } = await openIncident();
    expect(await cancelIncident(h.client, { incidentId: id, by: 'bob', reason: 'false positive', via: 'cli', signer: null })).toMatchObject(
      { applied: false, code: 'Unauthenticated' },
    );
    expect((await getStatus(h.client, id)).state).toBe('awaiting-approval');

    expect(await cancelIncident(h.client, { incidentId: id, by: 'bob', reason: 'false positive', via: 'cli' })).toEqual({ applied: true });
    const final: IncidentStatus = await h.client.workflow.getHandle(id).result();
    expect(final).toMatchObject({
      state: 'cancelled',
      outcome: 'cancelled by bob: false positive',
      gates: [{ status: 'cancelled', closed_reason: 'cancelled by bob: false positive' }],
    });
    const events = await getTimeline(h.client, id);
    expect(events.find((e) => e.kind === 'incident.cancel_requested')).toMatchObject({
      actor: 'bob',
      summary: 'bob cancelled the incident: false positive',
      details: { signer: { by: 'person' } },
    });
    expect(events.at(-1)).toMatchObject({ kind: 'incident.finished', summary: 'cancelled: cancelled by bob: false positive' });
    expect(await h.world.actions()).not.toContainEqual(expect.objectContaining({ incidentId: id }));

    const again = await cancelIncident(h.client, { incidentId: id, by: 'carol', reason: 'also', via: 'cli' });
    expect(again).toMatchObject({ applied: false });
  });
});
