/**
 * "The engine did not answer", told the same way whichever way Temporal was reached (the SDK's
 * gRPC client, client/engine.ts; the HTTP API, client/http-engine.ts). No SDK import: the HTTP path
 * loads no gRPC client.
 */

/** No worker (or no server) answered a read of an incident. */
export class EngineUnavailableError extends Error {
  override name = 'EngineUnavailableError';
}

/** The error for a read of `incidentId` nobody answered; `serverUnreachable`: Temporal itself, not only its workers. */
export function engineUnavailable(incidentId: string, serverUnreachable: boolean, cause: unknown): EngineUnavailableError {
  const message = serverUnreachable
    ? `cannot reach Temporal to read incident ${incidentId} (is \`npm run dev\` running, or TEMPORAL_ADDRESS set?)`
    : `no worker answered for incident ${incidentId} (is a worker running? \`npm run dev\` or \`npm run worker\`); the incident is kept by Temporal and continues when a worker returns`;
  return new EngineUnavailableError(message, { cause });
}
