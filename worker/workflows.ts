/**
 * The workflow bundle's entry: the engine, built with this deployment's playbooks. Deterministic
 * code only (it is bundled into the workflow sandbox).
 */
import { playbooks } from '../playbooks';
import { createIncidentWorkflow } from '../workflows/incident';

export const incidentWorkflow = createIncidentWorkflow(playbooks);

/** Receipts of webhook deliveries: what makes a replayed delivery take no effect (gateway/intake/receipts.ts). */
export { deliveryReceiptWorkflow } from '../workflows/delivery-receipt';

/** One shard of an incident's alert ledger: distinct identities outside the incident's history (gateway/intake/ledger.ts). */
export { alertLedgerWorkflow } from '../workflows/alert-ledger';
