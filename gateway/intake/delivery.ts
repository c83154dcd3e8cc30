/**
 * Getting alerts into incident workflows, exactly once each, with new-vs-joined known:
 *
 * - open: start the incident with the alert in its request (default conflict policy FAIL, so we
 *   learn whether this start created it); if one is already running, record the alert on it.
 * - add (a batch of repeats): record it; if no incident is running any more (it was resolved,
 *   denied, …), start a new run with the first alert in its request and record the rest.
 * - recording: the identities go to the run's alert ledger (./ledger.ts), then the ledger's counts
 *   and the deliveries are pushed to the incident, within its history budget: its history never
 *   holds the identities themselves (see "Bounded history" in docs/intake.md).
 *
 * With a ReopenGuard, a closed incident is opened again only when its route's reopen rules allow
 * it (./reopen.ts): the first start refuses to reuse a closed id, and the guard decides before a
 * second start that may; otherwise the answer is `suppressed` and nothing starts.
 *
 * Each path loops a few times because an incident can close between the two calls. An alert is
 * counted either in a start request or in a push, never both. What reaches Temporal crosses the
 * redaction boundary here, whatever was done before (alert payloads carry command lines and URLs,
 * which can hold secrets): histories keep fingerprints, never the values, within the workflow's limits.
 */
import { WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError, type Client } from '@temporalio/client';
import { prepareAlertRef, prepareAlertRefs, prepareIncidentRequest } from '../../redaction';
import { eagerStart } from '../../client/eager-start';
import { INCIDENT_WORKFLOW, incidentStartRecord } from '../../client/incidents';
import type { IncidentWorkflow } from '../../workflows/incident';
import type { AlertCountsPush, IncidentRequestInput, AlertRef } from '../../workflows';
import type { Batch, OpenStatus, ResolveStatus } from './coalescer';
import { AlertLedger, IncidentClosedError, withShards, type LedgerLogger } from './ledger';
import type { ReopenGuard, Suppression } from './reopen';
import { TemporalUnavailableError } from './unavailable';

const ATTEMPTS = 4;
/** how long an alert's answer may wait for Temporal before the sender is told to retry (503) */
const ANSWER_DEADLINE_MS = 10_000;
/** how long a batch flush may take before it is retried in the next window */
const FLUSH_DEADLINE_MS = 30_000;
/** open incident runs remembered (incident id → run id), so a flush needs no describe */
const RUNS_REMEMBERED = 10_000;

export type { ResolveStatus } from './coalescer';

/** One alert as the coalescer holds it: the reference the incident keeps (with its key), and when it was seen. */
export interface IntakeItem {
  ref: AlertRef & { key: string };
  /** firing: when it was received; resolved: when it stopped firing */
  seenAt: string;
  truncated?: number;
}

export class IncidentDelivery {
  private readonly runs = new Map<string, string>();
  readonly ledger: AlertLedger;

  constructor(
    private readonly client: Client,
    private readonly taskQueue: string,
    /** without one, every alert to a closed incident opens a new run */
    private readonly guard?: ReopenGuard,
    logger?: LedgerLogger,
  ) {
    this.ledger = new AlertLedger(client, taskQueue, logger);
  }

  /** Why the last alert to this incident opened no new run, while that is remembered. */
  suppression(incidentId: string): Suppression | undefined {
    return this.guard?.cached(incidentId);
  }

  /** Opens the incident with this alert, or counts it on the open one. */
  open(incidentId: string, request: IncidentRequestInput, alert: IntakeItem): Promise<OpenStatus> {
    const batch: Batch<IntakeItem> = {
      count: 1,
      sample: [alert],
      keys: new Map([[alert.ref.key, 1]]),
      firstSeen: alert.seenAt,
      lastSeen: alert.seenAt,
    };
    if (alert.truncated) batch.truncated = alert.truncated;
    // the request was prepared (redacted, clipped) from this very alert: it starts the run as it is
    return this.withDeadline(ANSWER_DEADLINE_MS, () => this.deliver(incidentId, request, batch, true, true));
  }

  /** Counts a batch of repeats on the incident, opening a new run if none is open (and its route allows one). */
  async add(incidentId: string, request: IncidentRequestInput, batch: Batch<IntakeItem>): Promise<OpenStatus> {
    return this.withDeadline(FLUSH_DEADLINE_MS, () => this.deliver(incidentId, request, batch, false));
  }

  /**
   * Records resolved alerts on the open incident; starts nothing. Recording an identity twice
   * changes nothing, so a retried delivery is harmless.
   */
  async resolve(incidentId: string, batch: Batch<IntakeItem>): Promise<ResolveStatus> {
    return this.withDeadline(ANSWER_DEADLINE_MS, async () => {
      for (let attempt = 0; attempt < 2; attempt++) {
        const runId = await this.runOf(incidentId);
        if (!runId) return 'no-open-incident';
        try {
          await this.record(incidentId, runId, batch, 'resolved', false);
          return 'resolved';
        } catch (err) {
          if (!(err instanceof IncidentClosedError)) throw err;
          this.runs.delete(incidentId); // closed meanwhile: nothing is left to resolve on that run
        }
      }
      return 'no-open-incident';
    });
  }

  /** Pushes the counts still held for incidents' budgets (at shutdown). */
  close(): Promise<void> {
    return this.ledger.close();
  }

