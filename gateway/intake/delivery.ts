/**
 * Getting alerts into incident workflows, exactly once each, with new-vs-joined known:
 *
 * - open: start the incident with the alert in its request (default conflict policy FAIL, so we
 *   learn whether this start created it); if one is already running, signal the alert to it.
 * - add (a batch of repeats): signal it; if no incident is running any more (it was resolved,
 *   denied, …), start a new run with the first alert in its request and signal the rest.
 *
 * With a ReopenGuard, a closed incident is opened again only when its route's reopen rules allow
 * it (./reopen.ts): the first start refuses to reuse a closed id, and the guard decides before a
 * second start that may; otherwise the answer is `suppressed` and nothing starts.
 *
 * Each path loops a few times because an incident can close between the two calls. An alert is
 * counted either in a start request or in a signal, never both. What reaches Temporal crosses the
 * redaction boundary here, whatever was done before (alert payloads carry command lines and URLs,
 * which can hold secrets): histories keep fingerprints, never the values, within the workflow's limits.
 */
import { WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError, type Client } from '@temporalio/client';
import { prepareAlertRef, prepareAlertRefs, prepareIncidentRequest } from '../../redaction';
import { INCIDENT_WORKFLOW } from '../../client/incidents';
import type { IncidentWorkflow } from '../../workflows/incident';
import { alertsSignal, MAX_BATCH_KEYS, type AlertBatch, type AlertRef, type IncidentRequestInput } from '../../workflows';
import type { Batch, OpenStatus, ResolveStatus } from './coalescer';
import type { ReopenGuard, Suppression } from './reopen';
import { TemporalUnavailableError } from './unavailable';

const ATTEMPTS = 4;
/** how long an alert's answer may wait for Temporal before the sender is told to retry (503) */
const ANSWER_DEADLINE_MS = 10_000;
/** how long a batch flush may take before it is retried in the next window */
const FLUSH_DEADLINE_MS = 30_000;

export type { ResolveStatus } from './coalescer';

/** One alert as the coalescer holds it: the reference the incident keeps (with its key), and when it was seen. */
export interface IntakeItem {
  ref: AlertRef & { key: string };
  /** firing: when it was received; resolved: when it stopped firing */
  seenAt: string;
  truncated?: number;
}

export class IncidentDelivery {
  constructor(
    private readonly client: Client,
    private readonly taskQueue: string,
    /** without one, every alert to a closed incident opens a new run */
    private readonly guard?: ReopenGuard,
  ) {}

  /** Why the last alert to this incident opened no new run, while that is remembered. */
  suppression(incidentId: string): Suppression | undefined {
    return this.guard?.cached(incidentId);
  }

  /** Opens the incident with this alert, or counts it on the open one. */
  open(incidentId: string, request: IncidentRequestInput, alert: IntakeItem): Promise<OpenStatus> {
    const batch: Batch<IntakeItem> = { count: 1, sample: [alert], keys: new Map([[alert.ref.key, 1]]), firstSeen: alert.seenAt, lastSeen: alert.seenAt };
    if (alert.truncated) batch.truncated = alert.truncated;
    return this.withDeadline(ANSWER_DEADLINE_MS, () => this.deliver(incidentId, request, batch, true));
  }

  /** Counts a batch of repeats on the incident, opening a new run if none is open (and its route allows one). */
  async add(incidentId: string, request: IncidentRequestInput, batch: Batch<IntakeItem>): Promise<OpenStatus> {
    return this.withDeadline(FLUSH_DEADLINE_MS, () => this.deliver(incidentId, request, batch, false));
  }

  /**
   * Records resolved alerts on the open incident (as many signals as MAX_BATCH_KEYS needs); starts
   * nothing. Recording an identity twice changes nothing, so a retried delivery is harmless.
   */
  async resolve(incidentId: string, batch: Batch<IntakeItem>): Promise<ResolveStatus> {
    const signals = await toSignals(batch, 'resolved');
    return this.withDeadline(ANSWER_DEADLINE_MS, async () => {
      for (const [i, signal] of signals.entries()) {
        try {
          await this.client.workflow.getHandle(incidentId).signal(alertsSignal, signal);
        } catch (err) {
          if (!(err instanceof WorkflowNotFoundError)) throw err;
          return i === 0 ? 'no-open-incident' : 'resolved'; // closed meanwhile: nothing is left to resolve
        }
      }
      return 'resolved';
    });
  }

