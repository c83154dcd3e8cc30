/**
 * The incident workflow: validates the request, runs the playbook through the step helpers, and
 * answers decisions, alerts and queries while it does.
 */
import {
  ApplicationFailure,
  CancellationScope,
  allHandlersFinished,
  condition,
  isCancellation,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  sleep,
  upsertMemo,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import { z } from 'zod';
import type { EngineActivities } from './contracts';
import { FINAL_STATES, Incident, type IncidentState, type IncidentStatus } from './incident-state';
import { alertsSignal, statusQuery, timelineQuery } from './messages';
import { messageOf, NotificationQueue } from './notifications';
import type { PlaybookRegistry } from './playbook';
import { incidentRequestSchema, type IncidentRequest, type IncidentRequestInput } from './request';
import { createPlaybookContext, type Compensation } from './steps';
import { registerDecisionHandlers } from './decision-handlers';
import { CommandInbox } from './commands';
import { registerCancelHandler, registerCommandHandler } from './command-handlers';
import { FAILURE_TYPES } from './failure-types';
import { AlertLifecycle, recordFailureCause } from './alert-lifecycle';
import { registerAlertCountsHandler } from './alert-counts';
import { closeAlertLedger } from './alert-ledger-close';
import { searchAttributesOf, startedWith, startRecord } from './search-attributes';
import { GATE_MEMO, gateMemoOf, sameGateMemo, type GateMemo } from './gate-memo';
import { decideBaseline, ENGINE_MEMO, isPatched, NO_LOCAL_ACTIVITIES_PATCH } from './patches';

const { notify, notifyBatch } = proxyActivities<EngineActivities>({
  startToCloseTimeout: '30s',
  scheduleToCloseTimeout: '1h',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1m' },
});
/** The run's last news, one quick try (it bounds itself); what it misses goes in a notifyBatch. */
const { deliverNotices } = proxyLocalActivities<EngineActivities>({
  startToCloseTimeout: '10s',
  retry: { maximumAttempts: 1 },
});

/**
 * New runs write the `acting` state (memo and TourniquetState) only once the action has run for
 * ACTING_INDEXED_AFTER_MS, or with the next state change if that comes first. Written in the
 * approval's own task, either write made the server answer the decision and start the action about
 * 4 ms later (its visibility update; a timer costs nothing there: bench/trace-decision.ts, issue
 * 15). Meanwhile the index still says `awaiting-approval` and the memo still names the closed gate,
 * which decide() takes as a hint only: the Update's validator refuses it as closed. The status query
 * says `acting` at once.
 */
export const ACTING_LATE_PATCH = 'acting-indexed-late';
const ACTING_INDEXED_AFTER_MS = 1_000;

/** The deferred `acting` write: a timer that makes it unless the next state change comes first. */
class ActingIndex {
  private timer?: CancellationScope;
  /** the timers' parent: shielded from the run's cancellation (a cancelled run still writes its end) */
  private readonly shield = new CancellationScope({ cancellable: false });

  constructor(private readonly write: () => void) {}

  later(): void {
    // cancelled by the next state change
    const timer = new CancellationScope({ cancellable: true, parent: this.shield });
    this.timer = timer;
    timer
      .run(() => sleep(ACTING_INDEXED_AFTER_MS))
      .then(
        () => {
          if (this.timer !== timer) return;
          this.timer = undefined;
          this.write();
        },
        () => {},
      );
  }

  get pending(): boolean {
    return this.timer !== undefined;
  }

  cancel(): void {
    this.timer?.cancel();
    this.timer = undefined;
  }
}

/** Histories recorded before it notify one event per activity and write the memo's state on every change. */
export const LEAN_HISTORY_PATCH = 'lean-history';
/** Histories recorded before it send every notice in a notifyBatch of its own, the last news included (notifications.ts riders). */
export const NOTICE_RIDERS_PATCH = 'notice-riders';

function invalid(what: string, error: z.ZodError): ApplicationFailure {
  return ApplicationFailure.nonRetryable(`invalid ${what}: ${z.prettifyError(error)}`, FAILURE_TYPES.InvalidIncidentRequest);
}

function earliest(times: (string | undefined)[]): number | undefined {
  const ms = times.filter((t): t is string => !!t).map((t) => Date.parse(t));
  return ms.length ? Math.min(...ms) : undefined;
}

/** The incident workflow's signature, for clients that start it (they need not load the worker's bundle entry). */
export type IncidentWorkflow = ReturnType<typeof createIncidentWorkflow>;

/** The worker builds the workflow from its playbook registry (see worker/workflows.ts). */
export function createIncidentWorkflow(playbooks: PlaybookRegistry) {
  return async function incidentWorkflow(input: IncidentRequestInput): Promise<IncidentStatus> {
    const parsed = incidentRequestSchema.safeParse(input);
    if (!parsed.success) throw invalid('incident request', parsed.error);
    const request: IncidentRequest = parsed.data;
    const playbook = playbooks[request.playbook];
    if (!playbook) {
      throw ApplicationFailure.nonRetryable(
        `unknown playbook "${request.playbook}"; known: ${Object.keys(playbooks).join(', ')}`,
        FAILURE_TYPES.InvalidIncidentRequest,
      );
    }
    const params = playbook.params.safeParse(request.params);
    if (!params.success) throw invalid(`params for playbook ${playbook.name}`, params.error);

    // Histories recorded before search attributes have no upsert commands: they replay without them.
    decideBaseline(workflowInfo().memo);
    const indexed = isPatched('search-attributes');
    // Newer runs cost less history (issue 15): notifications in batches (notifications.ts), and a
    // running incident's state in its search attribute alone, one upsert per change instead of two.
    // The memo is written when the open gate changes (./gate-memo.ts: decide() reads it instead of
    // querying the workflow) and when the run ends, for readers of closed runs
    // (gateway/intake/reopen.ts). `listIncidents` reads the search attribute first.
    const lean = isPatched(LEAN_HISTORY_PATCH);
    let gateWritten: GateMemo | null | undefined;
    // Asked here, in the run's first task: in a run without the newest baseline, a patch's marker
    // brings a search-attribute upsert of its own, the very kind of write this patch keeps off the
    // approval's task.
    const actingLate = lean && indexed && isPatched(ACTING_LATE_PATCH);
    const write = (state: IncidentState) => {
      const gate = gateMemoOf(incident);
      if (!lean || !indexed || FINAL_STATES.includes(state) || !sameGateMemo(gate, gateWritten)) {
        gateWritten = gate;
        upsertMemo({ state, [GATE_MEMO]: gate });
      }
      if (indexed) upsertSearchAttributes(searchAttributesOf(incident));
    };
    const acting = new ActingIndex(() => write('acting'));
    const memo = (state: IncidentState) => {
      acting.cancel();
      if (actingLate && state === 'acting') acting.later();
      else write(state);
    };
    const incident: Incident = new Incident(workflowInfo().workflowId, request, request.title ?? playbook.title(params.data), memo);
    incident.syncGateMemo = () => {
      if (acting.pending) return; // the deferred write brings the memo up to date with the state
      const gate = gateMemoOf(incident);
      // A write of its own, added after histories were recorded: only when no state change carried it.
      if (sameGateMemo(gate, gateWritten) || !isPatched('gate-memo-sync')) return;
      gateWritten = gate;
      upsertMemo({ [GATE_MEMO]: gate });
    };
    // Newer still: a step's notices ride in its activity, the last news in a local activity (notifications.ts).
    const riding = lean && isPatched(NOTICE_RIDERS_PATCH);
    const notifier = new NotificationQueue(
      incident,
      notify,
      lean ? notifyBatch : undefined,
      riding ? deliverNotices : undefined,
      !(riding && isPatched(NO_LOCAL_ACTIVITIES_PATCH)),
    );
    const lifecycle = new AlertLifecycle(incident, notifier);
    // A client that started the run with its memo and attributes (startIncident) spares these two writes.
    const record = startRecord(request, incident.title);
    if (!(lean && startedWith(record, workflowInfo()))) {
      // not the declared baseline: this run did not start with it, and took another (patches.ts)
      const { [ENGINE_MEMO]: _declared, ...memo } = record.memo;
      upsertMemo(memo);
      if (indexed) upsertSearchAttributes(searchAttributesOf(incident));
    }

    setHandler(statusQuery, () => incident.status());
    setHandler(timelineQuery, (sinceSeq = 0) => incident.timeline.page(sinceSeq));
    registerAlertCountsHandler(incident, (push) =>
      lifecycle.afterAlerts({
        status: push.resolvedFresh > 0 ? 'resolved' : 'firing',
        ...(push.lastSeen ? { lastSeen: push.lastSeen } : {}),
      }),
    );
    const inbox = new CommandInbox(playbook.commands ?? {}, request.requester, incident.id, () => incident.trust);
    notifier.commandsOpen = () => inbox.isOpen;
    registerDecisionHandlers(incident, notifier, inbox);
    registerCommandHandler(incident, inbox);
    let running = true;
    registerCancelHandler(incident, inbox, () => running);
    // State and timeline only (no commands), so recorded histories replay unchanged. The gateway
    // now pushes ledger counts instead (./alert-counts.ts); this takes what older gateways send.
    setHandler(alertsSignal, (batch) => {
      const source = batch.sample[0]?.source ?? 'alerts';
      if (batch.status === 'resolved') {
        const newly = incident.resolveAlerts(batch);
        // identities already resolved (a re-send, a retried delivery): nothing new to record
        if (batch.keys && newly === 0) return;
        const count = batch.keys ? newly : batch.count;
        const first = batch.sample[0];
        incident.noteAlerts('alert.resolved', source, `${count} alert(s) resolved${first ? `: ${first.title}` : ''}`, {
          count,
          resolved_at: batch.lastSeen,
          firing: incident.alerts.firing,
          resolved: incident.alerts.resolved,
        });
        lifecycle.afterAlerts(batch);
        return;
      }
      const fresh = incident.countAlerts(batch);
      incident.noteAlerts('alert.repeated', source, `${batch.count} more alert(s)${batch.keys ? `, ${fresh} new` : ''}`, {
        count: batch.count,
        total: incident.alerts.total,
        distinct: incident.alerts.distinct,
        first_seen: batch.firstSeen,
        last_seen: batch.lastSeen,
      });
      lifecycle.afterAlerts(batch);
    });

    const now = Date.now();
    const detected = request.detectedAt ? Date.parse(request.detectedAt) : earliest(request.alerts.map((a) => a.detectedAt));
    if (detected !== undefined) incident.clock.mark('detected_at', detected);
    incident.clock.mark('received_at', request.receivedAt ? Date.parse(request.receivedAt) : now);
    if (request.alerts.length > 0) {
      incident.countAlerts({
        count: request.alerts.length,
        sample: request.alerts,
        ...(request.receivedAt ? { lastSeen: request.receivedAt } : {}),
      });
      for (const alert of request.alerts.slice(0, 10)) {
        incident.timeline.append('alert.received', alert.source, alert.title, { id: alert.id, fingerprint: alert.fingerprint });
      }
    }
    incident.timeline.append('incident.started', request.requester, `${request.mode === 'drill' ? 'DRILL ' : ''}${incident.title}`, {
      playbook: playbook.name,
      mode: request.mode,
      params: params.data as Record<string, unknown>,
    });
    notifier.send('incident.started', incident.title);

    const compensations: Compensation[] = [];
    try {
      try {
        await playbook.run(createPlaybookContext(incident, playbook, params.data, notifier, compensations, inbox));
      } finally {
        inbox.close();
        running = false;
      }
      finish(incident, notifier, ...lifecycle.outcome('resolved', 'playbook completed'));
    } catch (err) {
      // Temporal's own cancel, or a person's (signed): the playbook stopped at its next wait or step.
      if (isCancellation(err) || incident.cancelRequest) {
        await CancellationScope.nonCancellable(async () => {
          const by = incident.cancelRequest
            ? `cancelled by ${incident.cancelRequest.by}: ${incident.cancelRequest.reason}`
            : 'incident cancelled';
          incident.closeOpenGates('cancelled', Date.now(), by);
          // Only the undos that must run whatever ends the incident (access granted is taken back).
          await runCompensations(
            incident,
            compensations.filter((c) => c.onCancel),
          );
          finish(incident, notifier, 'cancelled', by);
          await notifier.drain();
          await closeAlertLedger(incident);
        });
        // A person's cancel ends the workflow normally, its record complete; Temporal's own cancel is reported as such.
        if (!incident.cancelRequest) throw err;
      } else if (err instanceof ApplicationFailure && err.type === FAILURE_TYPES.ApprovalDenied) {
        finish(incident, notifier, ...lifecycle.outcome('denied', err.message));
      } else {
        await runCompensations(incident, compensations);
        recordFailureCause(incident, params.data, err);
        finish(incident, notifier, 'failed', messageOf(err));
        await notifier.drain();
        await closeAlertLedger(incident);
        throw ApplicationFailure.nonRetryable(`incident ${incident.id} failed: ${messageOf(err)}`, FAILURE_TYPES.IncidentFailed);
      }
    }
    await notifier.drain();
    await closeAlertLedger(incident);
    await condition(allHandlersFinished);
    return incident.status();
  };
}

function finish(incident: Incident, notifier: NotificationQueue, state: IncidentState, outcome: string): void {
  if (state === 'resolved') incident.clock.mark('resolved_at');
  incident.outcome = outcome;
  incident.setState(state);
  incident.timeline.append('incident.finished', 'tourniquet', `${state}: ${outcome}`, {
    durations: incident.clock.view().durations,
  });
  notifier.send('incident.finished', `${state}: ${outcome}`, { durations: { ...incident.clock.view().durations } });
}

async function runCompensations(incident: Incident, compensations: Compensation[]): Promise<void> {
  for (const { name, undo } of [...compensations].reverse()) {
    incident.timeline.append('compensation.started', 'tourniquet', `compensating: ${name}`);
    try {
      await undo();
      incident.timeline.append('compensation.completed', 'tourniquet', `compensated: ${name}`);
    } catch (err) {
      incident.timeline.append('compensation.failed', 'tourniquet', `compensation ${name} failed: ${messageOf(err)}`);
    }
  }
}
