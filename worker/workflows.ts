/**
 * The workflow bundle's entry: the engine, built with this deployment's playbooks. Deterministic
 * code only (it is bundled into the workflow sandbox).
 */
import { playbooks } from '../playbooks';
import { createIncidentWorkflow } from '../workflows/incident';

export const incidentWorkflow = createIncidentWorkflow(playbooks);

/** Receipts of webhook deliveries: what makes a replayed delivery take no effect (gateway/intake/receipts.ts). */
export { deliveryReceiptWorkflow } from '../workflows/delivery-receipt';

/** The last known members of each Slack user group, for gates opened while Slack is down (workflows/slack-group-membership.ts). */
export { slackGroupMembershipWorkflow } from '../workflows/slack-group-membership';
