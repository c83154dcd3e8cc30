/**
 * The incident's one open gate, in its memo: what a decision signs (gate id, action digest, run
 * start). DescribeWorkflowExecution reads a memo and the server answers it alone, so decide() needs
 * no status query (a workflow task on a worker) before its Update: one round trip instead of two.
 *
 * Written with the memo's state on each state change (opening and closing a gate both change the
 * state), so it costs no write of its own; a gate change without a state change (a second gate
 * opening beside the first) writes it once more. Null when no gate or several are open, and absent
 * on incidents started before it: decide() then asks the incident itself, as before. It is a hint
 * that saves the query, never the authority: the Update's validator checks the gate it names.
 */
import type { Incident } from './incident-state';

/** the memo field holding the open gate */
export const GATE_MEMO = 'gate';

export interface GateMemo {
  id: string;
  digest: string;
  runStartedAt: string;
  /** what the gate is for, as `tourniquet approve` reports it */
  step: string;
  action: string;
  target: string;
}

/** The one open gate that takes signed decisions, or null (none, several, or one opened before signing). */
export function gateMemoOf(incident: Incident): GateMemo | null {
  const open = incident.openGates;
  const gate = open.length === 1 ? open[0]! : undefined;
  if (!gate?.trust || !gate.runStartedAt) return null;
  const { step, action, target, digest } = gate.action;
  return { id: gate.id, digest, runStartedAt: gate.runStartedAt, step, action, target };
}

/** Whether two entries say the same (the memo need not be written again). */
export function sameGateMemo(a: GateMemo | null | undefined, b: GateMemo | null | undefined): boolean {
  return (a ?? null) === (b ?? null) || (!!a && !!b && a.id === b.id && a.digest === b.digest && a.runStartedAt === b.runStartedAt);
}
