import { describe, expect, it } from 'vitest';
import { ApprovalGate, type GateAction } from '../workflows/approval-gate';
import { actionDigest } from '../workflows/canonical';
import { decisionSchema, type ApprovalPolicy, type DecisionInput } from '../workflows/request';

const T0 = Date.parse('2025-01-01T12:00:00.000Z');

function policy(overrides: Partial<ApprovalPolicy> = {}): ApprovalPolicy {
  return {
    name: 'standard',
    approvers: ['alice', 'bob', 'carol'],
    quorum: 1,
    timeoutMs: 30 * 60_000,
    remindersMs: [],
    requireReasonOnApprove: false,
    ...overrides,
  };
}

const args = { user: 'mallory', revokeSessions: true };
const action: GateAction = {
  step: 'disable-account',
  action: 'disableUser',
  target: 'okta:mallory',
  args,
  risk: 'high',
  digest: actionDigest({ action: 'disableUser', target: 'okta:mallory', args }),
};

function gate(p: Partial<ApprovalPolicy> = {}, requester = 'alice'): ApprovalGate {
  return new ApprovalGate('g1', action, policy(p), requester, T0);
}

function decision(d: Partial<DecisionInput> & Pick<DecisionInput, 'approver' | 'decision'>) {
  return decisionSchema.parse({ gateId: 'g1', digest: action.digest, ...d });
}

const approve = (approver: string, extra: Partial<DecisionInput> = {}) => decision({ approver, decision: 'approve', ...extra });
const deny = (approver: string, reason?: string) => decision({ approver, decision: 'deny', ...(reason ? { reason } : {}) });

describe('ApprovalGate', () => {
  it('approves on a single eligible approval when quorum is 1', () => {
    const g = gate();
    expect(g.check(approve('bob'), T0 + 1000)).toBeUndefined();
    expect(g.apply(approve('bob'), T0 + 1000)).toEqual({ gateId: 'g1', status: 'approved', approvalsRemaining: 0 });
    expect(g.closedReason).toBe('approved by bob');
    expect(g.closedAt).toBe(T0 + 1000);
  });

  it('stays open until the quorum of approvals is reached', () => {
    const g = gate({ quorum: 2 });
    expect(g.approvalsRemaining).toBe(2);
    expect(g.apply(approve('bob'), T0 + 1)).toEqual({ gateId: 'g1', status: 'open', approvalsRemaining: 1 });
    expect(g.check(approve('carol'), T0 + 2)).toBeUndefined();
    expect(g.apply(approve('carol'), T0 + 2)).toEqual({ gateId: 'g1', status: 'approved', approvalsRemaining: 0 });
    expect(g.closedReason).toBe('approved by bob, carol');
  });

  it('lets a single deny veto the gate even after approvals were given', () => {
    const g = gate({ quorum: 2 });
    g.apply(approve('bob'), T0 + 1);
    expect(g.check(deny('carol', 'wrong account'), T0 + 2)).toBeUndefined();
    expect(g.apply(deny('carol', 'wrong account'), T0 + 2)).toEqual({ gateId: 'g1', status: 'denied', approvalsRemaining: 1 });
    expect(g.closedReason).toBe('denied by carol: wrong account');
  });

  it('refuses a second vote by the same approver', () => {
    const g = gate({ quorum: 2 });
    g.apply(approve('bob'), T0 + 1);
    expect(g.check(approve('bob'), T0 + 2)).toMatchInlineSnapshot(`
      {
        "code": "AlreadyVoted",
        "message": "bob has already voted on gate g1",
      }
    `);
    expect(g.check(deny('bob', 'changed my mind'), T0 + 2)?.code).toBe('AlreadyVoted');
  });

  it('refuses the requester approving their own request', () => {
    expect(gate().check(approve('alice'), T0)).toMatchInlineSnapshot(`
      {
        "code": "SelfApproval",
        "message": "alice requested this incident and cannot approve their own request",
      }
    `);
  });

  it('lets an eligible requester deny their own request', () => {
    const g = gate();
    expect(g.check(deny('alice', 'false positive'), T0)).toBeUndefined();
    expect(g.apply(deny('alice', 'false positive'), T0).status).toBe('denied');
  });

  it('refuses approvers outside the policy, including a requester who is not eligible', () => {
    expect(gate().check(approve('mallory'), T0)).toMatchInlineSnapshot(`
      {
        "code": "ApproverNotEligible",
        "message": "mallory is not an eligible approver for gate g1 (policy standard)",
      }
    `);
    expect(gate({}, 'zed').check(deny('zed', 'nope'), T0)?.code).toBe('ApproverNotEligible');
  });

  it('requires a reason to deny', () => {
    expect(gate().check(deny('bob'), T0)).toMatchInlineSnapshot(`
      {
        "code": "ReasonRequired",
        "message": "a reason is required to deny gate g1",
      }
    `);
    expect(gate().check(decision({ approver: 'bob', decision: 'deny', reason: '   ' }), T0)?.code).toBe('ReasonRequired');
  });

  it('requires a reason to approve only when the policy says so', () => {
    expect(gate().check(approve('bob'), T0)).toBeUndefined();
    const strict = gate({ requireReasonOnApprove: true });
    expect(strict.check(approve('bob'), T0)).toMatchInlineSnapshot(`
      {
        "code": "ReasonRequired",
        "message": "a reason is required to approve gate g1",
      }
    `);
    expect(strict.check(approve('bob', { reason: 'confirmed with the user' }), T0)).toBeUndefined();
  });

  it('records the reason, channel and time of each vote', () => {
    const g = gate({ requireReasonOnApprove: true });
    g.apply(approve('bob', { reason: 'ticket SEC-1', via: 'slack' }), T0 + 5000);
    expect(g.votes).toEqual([
      { approver: 'bob', decision: 'approve', reason: 'ticket SEC-1', via: 'slack', at: '2025-01-01T12:00:05.000Z' },
    ]);
  });

  it('refuses a decision that arrives after its validity ended, but not one arriving exactly at the end', () => {
    const validUntil = new Date(T0 + 60_000).toISOString();
    const d = approve('bob', { validUntil });
    expect(gate().check(d, T0 + 60_000)).toBeUndefined();
    expect(gate().check(d, T0 + 60_001)).toMatchInlineSnapshot(`
      {
        "code": "DecisionExpired",
        "message": "the decision reached the engine after its validity ended (2025-01-01T12:01:00.000Z); it was not applied — decide again",
      }
    `);
  });

  it('refuses a decision for a different action digest', () => {
    const other = actionDigest({ action: 'disableUser', target: 'okta:alice', args });
    expect(gate().check(approve('bob', { digest: other }), T0)).toMatchInlineSnapshot(`
      {
        "code": "DigestMismatch",
        "message": "the decision is for action digest 9de3542bc115…, but gate g1 is for 3f26010d051a… (disableUser on okta:mallory)",
      }
    `);
  });

  it('refuses every decision once the gate is closed, and a closed gate stays closed', () => {
    const g = gate();
    g.close('cancelled', T0 + 10, 'incident cancelled by alice');
    expect(g.check(approve('bob'), T0 + 20)).toMatchInlineSnapshot(`
      {
        "code": "GateClosed",
        "message": "gate g1 is already cancelled",
      }
    `);
    g.close('expired', T0 + 30, 'timed out');
    expect(g.status).toBe('cancelled');
    expect(g.closedAt).toBe(T0 + 10);
    expect(g.closedReason).toBe('incident cancelled by alice');

    const approved = gate();
    approved.apply(approve('bob'), T0);
    expect(approved.check(approve('carol'), T0)?.code).toBe('GateClosed');
  });

  it('counts possible approvers without the requester', () => {
    expect(gate({}, 'alice').possibleApprovers).toBe(2);
    expect(gate({}, 'someone-else').possibleApprovers).toBe(3);
  });

  it('shows the action, policy, votes and deadline in its view', () => {
    const g = gate({ quorum: 2 });
    expect(g.view()).not.toHaveProperty('closed_at');
    g.apply(approve('bob'), T0 + 1000);
    g.apply(deny('carol', 'not yet'), T0 + 2000);
    expect(g.view()).toEqual({
      id: 'g1',
      ...action,
      policy: 'standard',
      requester: 'alice',
      eligible: ['alice', 'bob', 'carol'],
      quorum: 2,
      requireReasonOnApprove: false,
      votes: [
        { approver: 'bob', decision: 'approve', via: 'api', at: '2025-01-01T12:00:01.000Z' },
        { approver: 'carol', decision: 'deny', reason: 'not yet', via: 'api', at: '2025-01-01T12:00:02.000Z' },
      ],
      approvalsRemaining: 1,
      status: 'denied',
      opened_at: '2025-01-01T12:00:00.000Z',
      deadline: '2025-01-01T12:30:00.000Z',
      closed_at: '2025-01-01T12:00:02.000Z',
      closed_reason: 'denied by carol: not yet',
    });
  });

  it('gives a view whose votes cannot be changed from outside', () => {
    const g = gate({ quorum: 2 });
    g.apply(approve('bob'), T0);
    g.view().votes.push({ approver: 'carol', decision: 'approve', via: 'api', at: '' });
    expect(g.votes).toHaveLength(1);
  });
});

