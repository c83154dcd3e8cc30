/**
 * The gateway's side of an incident's alert ledger (workflows/alert-ledger-contract.ts): records
 * identities in the shards of one incident run (each shard started on its first record, by
 * update-with-start), and pushes the shards' counts to the incident within its budget: a push the
 * incident refuses for now is held here, merged with later ones, and pushed when it says.
 */
import { WithStartWorkflowOperation, WorkflowNotFoundError, WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import {
  ALERT_COUNTS_BUDGET,
  ALERT_LEDGER_SEED,
  alertCountsUpdate,
  LEDGER_KEY,
  LEDGER_WORKFLOW,
  ledgerWorkflowId,
  MAX_LEDGER_RECORD,
  MAX_PUSH_SAMPLE,
  recordAlertsUpdate,
  shardOf,
  type AlertCountsPush,
  type LedgerRecord,
  type LedgerResult,
  type ShardCounts,
} from '../../workflows';

/** The incident run is no longer open: its alerts belong to a new run. */
export class IncidentClosedError extends Error {
  override name = 'IncidentClosedError';
}

const RETRY_HELD_MS = 5_000;

export interface LedgerLogger {
  warn(obj: object, msg: string): void;
}

export class AlertLedger {
  /** incident run → the push waiting for the incident's budget */
  private readonly held = new Map<string, { push: AlertCountsPush; timer: NodeJS.Timeout; incidentId: string; runId: string }>();

  constructor(
    private readonly client: Client,
    private readonly taskQueue: string,
    private readonly logger?: LedgerLogger,
  ) {}

  /** Records the identities in their shards; answers each shard's counts. */
  async record(incidentId: string, runId: string, keys: Iterable<string>, status: LedgerRecord['status']): Promise<LedgerResult[]> {
    const byShard = new Map<number, string[]>();
    for (const key of keys) {
      if (!LEDGER_KEY.test(key)) continue; // only the gateway's own keys reach a ledger
      const shard = shardOf(key);
      let list = byShard.get(shard);
      if (!list) byShard.set(shard, (list = []));
      list.push(key);
    }
    const records: [number, string[]][] = [];
    for (const [shard, list] of byShard)
      for (let i = 0; i < list.length; i += MAX_LEDGER_RECORD) records.push([shard, list.slice(i, i + MAX_LEDGER_RECORD)]);
    return Promise.all(
      records.map(([shard, chunk]) =>
        this.client.workflow.executeUpdateWithStart(recordAlertsUpdate, {
          args: [{ keys: chunk, status }],
          startWorkflowOperation: new WithStartWorkflowOperation(LEDGER_WORKFLOW, {
            workflowId: ledgerWorkflowId(incidentId, runId, shard),
            taskQueue: this.taskQueue,
            args: [{ incidentId, runId, shard }],
            workflowIdConflictPolicy: 'USE_EXISTING',
          }),
        }),
      ),
    );
  }

  /** Ends shards started for a run that had closed meanwhile (best effort: they end idle otherwise). */
  async discard(incidentId: string, runId: string, shards: Iterable<number>): Promise<void> {
    await Promise.allSettled([...shards].map((s) => this.client.workflow.getHandle(ledgerWorkflowId(incidentId, runId, s)).cancel()));
  }

  /**
   * Pushes counts to the incident run; resolves once taken, or held for later (the ledger has the
   * identities: only the incident's copy of the counts waits). Throws IncidentClosedError when the run closed.
   */
  async push(incidentId: string, runId: string, push: AlertCountsPush): Promise<void> {
    if (this.mergeIntoHeld(`${incidentId}/${runId}`, push)) return;
    await this.send(incidentId, runId, push);
  }

  /** Pushes what is held now (at shutdown); counts the incident still refuses stay in the ledger only. */
  async close(): Promise<void> {
    const held = [...this.held.values()];
    this.held.clear();
    for (const h of held) clearTimeout(h.timer);
    await Promise.allSettled(held.map((h) => this.send(h.incidentId, h.runId, h.push, false)));
  }

  private async send(incidentId: string, runId: string, push: AlertCountsPush, hold = true): Promise<void> {
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        await this.client.workflow.getHandle(incidentId, runId).executeUpdate(alertCountsUpdate, { args: [push] });
        return;
      } catch (err) {
        const refusal = refusalOf(err);
        if (refusal?.type === ALERT_LEDGER_SEED) {
          const { keys } = refusal.details?.[0] as { keys: string[] };
          push = withShards({ ...push, seeded: true }, await this.record(incidentId, runId, keys, 'seed'));
          continue;
        }
        if (refusal?.type === ALERT_COUNTS_BUDGET) {
          if (hold) this.hold(incidentId, runId, push, (refusal.details?.[0] as { retryAfterMs: number }).retryAfterMs);
          return;
        }
        if (err instanceof WorkflowNotFoundError || /already completed|not found/i.test((err as Error).message))
          throw new IncidentClosedError(`incident ${incidentId} run ${runId} is closed`);
        throw err;
      }
    }
  }

  private hold(incidentId: string, runId: string, push: AlertCountsPush, ms: number): void {
    const key = `${incidentId}/${runId}`;
    if (this.mergeIntoHeld(key, push)) return;
    const entry = {
      incidentId,
      runId,
      push,
      timer: setTimeout(
        () => {
          if (this.held.get(key) !== entry) return;
          this.held.delete(key);
          this.send(incidentId, runId, entry.push).catch((err: unknown) => {
            if (err instanceof IncidentClosedError) return;
            this.logger?.warn({ incidentId, err: (err as Error).message }, 'alert counts not pushed yet; retrying');
            this.hold(incidentId, runId, entry.push, RETRY_HELD_MS);
          });
        },
        Math.max(ms, 50),
      ),
    };
    entry.timer.unref?.();
    this.held.set(key, entry);
  }

  /** Folds the push into the one held for this run, if any: it goes out with it. */
  private mergeIntoHeld(key: string, push: AlertCountsPush): boolean {
    const held = this.held.get(key);
    if (held) held.push = mergePush(held.push, push);
    return !!held;
  }
}

