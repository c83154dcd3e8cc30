import { describe, expect, it } from 'vitest';
import { parseBreakGlass } from '../gateway/slack/break-glass';
import { decisionModal, modalErrors, needsModal, type DecisionMeta } from '../gateway/slack/views';

const base: DecisionMeta = { incidentId: 'inc-1', gateId: 'g1', digest: 'a'.repeat(64), reason: false, decision: 'approve' };

describe('the decision modal', () => {
  it('is needed to deny, to approve when the policy wants a reason, and to approve a critical action', () => {
    expect(needsModal('approve', base)).toBe(false);
    expect(needsModal('deny', base)).toBe(true);
    expect(needsModal('approve', { ...base, reason: true })).toBe(true);
    expect(needsModal('approve', { ...base, confirm: 'pod/payments-7f9c' })).toBe(true);
  });

  it('asks a critical approval to type the target, and refuses anything else', () => {
    const meta = { ...base, confirm: 'pod/payments-7f9c' };
    const view = decisionModal(meta);
    expect(view.blocks.map((b) => b.block_id)).toEqual(['confirm', 'reason']);
    expect(modalErrors(meta, undefined, 'pod/payments')).toEqual({ confirm: 'Type pod/payments-7f9c exactly to confirm.' });
    expect(modalErrors(meta, undefined, 'pod/payments-7f9c')).toEqual({});
  });

  it('requires a reason to deny, and to approve only when the policy says so', () => {
    expect(modalErrors({ ...base, decision: 'deny' }, undefined, undefined)).toEqual({ reason: 'A reason is required to deny.' });
    expect(modalErrors({ ...base, reason: true }, undefined, undefined)).toEqual({ reason: 'A reason is required to approve.' });
    expect(modalErrors(base, undefined, undefined)).toEqual({});
    expect(JSON.parse(decisionModal({ ...base, decision: 'deny' }).private_metadata!)).toMatchObject({ gateId: 'g1', decision: 'deny' });
  });
});

describe('/breakglass input', () => {
  it('takes a role, an optional scope, a duration between 1m and 8h, and a reason people can judge', () => {
    expect(parseBreakGlass('db-admin 30m restore orders table after bad migration')).toEqual({
      ok: true,
      command: { kind: 'request', request: { role: 'db-admin', duration: '30m', reason: 'restore orders table after bad migration' } },
    });
    expect(parseBreakGlass('viewer cluster 2h look at the scheduler events')).toEqual({
      ok: true,
      command: { kind: 'request', request: { role: 'viewer', scope: 'cluster', duration: '2h', reason: 'look at the scheduler events' } },
    });
    const refusals = [
      '',
      'DB_ADMIN 30m restore orders table now',
      'db-admin 9h restore orders table now',
      'db-admin 30s restore orders table now',
      'db-admin 30m oops',
      'db-admin Payments 30m restore orders table now',
    ];
    for (const text of refusals) {
      const result = parseBreakGlass(text);
      expect(result.ok, text).toBe(false);
      expect(!result.ok && result.error).toContain('Usage: `/breakglass');
    }
  });

  it('takes revoke and extend for a running incident', () => {
    expect(parseBreakGlass('revoke inc-break-glass-abc123 done early')).toEqual({
      ok: true,
      command: { kind: 'revoke', incidentId: 'inc-break-glass-abc123', reason: 'done early' },
    });
    expect(parseBreakGlass('revoke inc-break-glass-abc123')).toEqual({
      ok: true,
      command: { kind: 'revoke', incidentId: 'inc-break-glass-abc123' },
    });
    expect(parseBreakGlass('extend inc-break-glass-abc123 30m still restoring the orders table')).toEqual({
      ok: true,
      command: { kind: 'extend', incidentId: 'inc-break-glass-abc123', duration: '30m', reason: 'still restoring the orders table' },
    });
    const extendWithoutReason = parseBreakGlass('extend inc-break-glass-abc123 30m');
    expect(!extendWithoutReason.ok && extendWithoutReason.error).toContain('reason: at least 10 characters');
    expect(parseBreakGlass('revoke').ok).toBe(false);
  });
});