describe('actionDigest', () => {
  const base = { action: 'disableUser', target: 'okta:mallory', args: { user: 'mallory', opts: { a: 1, b: [1, 2] } } };

  it('is a 64-hex sha256 independent of key order in the args', () => {
    const digest = actionDigest(base);
    expect(digest).toMatch(/^[0-9a-f]{64}$/);
    expect(actionDigest({ target: base.target, args: { opts: { b: [1, 2], a: 1 }, user: 'mallory' }, action: base.action })).toBe(digest);
  });

  it('changes when the action, the target or any argument changes', () => {
    const digest = actionDigest(base);
    expect(actionDigest({ ...base, action: 'deleteUser' })).not.toBe(digest);
    expect(actionDigest({ ...base, target: 'okta:alice' })).not.toBe(digest);
    expect(actionDigest({ ...base, args: { user: 'alice', opts: { a: 1, b: [1, 2] } } })).not.toBe(digest);
    expect(actionDigest({ ...base, args: { user: 'mallory', opts: { a: 2, b: [1, 2] } } })).not.toBe(digest);
    expect(actionDigest({ ...base, args: { user: 'mallory', opts: { a: 1, b: [2, 1] } } })).not.toBe(digest);
    expect(actionDigest({ ...base, args: { user: 'mallory', opts: { a: 1, b: [1, 2] }, extra: true } })).not.toBe(digest);
  });
});

describe('a vote at the deadline', () => {
  it('is refused once the deadline has come, even before the deadline timer has closed the gate', () => {
    const g = gate();
    const deadline = T0 + 30 * 60_000;
    expect(g.pastDeadline(deadline - 1)).toBeUndefined();
    expect(g.pastDeadline(deadline)).toEqual({
      code: 'GateClosed',
      message: 'gate g1 passed its deadline (2025-01-01T12:30:00.000Z): denied by default',
    });
    g.close('expired', deadline, 'no decision');
    expect(g.pastDeadline(deadline + 1)).toBeUndefined(); // closed: check() says so
    expect(g.check(approve('bob'), deadline + 1)).toMatchObject({ code: 'GateClosed' });
  });
});