function refusalOf(err: unknown): ApplicationFailure | undefined {
  const cause = err instanceof WorkflowUpdateFailedError ? err.cause : undefined;
  return cause instanceof ApplicationFailure ? cause : undefined;
}

/** The push with these shard answers folded in (the newest counts per shard). */
export function withShards(push: AlertCountsPush, results: LedgerResult[]): AlertCountsPush {
  const answers = results.map((r): [string, ShardCounts] => [String(r.shard), r.counts]);
  return { ...push, shards: newestShards(push.shards, answers) };
}

/** Each shard's newest counts (by sequence number) of `into` and `from`. */
function newestShards(into: Record<string, ShardCounts>, from: Iterable<[string, ShardCounts]>): Record<string, ShardCounts> {
  const shards = { ...into };
  for (const [s, counts] of from) {
    const was = shards[s];
    if (!was || counts.seq >= was.seq) shards[s] = counts;
  }
  return shards;
}

/** Two pushes as one: deliveries add up, each shard keeps its newest counts. */
export function mergePush(a: AlertCountsPush, b: AlertCountsPush): AlertCountsPush {
  const out: AlertCountsPush = {
    deliveries: a.deliveries + b.deliveries,
    batches: a.batches + b.batches,
    shards: newestShards(a.shards, Object.entries(b.shards)),
    firingFresh: a.firingFresh + b.firingFresh,
    resolvedFresh: a.resolvedFresh + b.resolvedFresh,
    sample: [...a.sample, ...b.sample].slice(0, MAX_PUSH_SAMPLE),
  };
  const first = [a.firstSeen, b.firstSeen].filter((t): t is string => !!t).sort()[0];
  const last = [a.lastSeen, b.lastSeen]
    .filter((t): t is string => !!t)
    .sort()
    .at(-1);
  if (first) out.firstSeen = first;
  if (last) out.lastSeen = last;
  const truncated = Math.max(a.truncated ?? 0, b.truncated ?? 0);
  if (truncated) out.truncated = truncated;
  if (a.seeded || b.seeded) out.seeded = true;
  return out;
}
