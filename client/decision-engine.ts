/**
 * What deciding on a gate (client/decisions.ts) asks of Temporal, so that one decide() runs over
 * the SDK's gRPC client (client/decision-engine-grpc.ts) or the HTTP API (client/http-engine.ts)
 * with the same refusals, messages and signed fields. Types only: nothing here loads either.
 */
import type { DecideResult, DecisionInput, IncidentStatus } from '../workflows';

export type DecideUpdateOutcome =
  | { kind: 'completed'; result: DecideResult }
  /** the workflow's validator or handler refused it with an ApplicationFailure of this type */
  | { kind: 'refused'; type: string | undefined; message: string }
  | { kind: 'notFound' }
  /** nobody took it in time (no worker, no server) */
  | { kind: 'timeout' };

export interface DecisionEngine {
  /** DescribeWorkflowExecution: whether the incident runs, and its raw gate memo (workflows/gate-memo.ts) */
  describeGate(incidentId: string, deadline: number): Promise<{ running: boolean; gate: unknown }>;
  /** the status query, with the SDK's errors (WorkflowNotFoundError…) or ones isTimeout() recognises */
  queryStatus(incidentId: string, deadline: number): Promise<IncidentStatus>;
  isTimeout(err: unknown): boolean;
  /** the decide update under `updateId`, waiting until `deadline` for its outcome; other failures throw */
  executeDecide(incidentId: string, input: DecisionInput, updateId: string, deadline: number): Promise<DecideUpdateOutcome>;
  signalRefusal(incidentId: string, input: DecisionInput): Promise<void>;
}
