/**
 * The open gate an incident's memo names, which decide() reads instead of querying the workflow:
 * it must name a gate only when exactly one is open, or a decision without a gate id could land on
 * one of several (the query path answers AmbiguousGate then).
 */
import { describe, expect, it } from 'vitest';
import { ApprovalGate, type GateAction } from '../workflows/approval-gate';
import { actionDigest } from '../workflows/canonical';
import { gateMemoOf, sameGateMemo } from '../workflows/gate-memo';
import { Incident } from '../workflows/incident-state';
import { incidentRequestSchema, type ApprovalPolicy } from '../workflows/request';
import type { TrustSnapshot } from '../workflows/signatures/trust';

const T0 = Date.parse('2025-01-01T12:00:00.000Z');
const RUN = '2025-01-01T11:59:00.000Z';
const policy: ApprovalPolicy = {
  name: 'standard',
  approvers: ['alice', 'bob'],
  quorum: 1,
  timeoutMs: 60_000,
  remindersMs: [],
  requireReasonOnApprove: false,
};
const trust: TrustSnapshot = { mode: 'signed', keys: {}, slack: {}, slackGateway: [] };

function action(step: string, service: string): GateAction {
  const args = { service };
  return {
    step,
    action: 'demoQuarantine',
    target: `service/${service}`,
    args,
    risk: 'medium',
    digest: actionDigest({ action: 'demoQuarantine', target: `service/${service}`, args }),
  };
}

function incident(): Incident {
  const request = incidentRequestSchema.parse({ playbook: 'demo', requester: 'alice', params: {} });
  return new Incident('inc-1', request, 'test');
}

function open(inc: Incident, id: string, service: string, withTrust = true): ApprovalGate {
  const gate = new ApprovalGate(
    id,
    action(`Quarantine ${service}`, service),
    policy,
    'alice',
    T0,
    withTrust ? trust : undefined,
    inc.id,
    RUN,
  );
  inc.gates.push(gate);
  return gate;
}

describe('the memo entry for the open gate', () => {
  it('names the one open gate with what a decision signs, and nothing once it closes', () => {
    const inc = incident();
    expect(gateMemoOf(inc)).toBeNull();
    const g1 = open(inc, 'g1', 'checkout');
    expect(gateMemoOf(inc)).toEqual({
      id: 'g1',
      digest: g1.action.digest,
      runStartedAt: RUN,
      step: 'Quarantine checkout',
      action: 'demoQuarantine',
      target: 'service/checkout',
    });
    g1.close('approved', T0 + 1, 'approved by bob');
    expect(gateMemoOf(inc)).toBeNull();
  });

  it('names no gate while several are open, and the remaining one when the others close', () => {
    const inc = incident();
    const g1 = open(inc, 'g1', 'checkout');
    const g2 = open(inc, 'g2', 'payments');
    expect(gateMemoOf(inc)).toBeNull();
    g1.close('denied', T0 + 1, 'denied by bob');
    expect(gateMemoOf(inc)).toMatchObject({ id: 'g2', digest: g2.action.digest });
  });

  it('names no gate opened before decisions were signed (no run start to sign)', () => {
    const inc = incident();
    open(inc, 'g1', 'checkout', false);
    expect(gateMemoOf(inc)).toBeNull();
  });

  it('tells a changed entry from the one written', () => {
    const inc = incident();
    open(inc, 'g1', 'checkout');
    const written = gateMemoOf(inc);
    expect(sameGateMemo(written, gateMemoOf(inc))).toBe(true);
    expect(sameGateMemo(null, undefined)).toBe(true);
    expect(sameGateMemo(written, null)).toBe(false);
    open(inc, 'g2', 'payments');
    expect(sameGateMemo(written, gateMemoOf(inc))).toBe(false);
  });
});
