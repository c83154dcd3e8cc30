/**
 * The incident's side of the alert ledger: counts pushed by the gateway (alertCountsUpdate), within
 * a fixed budget of this incident's history whatever the alert volume.
 *
 * - The first PUSHES_FREE pushes are taken as they come (an Alertmanager group is acknowledged
 *   once its counts are here); after that each must wait twice as long every PUSH_DOUBLING pushes,
 *   from 1 s; none past PUSH_BUDGET. A refused push leaves no trace in history (an Update's
 *   validator), and the gateway pushes the counts later, merged: counts are absolute per ledger
 *   shard, so nothing is lost by merging, only delayed. 400 pushes of about 5 events and a few
 *   KB each bound this at about 2,000 events and 2 MB (Temporal allows 51,200 and 50 MB).
 * - The alerts an incident was opened with are counted by the workflow itself; before the first
 *   push is taken the gateway must have recorded them in the ledger too (the refusal names them),
 *   so the ledger's counts are the whole truth from then on.
 */
import { ApplicationFailure, setHandler } from '@temporalio/workflow';
import { LEDGER_KEY, LEDGER_SHARDS } from './alert-ledger-contract';
import { alertKey, type Incident } from './incident-state';
import { ALERT_COUNTS_BUDGET, ALERT_LEDGER_SEED, alertCountsUpdate } from './messages';
import { MAX_PUSH_SAMPLE, type AlertCountsPush } from './request';
import { FAILURE_TYPES } from './failure-types';

export const PUSHES_FREE = 100;
const PUSH_DOUBLING = 20;
export const PUSH_BUDGET = 400;

/** how long after the previous push the next may come, once `taken` pushes were taken */
export function pushSpacingMs(taken: number): number {
  return taken < PUSHES_FREE ? 0 : 1000 * 2 ** ((taken - PUSHES_FREE) / PUSH_DOUBLING);
}

function refuse(message: string): never {
  throw ApplicationFailure.nonRetryable(message, FAILURE_TYPES.InvalidAlertCounts);
}

function checkShape(push: AlertCountsPush): void {
  const counts = [push.deliveries, push.batches, push.firingFresh, push.resolvedFresh];
  if (!counts.every((n) => Number.isSafeInteger(n) && n >= 0)) refuse('counts must be non-negative integers');
  if (!Array.isArray(push.sample) || push.sample.length > MAX_PUSH_SAMPLE) refuse(`at most ${MAX_PUSH_SAMPLE} sample alerts`);
  const shards = Object.entries(push.shards ?? {});
  if (shards.length > LEDGER_SHARDS) refuse(`at most ${LEDGER_SHARDS} shards`);
  for (const [shard, c] of shards) {
    const n = Number(shard);
    if (!Number.isInteger(n) || n < 0 || n >= LEDGER_SHARDS) refuse(`no shard ${shard}`);
    if (![c.seq, c.distinct, c.firing, c.resolved].every((v) => Number.isSafeInteger(v) && v >= 0))
      refuse(`shard ${shard}: counts must be non-negative integers`);
  }
}

/** `after`: told once a push is counted (the lifecycle rules: ./alert-lifecycle.ts). */
export function registerAlertCountsHandler(incident: Incident, after: (push: AlertCountsPush) => void = () => {}): void {
  setHandler(
    alertCountsUpdate,
    (push) => {
      incident.applyPush(push, Date.now());
      after(push);
      return { distinct: incident.alerts.distinct, firing: incident.alerts.firing, resolved: incident.alerts.resolved };
    },
    {
      validator: (push) => {
        checkShape(push);
        if (!incident.ledgerSeeded && !push.seeded) {
          const keys = incident.request.alerts.map(alertKey).filter((k) => LEDGER_KEY.test(k));
          if (keys.length > 0) {
            throw ApplicationFailure.create({
              message: 'record the alerts this incident was opened with in its ledger first',
              type: ALERT_LEDGER_SEED,
              details: [{ keys }],
              nonRetryable: true,
            });
          }
        }
        const taken = incident.alertPushes;
        const wait = taken >= PUSH_BUDGET ? Infinity : pushSpacingMs(taken) - (Date.now() - (incident.lastPushAt ?? 0));
        if (wait > 0) {
          const retryAfterMs = Number.isFinite(wait) ? Math.ceil(wait) : 24 * 3_600_000;
          throw ApplicationFailure.create({
            message:
              taken >= PUSH_BUDGET
                ? `this incident took its ${PUSH_BUDGET} alert count pushes`
                : `alert counts are taken again in ${retryAfterMs} ms`,
            type: ALERT_COUNTS_BUDGET,
            details: [{ retryAfterMs }],
            nonRetryable: true,
          });
        }
      },
    },
  );
}
