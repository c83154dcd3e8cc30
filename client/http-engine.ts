/**
 * Reading an incident and deciding on its gate over Temporal's HTTP API (client/temporal-http.ts),
 * for the CLI: the same answers and the same errors, word for word, as the SDK's gRPC client gives
 * (client/incidents.ts getStatus, client/decision-engine-grpc.ts). Where the SDK turns a gRPC status
 * into an error class, the same status becomes an error with the same message here, and the codes
 * client/engine.ts reads as "no answer" keep their code.
 */
import { randomUUID } from 'node:crypto';
// The modules themselves, not the workflows index: `status` then loads none of the workflow code.
import { decideUpdate, refusalSignal, statusQuery } from '../workflows/messages';
import { GATE_MEMO } from '../workflows/gate-memo';
import type { DecideResult, IncidentStatus } from '../workflows';
import type { DecisionEngine } from './decision-engine';
import { engineUnavailable } from './engine-unavailable';
import { GRPC, TemporalHttpError, type JsonPayload, type TemporalHttp } from './temporal-http';

/** gRPC codes meaning "no answer" (client/engine.ts) */
const NO_ANSWER = new Set<number>([GRPC.CANCELLED, GRPC.DEADLINE_EXCEEDED, GRPC.UNAVAILABLE]);
const isNoAnswer = (err: unknown) => err instanceof TemporalHttpError && NO_ANSWER.has(err.code);

/** The SDK's ServiceError, as cli/main.ts reports it (its message, and the gRPC details as the cause's). */
class ServiceError extends Error {
  override name = 'ServiceError';
}

/**
 * The error the SDK client throws for this status (its rethrowGrpcError): "no answer" codes keep
 * their code, the namespace and the workflow not being found read as the SDK's, the rest as a
 * ServiceError with the server's words as details.
 */
function sdkError(err: unknown, fallbackMessage: string, namespace: string): unknown {
  if (!(err instanceof TemporalHttpError)) return err;
  if (err.detailTypes.includes('temporal.api.errordetails.v1.NamespaceNotFoundFailure')) {
    return new Error(`Namespace not found: '${namespace}'`);
  }
  if (err.code === GRPC.NOT_FOUND) return new Error(err.message);
  if (isNoAnswer(err)) return err;
  return new ServiceError(fallbackMessage, { cause: { code: err.code, details: err.message } });
}

async function query(http: TemporalHttp, incidentId: string, name: string, deadline: number): Promise<unknown> {
  let response: { queryResult?: { payloads?: JsonPayload[] }; queryRejected?: unknown };
  try {
    response = await http.call('POST', http.workflowPath(incidentId, `/query/${encodeURIComponent(name)}`), { query: {} }, deadline);
  } catch (err) {
    // the SDK: a query the workflow failed (or does not know) is a QueryNotRegisteredError with the server's words
    if (err instanceof TemporalHttpError && err.code === GRPC.INVALID_ARGUMENT && !err.detailTypes.some((t) => t.includes('Namespace'))) {
      throw new Error(err.message, { cause: err });
    }
    throw sdkError(err, 'Failed to query Workflow', http.namespace);
  }
  if (response.queryRejected) throw new Error('Query rejected');
  return http.fromPayload(response.queryResult?.payloads?.[0]);
}

/** getStatus (client/incidents.ts) over HTTP: EngineUnavailableError when no worker answers within `timeoutMs`. */
export async function getStatusOverHttp(http: TemporalHttp, incidentId: string, options: { timeoutMs: number }): Promise<IncidentStatus> {
  try {
    return (await query(http, incidentId, statusQuery.name, Date.now() + options.timeoutMs)) as IncidentStatus;
  } catch (err) {
    if (!isNoAnswer(err)) throw err;
    throw engineUnavailable(incidentId, (err as TemporalHttpError).code === GRPC.UNAVAILABLE, err);
  }
}

interface UpdateResponse {
  stage?: string;
  outcome?: {
    success?: { payloads?: JsonPayload[] };
    failure?: { message?: string; applicationFailureInfo?: { type?: string } };
  };
}

export function httpDecisionEngine(http: TemporalHttp): DecisionEngine {
  return {
    async describeGate(incidentId, deadline) {
      let described: { workflowExecutionInfo?: { status?: string; memo?: { fields?: Record<string, JsonPayload> } } };
      try {
        described = await http.call('GET', http.workflowPath(incidentId), undefined, deadline);
      } catch (err) {
        throw sdkError(err, 'Failed to describe workflow', http.namespace);
      }
      const info = described.workflowExecutionInfo;
      const gatePayload = info?.memo?.fields?.[GATE_MEMO];
      return {
        running: info?.status === 'WORKFLOW_EXECUTION_STATUS_RUNNING',
        gate: gatePayload ? await http.fromPayload(gatePayload) : undefined,
      };
    },
    queryStatus: async (incidentId, deadline) => (await query(http, incidentId, statusQuery.name, deadline)) as IncidentStatus,
    isTimeout: isNoAnswer,
    async executeDecide(incidentId, input, updateId, deadline) {
      const body = {
        workflowExecution: { workflowId: incidentId },
        waitPolicy: { lifecycleStage: 'UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_COMPLETED' },
        request: {
          meta: { updateId, identity: http.identity },
          input: { name: decideUpdate.name, args: { payloads: await http.toPayloads([input]) } },
        },
      };
      const path = http.workflowPath(incidentId, `/update/${encodeURIComponent(decideUpdate.name)}`);
      try {
        // As the SDK: the same update id again until it has an outcome (the server answers a repeat
        // with the first update's state), each call waiting for it as long as the server allows.
        for (;;) {
          const response = await http.call<UpdateResponse>('POST', path, body, deadline);
          const outcome = response.outcome;
          if (outcome?.failure) {
            if (!outcome.failure.applicationFailureInfo) throw new Error('Workflow Update failed');
            return {
              kind: 'refused',
              type: outcome.failure.applicationFailureInfo.type ?? '',
              message: outcome.failure.message ?? '',
            };
          }
          if (outcome?.success)
            return { kind: 'completed', result: (await http.fromPayload(outcome.success.payloads?.[0])) as DecideResult };
          if (Date.now() >= deadline) return { kind: 'timeout' };
        }
      } catch (err) {
        const sdk = sdkError(err, 'Workflow Update failed', http.namespace);
        if (err instanceof TemporalHttpError && err.code === GRPC.NOT_FOUND && sdk instanceof Error && !sdk.message.startsWith('Namespace'))
          return { kind: 'notFound' };
        if (isNoAnswer(err)) return { kind: 'timeout' };
        throw sdk;
      }
    },
    async signalRefusal(incidentId, input) {
      const body = { input: { payloads: await http.toPayloads([{ decision: input }]) }, identity: http.identity, requestId: randomUUID() };
      await http.call(
        'POST',
        http.workflowPath(incidentId, `/signal/${encodeURIComponent(refusalSignal.name)}`),
        body,
        Date.now() + 10_000,
      );
    },
  };
}
