/** What the CLI prints for people: words and figures as a person would say them. */
import { describe, expect, it } from 'vitest';
import { formatDurations, formatGate, formatTimeline } from '../cli/format';
import { decisionMeasure, formatDuration } from '../client/postmortem/format';
import type { GateView, IncidentStatus, TimelineEvent } from '../workflows';

const gate: GateView = {
  id: 'g1',
  step: 'Quarantine service checkout',
  action: 'demoQuarantine',
  target: 'service/checkout',
  args: {},
  risk: 'medium',
  digest: 'ab'.repeat(32),
  policy: 'standard',
  requester: 'alice',
  eligible: ['bob'],
  quorum: 1,
  requireReasonOnApprove: false,
  approvalsRemaining: 1,
  status: 'denied',
  closed_at: '2026-11-22T10:01:00.000Z',
  votes: [{ approver: 'bob', decision: 'deny', reason: 'false positive', at: '2026-11-22T10:01:00.000Z', via: 'cli' }],
  opened_at: '2026-11-22T10:00:00.000Z',
  deadline: '2026-11-22T10:30:00.000Z',
} as GateView;
const clock = { durations: { time_to_approve_ms: 60_000, detection_delay_ms: 30863.8 * 3_600_000 } } as IncidentStatus['clock'];

describe('the CLI output', () => {
  it('should say "denied", never "denyd"', () => {
    expect(formatGate(gate)).toContain('bob denied ("false positive") via cli');
  });

  it('should call the time to a denial "time to deny", not "time to approve"', () => {
    expect(formatDurations({ clock, gates: [gate] })).toMatch(/^time to deny 60\.0 s · /);
    expect(formatDurations({ clock, gates: [{ ...gate, status: 'approved' }] })).toMatch(/^time to approve 60\.0 s · /);
    expect(decisionMeasure(['expired'])).toBe('time to decide');
  });

  it('should show long durations in days and years, not thousands of hours', () => {
    expect(formatDurations({ clock, gates: [gate] })).toContain('detection delay 3.5 y');
    expect(formatDuration(30 * 3_600_000)).toBe('30.0 h');
    expect(formatDuration(10 * 86_400_000)).toBe('10.0 d');
  });

  it('should keep timeline columns aligned when an actor is a Slack user', () => {
    const events: TimelineEvent[] = [
      { seq: 1, at: '2026-11-22T10:00:00.000Z', kind: 'approval.requested', actor: 'tourniquet', summary: 'approval needed' },
      { seq: 2, at: '2026-11-22T10:01:00.000Z', kind: 'approval.vote', actor: 'slack:U07ABCDEF12', summary: 'deny quarantine' },
    ];
    const status = { id: 'inc-demo-1', state: 'denied', title: 'Demo', clock, gates: [gate] } as unknown as IncidentStatus;
    const lines = formatTimeline(status, events).split('\n').slice(1, 3);
    expect(lines[0]!.indexOf('approval needed')).toBe(lines[1]!.indexOf('deny quarantine'));
  });
});
