import { describe, expect, it } from 'vitest';
import { percentile, summarize, summarizeDrills } from '../client/report';
import type { GateView, IncidentStatus } from '../workflows';

function incident(
  playbook: string,
  state: IncidentStatus['state'],
  approveMs?: number,
  containMs?: number,
  gate?: GateView['status'],
  mode: 'live' | 'drill' = 'live',
): IncidentStatus {
  return {
    id: `${playbook}-${Math.random()}`,
    title: 't',
    playbook,
    mode,
    requester: 'alice',
    state,
    evidence: [],
    alerts: { total: 1, batches: 1, distinct: 1, firing: 1, resolved: 0, exact: true },
    gates: gate ? [{ status: gate } as GateView] : [],
    clock: {
      durations: {
        ...(approveMs !== undefined ? { time_to_approve_ms: approveMs } : {}),
        ...(containMs !== undefined ? { time_to_contain_ms: containMs } : {}),
      },
    },
  };
}

describe('the report', () => {
  it('uses nearest-rank percentiles, so p90 is a time that actually happened', () => {
    expect(percentile([], 50)).toBeUndefined();
    expect(percentile([10], 90)).toBe(10);
    expect(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 50)).toBe(5);
    expect(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 90)).toBe(9);
    expect(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11], 90)).toBe(10);
  });

  it('gives per playbook MTTA and MTTC, approval and denial rates, outcomes and drills', () => {
    const report = summarize(
      [
        incident('demo', 'resolved', 60_000, 120_000, 'approved'),
        incident('demo', 'resolved', 30_000, 90_000, 'approved'),
        incident('demo', 'denied', 10_000, undefined, 'denied'),
        incident('demo', 'denied', undefined, undefined, 'expired', 'drill'),
        incident('isolate-pod', 'awaiting-approval', undefined, undefined, 'open'),
      ],
      new Date('2026-11-01T00:00:00Z'),
      new Date('2026-11-22T00:00:00Z'),
    );
    expect(report.playbooks.map((p) => p.playbook)).toEqual(['demo', 'isolate-pod']);
    const demo = report.playbooks[0]!;
    expect(demo).toMatchObject({
      incidents: 4,
      drills: 1,
      outcomes: { resolved: 2, denied: 2 },
      time_to_approve: { n: 3, median_ms: 30_000, p90_ms: 60_000 },
      time_to_contain: { n: 2, median_ms: 90_000, p90_ms: 120_000 },
      gates: { closed: 4, approved: 2, denied: 1, expired: 1 },
      approval_rate: 0.5,
      denial_rate: 0.5,
    });
    expect(report.playbooks[1]).toMatchObject({ incidents: 1, gates: { closed: 0 }, time_to_approve: { n: 0 } });
    expect(report.playbooks[1]!.approval_rate).toBeUndefined();
    expect(report.unreadable).toBe(0);
  });

  it('counts drills in the window and their SLO pass rate', () => {
    const cards = [
      { scenario: 'falco', started_at: '2026-11-20T10:00:00Z', pass: true },
      { scenario: 'falco', started_at: '2026-11-21T10:00:00Z', pass: false },
      { scenario: 'generic', started_at: '2026-11-21T11:00:00Z', pass: true },
      { scenario: 'generic', started_at: '2026-10-01T11:00:00Z', pass: false },
    ];
    expect(summarizeDrills(cards, new Date('2026-11-01T00:00:00Z'))).toEqual({
      run: 3,
      passed: 2,
      pass_rate: 2 / 3,
      by_scenario: { falco: { run: 2, passed: 1 }, generic: { run: 1, passed: 1 } },
    });
    expect(summarizeDrills(cards, new Date('2026-12-01T00:00:00Z'))).toEqual({ run: 0, passed: 0, by_scenario: {} });
  });
});
