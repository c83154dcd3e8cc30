/** decide() over the SDK's gRPC client (client/decision-engine.ts). */
import { WorkflowNotFoundError, WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { GATE_MEMO, decideUpdate, refusalSignal, statusQuery } from '../workflows';
import type { DecisionEngine } from './decision-engine';
import { isTimeout } from './engine';

export function grpcDecisionEngine(client: Client): DecisionEngine {
  const handle = (id: string) => client.workflow.getHandle(id);
  return {
    async describeGate(incidentId, deadline) {
      const described = await client.connection.withDeadline(deadline, () => handle(incidentId).describe());
      return { running: described.status.name === 'RUNNING', gate: described.memo?.[GATE_MEMO] };
    },
    queryStatus: (incidentId, deadline) => client.connection.withDeadline(deadline, () => handle(incidentId).query(statusQuery)),
    isTimeout,
    async executeDecide(incidentId, input, updateId, deadline) {
      try {
        const result = await client.connection.withDeadline(deadline, () =>
          handle(incidentId).executeUpdate(decideUpdate, { args: [input], updateId }),
        );
        return { kind: 'completed', result };
      } catch (err) {
        if (err instanceof WorkflowUpdateFailedError && err.cause instanceof ApplicationFailure) {
          return { kind: 'refused', type: err.cause.type ?? undefined, message: err.cause.message };
        }
        if (err instanceof WorkflowNotFoundError) return { kind: 'notFound' };
        if (isTimeout(err)) return { kind: 'timeout' };
        throw err;
      }
    },
    async signalRefusal(incidentId, input) {
      await handle(incidentId).signal(refusalSignal, { decision: input });
    },
  };
}
