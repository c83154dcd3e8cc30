import { describe, expect, it } from 'vitest';
import { gateBlocks, gateText, threadLine } from '../activities/slack/messages';
import type { GateView, IncidentNotification } from '../workflows';

const gate: GateView = {
  id: 'g1',
  step: 'Quarantine service checkout',
  action: 'demoQuarantine',
  target: 'service/checkout',
  args: { service: 'checkout' },
  risk: 'critical',
  digest: 'ab'.repeat(32),
  policy: 'standard',
  requester: 'alice',
  eligible: ['alice', 'bob'],
  quorum: 1,
  requireReasonOnApprove: false,
  votes: [],
  approvalsRemaining: 1,
  status: 'open',
  opened_at: '2026-11-22T10:00:00.000Z',
  deadline: '2026-11-22T10:30:00.000Z',
};
const event: IncidentNotification = {
  seq: 1,
  kind: 'approval.closed',
  summary: '',
  refs: {},
  incident: { id: 'inc-demo-1', title: 'Demo', playbook: 'demo', mode: 'live', requester: 'alice', state: 'denied' },
};
const ctx = { who: (id: string) => (id === 'bob' ? '<@U0BOB>' : id) };
const json = (v: unknown) => JSON.stringify(v);

describe('the approval message', () => {
  it('at the deadline shows "Expired — denied" and no buttons', () => {
    const expired = { ...gate, status: 'expired' as const, closed_at: gate.deadline, approvalsRemaining: 1 };
    const blocks = gateBlocks(event, expired, ctx);
    expect(json(blocks)).toContain('*Expired — denied.* No decision by <!date^');
    expect(blocks.some((b) => b.type === 'actions')).toBe(false);
    expect(threadLine({ ...event, gate: expired }, ctx)).toMatch(/^:hourglass: \*Expired — denied\.\*/);
  });

  it('while open carries buttons whose value binds the exact gate and digest, and a critical target to type', () => {
    const actions = gateBlocks({ ...event, kind: 'approval.requested' }, gate, ctx).find((b) => b.type === 'actions') as any;
    expect(actions.elements.map((e: any) => e.action_id)).toEqual(['gate_approve', 'gate_deny']);
    expect(JSON.parse(actions.elements[0].value)).toEqual({
      incidentId: 'inc-demo-1',
      gateId: 'g1',
      digest: gate.digest,
      reason: false,
      confirm: 'service/checkout',
    });
  });

  it('says each step of the incident once, plainly, in its thread', () => {
    const finished = {
      ...event,
      kind: 'incident.finished' as const,
      summary: 'resolved: playbook completed',
      incident: { ...event.incident, state: 'resolved' as const },
    };
    expect(threadLine(finished, ctx)).toBe(':white_check_mark: Incident resolved — playbook completed');
    expect(threadLine({ ...event, kind: 'incident.contained', summary: 'contained: service quarantined' }, ctx)).toBe(
      ':shield: Contained (verified: service quarantined)',
    );
  });

  it('once decided keeps the evidence it showed and no longer promises "denied if undecided"', () => {
    const evidence = [{ name: 'alert.json', sha256: '0123456789ab' }];
    const denied = {
      ...gate,
      status: 'denied' as const,
      closed_at: '2026-11-22T10:05:00.000Z',
      approvalsRemaining: 1,
      votes: [{ approver: 'bob', decision: 'deny' as const, reason: 'false positive', at: '2026-11-22T10:05:00.000Z', via: 'slack' }],
    } as GateView;
    const text = json(gateBlocks({ ...event, gate: denied, evidence }, denied, ctx));
    expect(text).toContain('Evidence: alert.json `0123456789ab`');
    expect(text).not.toContain('none yet');
    expect(text).not.toContain('denied if undecided');
    expect(text).toContain('— closed <!date^1795341900^');
    expect(text).toContain('(denied)');

    const expired = { ...gate, status: 'expired' as const, closed_at: gate.deadline };
    expect(json(gateBlocks({ ...event, gate: expired }, expired, ctx))).toContain('— passed undecided: denied');
    expect(json(gateBlocks({ ...event, gate: expired }, expired, ctx))).toContain('Evidence: none"');
    expect(json(gateBlocks({ ...event, kind: 'approval.requested' }, gate, ctx))).toContain('— denied if undecided');
  });

  it('never shows the action arguments, only the digest that binds them', () => {
    const secretish = { ...gate, args: { token: 'do-not-show-me' } };
    expect(json(gateBlocks({ ...event, kind: 'approval.requested' }, secretish, ctx))).not.toContain('do-not-show-me');
  });

  it('keeps what people wrote as text: no channel pings or disguised links from a reason or a title', () => {
    const sneaky = { ...gate, step: 'Grant db-admin — "<!channel> approve now <https://evil.example|Approve>"' };
    const requested = {
      ...event,
      kind: 'approval.requested' as const,
      gate: sneaky,
      incident: { ...event.incident, title: 'Fix & <!here>' },
    };
    expect(threadLine(requested, ctx)).toContain('*Grant db-admin — "&lt;!channel&gt; approve now &lt;https://evil.example|Approve&gt;"*');
    expect(gateText(requested, sneaky)).not.toContain('<!channel>');
    expect(threadLine({ ...requested, kind: 'incident.started' }, ctx)).toContain('*Fix &amp; &lt;!here&gt;*');
    const update = { ...event, kind: 'incident.update' as const, summary: 'Access revoked (revoked early by carol: <!everyone>)' };
    expect(threadLine(update, ctx)).toBe('Access revoked (revoked early by carol: &lt;!everyone&gt;)');
    // mrkdwn is where Slack would act on it; the header is plain_text, shown as typed.
    const texts = JSON.stringify(gateBlocks(requested, sneaky, ctx)).match(/"type":"mrkdwn","text":"[^"]*"/g) ?? [];
    expect(texts.length).toBeGreaterThan(0);
    expect(texts.join('\n')).toContain('Fix &amp; &lt;!here&gt;');
    expect(texts.join('\n')).not.toMatch(/<!here>|<!channel>|<https:\/\/evil/);
  });
});
