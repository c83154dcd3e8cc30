/**
 * Eager workflow start: when the client shares its NativeConnection with a worker polling the
 * start's task queue in the same process (`npm run dev`, the bench), the server hands the run's
 * first workflow task back in the start response, and that worker runs it at once: no matching, no
 * poll. The start is as durable as any other (the server answers after persisting it).
 *
 * Elsewhere nothing comes of it. The CLI, on a grpc-js Connection, never asks: the SDK refuses the
 * flag on a connection that cannot take the task. A gateway in a process of its own is on a
 * NativeConnection (gateway/main.ts) and asks, and Rust core drops the request, as it does whenever
 * no worker of the process polls the queue or no workflow-task slot is free: the server dispatches
 * the task as usual.
 */
import { InternalConnectionLikeSymbol, type Client, type InternalConnectionLike } from '@temporalio/client';

/** whether starts through this client can be eager: its connection is a NativeConnection */
export function canStartEagerly(client: Client): boolean {
  return (client.connection as InternalConnectionLike)[InternalConnectionLikeSymbol]?.supportsEagerStart === true;
}

/** the start option asking for an eager start, when this client can take one; `allow: false` never asks */
export function eagerStart(client: Client, allow = true): { requestEagerStart?: true } {
  return allow && canStartEagerly(client) ? { requestEagerStart: true } : {};
}