  private withDeadline<T>(ms: number, fn: () => Promise<T>): Promise<T> {
    return this.client.connection.withDeadline(Date.now() + ms, fn);
  }

  private async deliver(incidentId: string, request: IncidentRequestInput, batch: Batch<IntakeItem>, startFirst: boolean): Promise<OpenStatus> {
    let signals = await toSignals(batch, 'firing');
    // a suppression remembered: signal first (a person may have started a run), start nothing
    let closed = this.guard?.cached(incidentId) !== undefined;
    let tryStart = startFirst && !closed;
    let started = false;
    for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
      if (tryStart) {
        if (closed && this.guard && (await this.guard.check(incidentId, request))) return 'suppressed';
        const first = signals[0]?.sample[0] ?? (await prepareAlertRef(batch.sample[0]!.ref));
        try {
          await this.client.workflow.start<IncidentWorkflow>(INCIDENT_WORKFLOW, {
            workflowId: incidentId,
            taskQueue: this.taskQueue,
            // the first try never reuses a closed id: whether to is the guard's to say
            ...(this.guard && !closed ? { workflowIdReusePolicy: 'REJECT_DUPLICATE' as const } : {}),
            args: [
              await prepareIncidentRequest({
                ...request,
                alerts: [first],
                ...(first.detectedAt ? { detectedAt: first.detectedAt } : {}),
                ...(batch.lastSeen ? { receivedAt: batch.lastSeen } : {}),
              }),
            ],
          });
          started = true;
          signals = withoutFirst(signals, first);
          if (signals.length === 0) return 'new';
        } catch (err) {
          if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
        }
      }
      try {
        while (signals.length > 0) {
          await this.client.workflow.getHandle(incidentId).signal(alertsSignal, signals[0]!);
          signals = signals.slice(1);
        }
        return started ? 'new' : 'joined';
      } catch (err) {
        if (!(err instanceof WorkflowNotFoundError)) throw err;
        tryStart = true; // it closed: the next alert opens a new run, if its route allows
        closed = true;
      }
    }
    throw new TemporalUnavailableError(`incident ${incidentId} kept closing while alerts were delivered to it; gave up after ${ATTEMPTS} attempts`);
  }
}

/**
 * A batch as alerts signals of at most MAX_BATCH_KEYS identities each: every delivery counted
 * once, with its identity; the examples and times ride on the first.
 */
async function toSignals(batch: Batch<IntakeItem>, status: 'firing' | 'resolved'): Promise<AlertBatch[]> {
  const keys = [...batch.keys];
  const sample = await prepareAlertRefs(batch.sample.map((s) => s.ref));
  const signals: AlertBatch[] = [];
  for (let i = 0; i === 0 || i < keys.length; i += MAX_BATCH_KEYS) {
    const chunk = keys.slice(i, i + MAX_BATCH_KEYS);
    const out: AlertBatch = { count: chunk.reduce((n, [, c]) => n + c, 0), sample: i === 0 ? sample : [], keys: chunk.map(([k]) => k) };
    if (status === 'resolved') out.status = 'resolved';
    if (batch.firstSeen) out.firstSeen = batch.firstSeen;
    if (batch.lastSeen) out.lastSeen = batch.lastSeen;
    if (batch.truncated) out.truncated = batch.truncated;
    signals.push(out);
  }
  return signals;
}

/** The signals left once `first` was counted in a start request: one delivery fewer, its identity already recorded. */
function withoutFirst(signals: AlertBatch[], first: AlertRef): AlertBatch[] {
  const [head, ...rest] = signals;
  if (!head) return rest;
  const next: AlertBatch = { ...head, count: Math.max(0, head.count - 1), sample: head.sample.filter((s) => s !== first), keys: (head.keys ?? []).filter((k) => k !== first.key) };
  return next.count === 0 && (next.keys?.length ?? 0) === 0 ? rest : [next, ...rest];
}
