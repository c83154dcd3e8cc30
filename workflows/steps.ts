/**
 * The step helpers a playbook runs with. Each records what it did on the timeline; `destructive`
 * is the only path to a destructive activity, and it always goes through an approval gate.
 */
import { CancellationScope, patched, proxyActivities, proxyLocalActivities, type ActivityOptions } from '@temporalio/workflow';
import { waitForDecision, openGate } from './approval-wait';
import { actionDigest } from './canonical';
import { incidentCancelled, nextCommand, type CommandInbox } from './commands';
import type { ActionResult, ApprovedAction, EvidenceRequest, PolicyRequest, UndoRequest, VerifyRequest, VerifyResult } from './contracts';
import { noteEligibility, pendingGroups, resolvePolicy, resolveWhileOpen } from './eligibility';
import { approvalDenied, verificationFailed } from './errors';
import { withdrawnFailure } from './alert-lifecycle';
import type { EvidenceRef, LedgerEntry } from './evidence-ledger';
import type { Incident } from './incident-state';
import { messageOf, type NotificationQueue } from './notifications';
import type { Playbook, PlaybookContext, VerifyOptions } from './playbook';
import { isPatched } from './patches';

const retry: ActivityOptions['retry'] = {
  initialInterval: '1s',
  backoffCoefficient: 2,
  maximumInterval: '30s',
  maximumAttempts: 5,
};

type AnyActivity = (req: any) => Promise<any>;
const evidenceActivities = proxyActivities<Record<string, AnyActivity>>({ startToCloseTimeout: '2m', retry });
// The heartbeat timeout: a worker killed mid-action costs seconds, not the 5 minutes (approved-action.ts heartbeats).
const destructiveActivities = proxyActivities<Record<string, AnyActivity>>({ startToCloseTimeout: '5m', heartbeatTimeout: '20s', retry });
const verifyActivities = proxyActivities<Record<string, AnyActivity>>({ startToCloseTimeout: '2m', retry });
/** A waiting verification's own proxy: its timeout, and a heartbeat timeout so a dead worker is noticed mid-wait. */
function waitingVerifyActivities(options: VerifyOptions) {
  return proxyActivities<Record<string, AnyActivity>>({
    startToCloseTimeout: options.timeout ?? '2m',
    ...(options.heartbeat !== undefined ? { heartbeatTimeout: options.heartbeat } : {}),
    retry,
  });
}
/**
 * New runs take evidence and plain verifications as local activities: they only read (an
 * artifact's store is content-addressed, a check changes nothing), so running them again after a
 * crash is harmless, and each saves the server a schedule/start/complete and the run a workflow
 * task of its own (issue 15). A waiting verification stays a regular activity: it heartbeats, and
 * a worker dying mid-wait must be noticed at the heartbeat timeout. Actions and undos stay regular
 * too: they act, and an action's heartbeats and pending-activity record matter.
 */
export const LOCAL_STEPS_PATCH = 'local-steps';
/**
 * Local steps turned off again for new runs: under load, a run with a cancelled background lookup
 * still running and queries during its local steps wrote a history the worker could not replay
 * (test/policy-lookup-cancel.test.ts, 4 failures in 5 stressed runs; none with this off). Runs
 * that took local steps (patch-baseline-2 without this marker) replay as they ran.
 */
export const LOCAL_STEPS_OFF_PATCH = 'local-steps-off';
function localSteps(): boolean {
  // in this order: a run of the newest baseline answers no to the first without a marker
  return isPatched(LOCAL_STEPS_PATCH) && !patched(LOCAL_STEPS_OFF_PATCH);
}
const localStepActivities = proxyLocalActivities<Record<string, AnyActivity>>({
  startToCloseTimeout: '2m',
  // the regular activity's five 2-minute attempts and their 1+2+4+8 s of backoff, and no more
  scheduleToCloseTimeout: '11m',
  retry,
  // A failed attempt's backoff past 1 s waits as a workflow timer rather than in a workflow task
  // held open: meanwhile the run answers queries, alerts and a cancel (as eligibility.ts's lookup).
  localRetryThreshold: '1s',
});

/**
 * Runs a local step activity out of reach of cancellation: cancelling a local activity whose result
 * has reached the SDK's core but not the workflow code fails the workflow task (see
 * LOOKUP_NOT_CANCELLED_PATCH in eligibility.ts). A cancelled run stops right before or after the
 * step instead, which is bounded by the step's timeouts.
 */
async function uncancelled<T>(step: () => Promise<T>): Promise<T> {
  const scope = CancellationScope.current();
  if (scope.consideredCancelled) await scope.cancelRequested;
  const result = await CancellationScope.nonCancellable(step);
  if (scope.consideredCancelled) await scope.cancelRequested;
  return result;
}

