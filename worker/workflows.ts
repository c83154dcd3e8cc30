/**
 * The workflow bundle's entry: the engine, built with this deployment's playbooks. Deterministic
 * code only (it is bundled into the workflow sandbox).
 */
import { playbooks } from '../playbooks';
import { createIncidentWorkflow } from '../workflows/incident';

export const incidentWorkflow = createIncidentWorkflow(playbooks);
