/**
 * One shard of an incident's alert ledger (see ./alert-ledger-contract.ts): which distinct
 * identities the incident has seen and whether each is firing or resolved, outside the incident's
 * own history. Its history stays bounded whatever the volume: past LEDGER_EVENT_BUDGET events or
 * LEDGER_BYTES_BUDGET bytes (or when Temporal suggests it) it continues as new, carrying the keys
 * (about 11 bytes each) as its input. It ends when its incident finishes (the incident cancels it)
 * or after LEDGER_IDLE_MS without a record, so a ledger whose incident was terminated does not linger.
 */
import {
  ApplicationFailure,
  allHandlersFinished,
  condition,
  continueAsNew,
  isCancellation,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import { AlertIdentities, type IdentitiesSnapshot } from './alert-identities';
import {
  LEDGER_KEY,
  LEDGER_KEY_LENGTH,
  LEDGER_SHARD_CAPACITY,
  MAX_LEDGER_RECORD,
  recordAlertsUpdate,
  shardOf,
  type LedgerStart,
  type ShardCounts,
} from './alert-ledger-contract';
import { FAILURE_TYPES } from './failure-types';

/** events of one run before it continues as new (Temporal's own limit is 51,200) */
export const LEDGER_EVENT_BUDGET = 500;
/** bytes of one run's history before it continues as new (Temporal's own limit is 50 MB) */
export const LEDGER_BYTES_BUDGET = 2 * 1024 * 1024;
const LEDGER_IDLE_MS = 30 * 24 * 3_600_000;

export interface LedgerInput extends LedgerStart {
  /** what the previous run held */
  state?: { seq: number; identities: IdentitiesSnapshot };
}

export async function alertLedgerWorkflow(input: LedgerInput): Promise<ShardCounts> {
  const ids = input.state
    ? AlertIdentities.restore(input.state.identities, LEDGER_SHARD_CAPACITY)
    : new AlertIdentities(LEDGER_SHARD_CAPACITY);
  let seq = input.state?.seq ?? 0;
  let records = 0;
  const counts = (): ShardCounts => ({ ...ids.counts(), seq });

  setHandler(
    recordAlertsUpdate,
    ({ keys, status }) => {
      records += 1;
      let fresh = 0;
      for (const key of keys) {
        if (status === 'seed') {
          if (ids.status(key) === undefined && ids.observe(key, false) === 'new') fresh += 1;
        } else if (ids.observe(key, status === 'resolved') !== 'same') fresh += 1;
      }
      if (fresh > 0) seq += 1;
      return { shard: input.shard, counts: counts(), fresh };
    },
    {
      // refused before anything reaches history
      validator: ({ keys, status }) => {
        if (!['firing', 'resolved', 'seed'].includes(status))
          throw ApplicationFailure.nonRetryable(`unknown status ${String(status)}`, FAILURE_TYPES.InvalidLedgerRecord);
        if (!Array.isArray(keys) || keys.length > MAX_LEDGER_RECORD)
          throw ApplicationFailure.nonRetryable(`a record takes at most ${MAX_LEDGER_RECORD} keys`, FAILURE_TYPES.InvalidLedgerRecord);
        for (const key of keys) {
          if (typeof key !== 'string' || !LEDGER_KEY.test(key) || shardOf(key) !== input.shard) {
            throw ApplicationFailure.nonRetryable(
              `key ${JSON.stringify(key)?.slice(0, 20)} does not belong to shard ${input.shard}`,
              FAILURE_TYPES.InvalidLedgerRecord,
            );
          }
        }
      },
    },
  );

  const rolloverDue = () => {
    const info = workflowInfo();
    return info.continueAsNewSuggested || info.historyLength >= LEDGER_EVENT_BUDGET || info.historySize >= LEDGER_BYTES_BUDGET;
  };
  try {
    for (;;) {
      const before = records;
      if (await condition(rolloverDue, LEDGER_IDLE_MS)) break;
      if (records === before) return counts(); // idle for the whole period
    }
  } catch (err) {
    if (isCancellation(err)) return counts(); // the incident finished
    throw err;
  }
  await condition(allHandlersFinished);
  return continueAsNew<typeof alertLedgerWorkflow>({
    incidentId: input.incidentId,
    runId: input.runId,
    shard: input.shard,
    state: { seq, identities: ids.snapshot(LEDGER_KEY_LENGTH) },
  });
}