/** Undo never gives up on a retryable failure: access granted must not outlive an API outage. */
const undoActivities = proxyActivities<Record<string, AnyActivity>>({
  startToCloseTimeout: '2m',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1m' },
});

function recordEvidence(incident: Incident, name: string, ref: EvidenceRef): LedgerEntry {
  const entry = incident.ledger.append(name, ref);
  incident.timeline.append('evidence.recorded', 'tourniquet', `evidence: ${name}`, {
    seq: entry.seq,
    sha256: ref.sha256,
    size: ref.size,
    uri: ref.uri,
    redactions: ref.redactions,
  });
  return entry;
}

export interface Compensation {
  name: string;
  undo: () => Promise<void>;
  /** also when the incident is cancelled (an undo that needs no gate, e.g. revoking access) */
  onCancel?: boolean;
}

export function createPlaybookContext<P>(
  incident: Incident,
  playbook: Playbook<P>,
  params: P,
  notifier: NotificationQueue,
  compensations: Compensation[],
  inbox: CommandInbox,
): PlaybookContext<P, any> {
  const { request } = incident;
  const drillMark = request.mode === 'drill' ? 'DRILL ' : '';
  return {
    incidentId: incident.id,
    mode: request.mode,
    requester: request.requester,
    params,

    async evidence(name, activity, input) {
      if (incident.cancelRequest) throw incidentCancelled();
      const req: EvidenceRequest<unknown> = { incidentId: incident.id, name, mode: request.mode, input };
      const riders = notifier.riders();
      let ref: EvidenceRef;
      try {
        if (localSteps()) {
          const answer = await uncancelled(() => localStepActivities[activity]!(riders ? riders.input(req) : req));
          ref = riders ? riders.landed(answer) : answer;
        } else {
          ref = riders ? riders.landed(await evidenceActivities[activity]!(riders.input(req))) : await evidenceActivities[activity]!(req);
        }
      } catch (err) {
        riders?.landed();
        throw err;
      }
      return recordEvidence(incident, name, ref);
    },

    async destructive(step) {
      if (incident.cancelRequest) throw incidentCancelled();
      const withdrawn = withdrawnFailure(incident);
      if (withdrawn) throw withdrawn;
      const policyRequest: PolicyRequest = {
        incidentId: incident.id,
        playbook: playbook.name,
        step: step.name,
        policy: step.policy ?? request.policy ?? playbook.defaultPolicy,
      };
      const resolved = await resolvePolicy(policyRequest);
      const { policy, evidence, trust } = resolved;
      recordEvidence(incident, evidence.name, evidence);
      noteEligibility(incident, step.name, resolved);
      const now = Date.now();
      // A gate that must be decided before a deadline of the playbook's (a grant running out) gets no longer than that.
      const capped =
        step.decideBy !== undefined && step.decideBy - now < policy.timeoutMs
          ? { ...policy, timeoutMs: Math.max(0, step.decideBy - now) }
          : policy;
      const digest = actionDigest({ action: step.activity, target: step.target, args: step.args });
      const gate = openGate(
        incident,
        notifier,
        { step: step.name, action: step.activity, target: step.target, args: step.args, risk: step.risk ?? 'high', digest },
        capped,
        trust,
        resolved.unresolved,
      );
      // A Slack user group nobody could resolve: the gate stays closed to it, and keeps asking.
      const stopResolving = pendingGroups(resolved).length
        ? resolveWhileOpen(incident, notifier, gate, policyRequest, (name, ref) => recordEvidence(incident, name, ref))
        : undefined;
      // Approved: its notices wait until the action is scheduled (unless a resolver must stop first).
      const announce = await waitForDecision(incident, notifier, gate, !stopResolving);
      if (stopResolving) await stopResolving();
      if (gate.status !== 'approved') throw approvalDenied(gate.view());

      incident.clock.mark('action_started_at');
      incident.setState('acting');
      incident.syncGateMemo();
      incident.timeline.append('action.started', 'tourniquet', `${drillMark}${step.name}`, {
        gateId: gate.id,
        action: step.activity,
        target: step.target,
      });
      const started = () => notifier.send('action.started', `${step.name} started`, { gate: gate.view() });
      // Riding the action, the notices go out once it is done: queued now, before it is scheduled.
      const early = notifier.riding;
      if (!announce || early) {
        announce?.();
        started();
      }
      const approved: ApprovedAction<unknown> = {
        incidentId: incident.id,
        action: step.activity,
        target: step.target,
        args: step.args,
        dryRun: request.mode === 'drill',
        approval: {
          gateId: gate.id,
          digest,
          approvers: gate.votes.filter((v) => v.decision === 'approve').map((v) => v.approver),
          decidedAt: new Date(gate.closedAt ?? Date.now()).toISOString(),
        },
      };
      let result: ActionResult;
      const riders = notifier.riders();
      try {
        let acting: Promise<ActionResult>;
        try {
          acting = destructiveActivities[step.activity]!(riders ? riders.input(approved) : approved);
        } finally {
          // The decision is in history (the accepted Update) and the action scheduled: now the notices, beside it.
          if (announce && !early) {
            announce();
            started();
          }
        }
        result = riders ? riders.landed(await acting) : await acting;
      } catch (err) {
        riders?.landed();
        incident.timeline.append('action.failed', 'tourniquet', `${step.name} failed: ${messageOf(err)}`, { gateId: gate.id });
        throw err;
      }
      incident.actionsSinceContained += 1;
      incident.timeline.append('action.completed', 'tourniquet', result.summary, {
        gateId: gate.id,
        changed: result.changed,
        ...(result.details ? { details: result.details } : {}),
      });
      incident.setState(incident.restingState);
      return result;
    },

    async verify(name, activity, input, options) {
      if (incident.cancelRequest) throw incidentCancelled();
      const req: VerifyRequest<unknown> = { incidentId: incident.id, mode: request.mode, input };
      const local = !options && localSteps();
      const proxies = options ? waitingVerifyActivities(options) : verifyActivities;
      // not on a waiting verification: notices sent meanwhile would wait for it
      const riders = options ? undefined : notifier.riders();
      let result: VerifyResult;
      try {
        if (local) {
          const answer = await uncancelled(() => localStepActivities[activity]!(riders ? riders.input(req) : req));
          result = riders ? riders.landed(answer) : answer;
        } else {
          result = riders ? riders.landed(await proxies[activity]!(riders.input(req))) : await proxies[activity]!(req);
        }
      } catch (err) {
        riders?.landed();
        throw err;
      }
      if (!result.ok) {
        incident.timeline.append('verify.failed', 'tourniquet', `${name}: ${result.summary}`, result.details);
        throw verificationFailed(name, result.summary);
      }
      incident.timeline.append('verify.passed', 'tourniquet', `${name}: ${result.summary}`, result.details);
      if (incident.actionsSinceContained > 0) {
        incident.actionsSinceContained = 0;
        if (!incident.clock.has('contained_at')) {
          incident.clock.mark('contained_at');
          incident.setState('contained');
          incident.timeline.append('incident.contained', 'tourniquet', `contained: ${name}`, {
            time_to_contain_ms: incident.clock.view().durations.time_to_contain_ms,
          });
          notifier.send('incident.contained', `contained: ${name}`);
        }
      }
      return result;
    },

    async undo(step) {
      incident.timeline.append('action.started', step.requestedBy, `${drillMark}${step.name}`, {
        action: step.activity,
        target: step.target,
        undo: true,
        reason: step.reason,
      });
      const req: UndoRequest<unknown> = {
        incidentId: incident.id,
        action: step.activity,
        target: step.target,
        args: step.args,
        dryRun: request.mode === 'drill',
        reason: step.reason,
        requestedBy: step.requestedBy,
      };
      // The same shape as destructive's outcome recording, on purpose: moving both into one async
      // helper adds a microtask hop, which reorders later commands and breaks recorded histories.
      let result: ActionResult;
      try {
        result = await undoActivities[step.activity]!(req);
      } catch (err) {
        incident.timeline.append('action.failed', 'tourniquet', `${step.name} failed: ${messageOf(err)}`, { undo: true });
        throw err;
      }
      incident.timeline.append('action.completed', 'tourniquet', result.summary, {
        undo: true,
        changed: result.changed,
        ...(result.details ? { details: result.details } : {}),
      });
      return result;
    },

    announce(summary, details, offer) {
      incident.timeline.append('incident.update', 'tourniquet', `${drillMark}${summary}`, details);
      notifier.send('incident.update', `${drillMark}${summary}`, offer?.length ? { offer } : {});
    },

    commands: {
      open() {
        inbox.open();
      },
      close() {
        inbox.close();
      },
      next(untilMs) {
        return nextCommand(inbox, untilMs);
      },
    },

    compensate(name, undo, options) {
      compensations.push({ name, undo, ...(options?.onCancel ? { onCancel: true } : {}) });
    },

    exposedSince(at) {
      const ms = Date.parse(at);
      if (Number.isNaN(ms)) throw new Error(`exposedSince needs an ISO time, got "${at}"`);
      incident.clock.mark('exposed_at', ms);
      incident.timeline.append('incident.exposure', 'tourniquet', `exposed since ${new Date(ms).toISOString()}`);
    },
  };
}
