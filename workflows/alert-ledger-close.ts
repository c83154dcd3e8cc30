/**
 * When an incident finishes, its alert ledger's shards (those it took counts from) are cancelled:
 * they end with it instead of waiting out their idle period. Only incidents that took ledger
 * counts issue these commands, so histories recorded before the ledger replay unchanged; the
 * patch marks the change all the same.
 */
import { getExternalWorkflowHandle, workflowInfo } from '@temporalio/workflow';
import { ledgerWorkflowId } from './alert-ledger-contract';
import type { Incident } from './incident-state';
import { isPatched } from './patches';

export async function closeAlertLedger(incident: Incident): Promise<void> {
  if (incident.ledgerShards.size === 0 || !isPatched('alert-ledger-close')) return;
  const { workflowId, runId } = workflowInfo();
  await Promise.allSettled(
    [...incident.ledgerShards.keys()].map((shard) => getExternalWorkflowHandle(ledgerWorkflowId(workflowId, runId, shard)).cancel()),
  );
}
