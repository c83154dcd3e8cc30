/**
 * Getting alerts into incident workflows, exactly once each, with new-vs-joined known:
 *
 * - open: start the incident with the alert in its request (default conflict policy FAIL, so we
 *   learn whether this start created it); if one is already running, signal the alert to it.
 * - add (a batch of repeats): signal it; if no incident is running any more (it was resolved,
 *   denied, …), start a new run with the first alert in its request and signal the rest.
 *
 * Each path loops a few times because an incident can close between the two calls. An alert is
 * counted either in a start request or in a signal, never both. What reaches Temporal crosses the
 * redaction boundary here, whatever was done before (alert payloads carry command lines and URLs,
 * which can hold secrets): histories keep fingerprints, never the values, within the workflow's limits.
 */
import { WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError, type Client } from '@temporalio/client';
import { prepareAlertRefs, prepareIncidentRequest } from '../../redaction';
import { INCIDENT_WORKFLOW } from '../../client/incidents';
import type { incidentWorkflow } from '../../worker/workflows';
import { alertsSignal, type AlertBatch, type AlertRef, type IncidentRequestInput } from '../../workflows';
import type { Batch, OpenStatus } from './coalescer';

const ATTEMPTS = 4;
/** how long an alert's answer may wait for Temporal before the sender is told to retry (503) */
const ANSWER_DEADLINE_MS = 10_000;
/** how long a batch flush may take before it is retried in the next window */
const FLUSH_DEADLINE_MS = 30_000;

export type ResolveStatus = 'resolved' | 'no-open-incident';

export class IncidentDelivery {
  constructor(
    private readonly client: Client,
    private readonly taskQueue: string,
  ) {}

  /** Opens the incident with this alert, or counts it on the open one. */
  open(incidentId: string, request: IncidentRequestInput, alert: AlertRef): Promise<OpenStatus> {
    const seen = alert.detectedAt;
    const batch = { count: 1, sample: [alert], ...(seen ? { firstSeen: seen, lastSeen: seen } : {}) };
    return this.withDeadline(ANSWER_DEADLINE_MS, () => this.deliver(incidentId, request, batch, true));
  }

  /** Counts a batch of repeats on the incident, opening a new run if none is open. */
  async add(incidentId: string, request: IncidentRequestInput, batch: Batch<AlertRef>): Promise<void> {
    await this.withDeadline(FLUSH_DEADLINE_MS, () => this.deliver(incidentId, request, batch, false));
  }

  /** Records resolved alerts on the open incident; starts nothing. */
  async resolve(incidentId: string, batch: AlertBatch): Promise<ResolveStatus> {
    try {
      const signal: AlertBatch = { ...batch, sample: await prepareAlertRefs(batch.sample), status: 'resolved' };
      await this.withDeadline(ANSWER_DEADLINE_MS, () => this.client.workflow.getHandle(incidentId).signal(alertsSignal, signal));
      return 'resolved';
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return 'no-open-incident';
      throw err;
    }
  }

  private withDeadline<T>(ms: number, fn: () => Promise<T>): Promise<T> {
    return this.client.connection.withDeadline(Date.now() + ms, fn);
  }

  private async deliver(incidentId: string, request: IncidentRequestInput, batch: Batch<AlertRef>, startFirst: boolean): Promise<OpenStatus> {
    let rest: Batch<AlertRef> = batch;
    let tryStart = startFirst;
    let started = false;
    for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
      if (tryStart) {
        const first = rest.sample[0];
        if (!first) throw new Error(`cannot open incident ${incidentId}: the batch has no sample alert`);
        try {
          const args = await prepareIncidentRequest({ ...request, alerts: [first], ...(first.detectedAt ? { detectedAt: first.detectedAt } : {}) });
          await this.client.workflow.start<typeof incidentWorkflow>(INCIDENT_WORKFLOW, { workflowId: incidentId, taskQueue: this.taskQueue, args: [args] });
          started = true;
          if (rest.count === 1) return 'new';
          rest = { ...rest, count: rest.count - 1, sample: rest.sample.slice(1) };
        } catch (err) {
          if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
        }
      }
      try {
        await this.client.workflow.getHandle(incidentId).signal(alertsSignal, await toSignal(rest));
        return started ? 'new' : 'joined';
      } catch (err) {
        if (!(err instanceof WorkflowNotFoundError)) throw err;
        tryStart = true; // it closed: the next alert opens a new run
        if (rest.sample.length === 0) rest = { ...rest, sample: batch.sample.slice(0, 1) };
      }
    }
    throw new Error(`incident ${incidentId} kept closing while alerts were delivered to it; gave up after ${ATTEMPTS} attempts`);
  }
}

async function toSignal(batch: Batch<AlertRef>): Promise<AlertBatch> {
  const out: AlertBatch = { count: batch.count, sample: await prepareAlertRefs(batch.sample) };
  if (batch.firstSeen) out.firstSeen = batch.firstSeen;
  if (batch.lastSeen) out.lastSeen = batch.lastSeen;
  return out;
}
