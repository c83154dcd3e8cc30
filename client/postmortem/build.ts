/** Assembles a postmortem from Temporal (status and timeline queries, which answer for closed incidents too) and the evidence store. */
import type { Client } from '@temporalio/client';
import { verifyEvidence, type EvidenceStore } from '../../activities/evidence';
import { redactDeep } from '../../redaction';
import type { IncidentStatus, TimelineEvent } from '../../workflows';
import { getStatus, getTimeline } from '../incidents';
import { anyGateUnauthenticated } from './signed';
import { POSTMORTEM_SCHEMA_ID, postmortemSchema, type Postmortem } from './model';

const isSigner = (value: unknown): value is { by: 'person' | 'slack-gateway' | 'unauthenticated'; key?: string } =>
  typeof value === 'object' &&
  value !== null &&
  ['person', 'slack-gateway', 'unauthenticated'].includes((value as { by?: string }).by ?? '');

export async function buildPostmortem(client: Client, incidentId: string, store: EvidenceStore): Promise<Postmortem> {
  const [status, timeline] = await Promise.all([getStatus(client, incidentId), getTimeline(client, incidentId)]);
  const pm = assemble(status, timeline, await verifyEvidence(store, status.evidence));
  // Defence in depth: every export format renders this model, so one pass covers md, json, html
  // and the GitHub issue. Text only: the model's shape (numbers, digests) is fixed by its schema.
  return (await redactDeep(pm, { secretKeys: false })).value;
}

export function assemble(
  status: IncidentStatus,
  timeline: TimelineEvent[],
  verification: Awaited<ReturnType<typeof verifyEvidence>>,
): Postmortem {
  const { durations, ...clock } = status.clock;
  const refusalsOf = (gateId: string) =>
    timeline
      .filter((e) => e.kind === 'approval.refused' && e.details?.gateId === gateId)
      .map((e) => ({
        at: e.at,
        actor: e.actor,
        code: String(e.details?.code ?? 'unknown'),
        message: e.summary,
        ...(typeof e.details?.via === 'string' ? { via: e.details.via } : {}),
        ...(isSigner(e.details?.signer) ? { signer: e.details.signer } : {}),
      }));
  const checks = new Map(verification.entries.map((c) => [c.seq, c]));
  return postmortemSchema.parse({
    schema: POSTMORTEM_SCHEMA_ID,
    generated_at: new Date().toISOString(),
    incident: {
      id: status.id,
      title: status.title,
      playbook: status.playbook,
      mode: status.mode,
      requester: status.requester,
      state: status.state,
      ...(status.outcome ? { outcome: status.outcome } : {}),
      ...(status.gates.length ? { decisions: anyGateUnauthenticated(status.gates) ? 'unauthenticated' : 'signed' } : {}),
    },
    clock,
    durations,
    alerts: status.alerts,
    approvals: status.gates.map((g) => ({
      gate_id: g.id,
      step: g.step,
      action: g.action,
      target: g.target,
      args: g.args,
      digest: g.digest,
      risk: g.risk,
      policy: g.policy,
      requester: g.requester,
      eligible: g.eligible,
      quorum: g.quorum,
      ...(g.authentication ? { authentication: g.authentication } : {}),
      ...(g.slackUsers ? { slack_users: g.slackUsers } : {}),
      status: g.status,
      opened_at: g.opened_at,
      ...(g.runStartedAt ? { run_started_at: g.runStartedAt } : {}),
      deadline: g.deadline,
      ...(g.closed_at ? { closed_at: g.closed_at } : {}),
      ...(g.closed_reason ? { closed_reason: g.closed_reason } : {}),
      votes: g.votes.map(({ validUntil, ...v }) => ({ ...v, ...(validUntil ? { valid_until: validUntil } : {}) })),
      refusals: refusalsOf(g.id),
    })),
    steps: timeline,
    evidence: {
      verified: verification.ok,
      entries: status.evidence.map((e) => ({
        seq: e.seq,
        name: e.name,
        step: e.step,
        sha256: e.sha256,
        size: e.size,
        uri: e.uri,
        content_type: e.contentType,
        redactions: e.redactions,
        ...(e.facts ? { facts: e.facts } : {}),
        recorded_at: e.recorded_at,
        prev_hash: e.prev_hash,
        entry_hash: e.entry_hash,
        ok: checks.get(e.seq)?.ok ?? false,
        problems: checks.get(e.seq)?.problems ?? ['not checked'],
      })),
    },
  });
}