  private withDeadline<T>(ms: number, fn: () => Promise<T>): Promise<T> {
    return this.client.connection.withDeadline(Date.now() + ms, fn);
  }

  /** The open run of the incident, or undefined when none is running. */
  private async runOf(incidentId: string): Promise<string | undefined> {
    const known = this.runs.get(incidentId);
    if (known) return known;
    try {
      const d = await this.client.workflow.getHandle(incidentId).describe();
      if (d.status.name !== 'RUNNING') return undefined;
      this.remember(incidentId, d.runId);
      return d.runId;
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return undefined;
      throw err;
    }
  }

  private remember(incidentId: string, runId: string): void {
    this.runs.delete(incidentId);
    this.runs.set(incidentId, runId);
    if (this.runs.size > RUNS_REMEMBERED) this.runs.delete(this.runs.keys().next().value!);
  }

  private async deliver(
    incidentId: string,
    request: IncidentRequestInput,
    batch: Batch<IntakeItem>,
    startFirst: boolean,
    /** `request` carries the batch's one alert, prepared: no second redaction pass before the start */
    ownRequest = false,
  ): Promise<OpenStatus> {
    // a suppression remembered: record first (a person may have started a run), start nothing
    let closed = this.guard?.cached(incidentId) !== undefined;
    let tryStart = startFirst && !closed;
    for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
      let runId: string | undefined;
      let started = false;
      if (tryStart) {
        if (closed && this.guard && (await this.guard.check(incidentId, request))) return 'suppressed';
        const args = ownRequest && batch.count === 1 ? request : await this.requestFor(request, batch);
        // the run's first memo and search attributes, given with the start (two upserts fewer per incident)
        const record = incidentStartRecord(args);
        try {
          const handle = await this.client.workflow.start<IncidentWorkflow>(INCIDENT_WORKFLOW, {
            workflowId: incidentId,
            taskQueue: this.taskQueue,
            // the first try never reuses a closed id: whether to is the guard's to say
            ...(this.guard && !closed ? { workflowIdReusePolicy: 'REJECT_DUPLICATE' as const } : {}),
            args: [args],
            ...(record ? { memo: record.memo, typedSearchAttributes: record.searchAttributes } : {}),
            // on the worker's own connection (`npm run dev`): its first workflow task comes back with the start
            ...eagerStart(this.client),
          });
          started = true;
          runId = handle.firstExecutionRunId;
          this.remember(incidentId, runId);
          if (batch.count <= 1) return 'new'; // the one alert is counted in the request
        } catch (err) {
          if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
        }
      }
      runId ??= await this.runOf(incidentId);
      if (!runId) {
        tryStart = true; // it closed: the next alert opens a new run, if its route allows
        closed = true;
        continue;
      }
      try {
        await this.record(incidentId, runId, batch, 'firing', started);
        return started ? 'new' : 'joined';
      } catch (err) {
        if (!(err instanceof IncidentClosedError)) throw err;
        this.runs.delete(incidentId);
        tryStart = true; // it closed: the next alert opens a new run, if its route allows
        closed = true;
      }
    }
    throw new TemporalUnavailableError(
      `incident ${incidentId} kept closing while alerts were delivered to it; gave up after ${ATTEMPTS} attempts`,
    );
  }

  /** The request of a run opened by this batch: its first alert in the request, as history keeps it. */
  private async requestFor(request: IncidentRequestInput, batch: Batch<IntakeItem>): Promise<IncidentRequestInput> {
    const first = await prepareAlertRef(batch.sample[0]!.ref);
    return prepareIncidentRequest({
      ...request,
      alerts: [first],
      ...(first.detectedAt ? { detectedAt: first.detectedAt } : {}),
      ...(batch.lastSeen ? { receivedAt: batch.lastSeen } : {}),
    });
  }

  /**
   * The batch's identities into the run's ledger, then the counts to the incident. `opened`: this
   * run was just started with the batch's first alert in its request (counted there as a delivery;
   * its identity is recorded here with the rest, so the ledger holds every alert of the run).
   */
  private async record(
    incidentId: string,
    runId: string,
    batch: Batch<IntakeItem>,
    status: 'firing' | 'resolved',
    opened: boolean,
  ): Promise<void> {
    const results = await this.ledger.record(incidentId, runId, batch.keys.keys(), status);
    const fresh = results.reduce((n, r) => n + r.fresh, 0);
    const deliveries = status === 'firing' ? batch.count - (opened ? 1 : 0) : 0;
    if (deliveries === 0 && fresh === 0 && !opened) return; // a retry: nothing new to tell the incident
    let push: AlertCountsPush = {
      deliveries,
      batches: deliveries > 0 ? 1 : 0,
      shards: {},
      firingFresh: status === 'firing' ? fresh : 0,
      resolvedFresh: status === 'resolved' ? fresh : 0,
      sample: await prepareAlertRefs(batch.sample.slice(opened ? 1 : 0).map((s) => s.ref)),
    };
    push = withShards(push, results);
    if (opened) push.seeded = true;
    if (batch.firstSeen) push.firstSeen = batch.firstSeen;
    if (batch.lastSeen) push.lastSeen = batch.lastSeen;
    if (batch.truncated) push.truncated = batch.truncated;
    try {
      await this.ledger.push(incidentId, runId, push);
    } catch (err) {
      if (err instanceof IncidentClosedError)
        await this.ledger.discard(
          incidentId,
          runId,
          results.map((r) => r.shard),
        );
      throw err;
    }
  }
}
