/**
 * Starting and reading incidents. Requests are validated here too, so a person gets the zod issue
 * at once instead of a failed workflow.
 */
import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import type { Payload } from '@temporalio/common';
import proto from '@temporalio/proto';
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { playbooks } from '../playbooks';
import { prepareIncidentRequest } from '../redaction';
import { eagerStart } from './eager-start';
import { answeredQuery } from './engine';
import type { IncidentWorkflow } from '../workflows/incident';
import { startRecord, TourniquetState } from '../workflows/search-attributes';
import {
  incidentRequestSchema,
  statusQuery,
  timelineQuery,
  TIMELINE_PAGE_BYTES,
  type IncidentRequest,
  type IncidentRequestInput,
  type IncidentState,
  type IncidentStatus,
  type TimelineEvent,
} from '../workflows';

export const INCIDENT_WORKFLOW = 'incidentWorkflow';

export class IncidentRequestError extends Error {
  override name = 'IncidentRequestError';
}

/** An incident already exists (or existed) under the id asked for. */
export class IncidentExistsError extends IncidentRequestError {
  override name = 'IncidentExistsError';
}

export function newIncidentId(playbook: string): string {
  const alphabet = 'abcdefghjkmnpqrstuvwxyz23456789';
  const suffix = [...randomBytes(8)].map((b) => alphabet[b % alphabet.length]).join('');
  return `inc-${playbook}-${suffix}`;
}

export function validateIncidentRequest(input: IncidentRequestInput) {
  const parsed = incidentRequestSchema.safeParse(input);
  if (!parsed.success) throw new IncidentRequestError(`invalid incident request:\n${z.prettifyError(parsed.error)}`);
  const playbook = playbooks[parsed.data.playbook];
  if (!playbook) {
    throw new IncidentRequestError(`unknown playbook "${parsed.data.playbook}"; known: ${Object.keys(playbooks).join(', ')}`);
  }
  // A mistyped --param would otherwise be dropped without a word (zod strips unknown keys).
  if (playbook.params instanceof z.ZodObject) {
    const known = Object.keys(playbook.params.shape);
    const unknown = Object.keys(parsed.data.params ?? {}).filter((k) => !known.includes(k));
    if (unknown.length) {
      throw new IncidentRequestError(
        `unknown param${unknown.length > 1 ? 's' : ''} ${unknown.map((k) => `"${k}"`).join(', ')} for playbook ${playbook.name}; known: ${known.join(', ')}`,
      );
    }
  }
  const params = playbook.params.safeParse(parsed.data.params);
  if (!params.success) {
    throw new IncidentRequestError(`invalid params for playbook ${playbook.name}:\n${z.prettifyError(params.error)}`);
  }
  return parsed.data;
}

export interface StartOptions {
  taskQueue: string;
  incidentId?: string;
  /** never a second run under this id, even once the first closed: for ids derived from a request, so its replay starts nothing */
  once?: boolean;
  /** false: never ask for an eager start (./eager-start.ts), even where the client could take one */
  eager?: boolean;
}

/**
 * What the incident workflow would record first (its memo and search attributes), given with the
 * start so that it need not (workflows/search-attributes.ts); undefined for a request that does not
 * validate, whose run then writes them itself (or fails on the same request, as it would anyway).
 */
export function incidentStartRecord(input: IncidentRequestInput): ReturnType<typeof startRecord> | undefined {
  const parsed = incidentRequestSchema.safeParse(input);
  return parsed.success ? startRecordOf(parsed.data) : undefined;
}

/** incidentStartRecord for a request already validated (startIncident's): no second parse */
function startRecordOf(request: IncidentRequest): ReturnType<typeof startRecord> | undefined {
  const playbook = playbooks[request.playbook];
  if (!playbook) return undefined;
  const params = playbook.params.safeParse(request.params);
  const title = request.title ?? (params.success ? playbook.title(params.data) : undefined);
  return title === undefined ? undefined : startRecord(request, title);
}

/**
 * Starts an incident. Title, params and alerts are redacted (and clipped to the workflow's limits)
 * before they are validated and sent: a secret pasted into `--title` or `--param` reaches history
 * only as its fingerprint, and a redacted request that fits is what was validated.
 */
export async function startIncident(client: Client, input: IncidentRequestInput, options: StartOptions): Promise<string> {
  const request = validateIncidentRequest(await prepareIncidentRequest(input));
  const workflowId = options.incidentId ?? newIncidentId(request.playbook);
  const record = startRecordOf(request);
  try {
    await client.workflow.start<IncidentWorkflow>(INCIDENT_WORKFLOW, {
      workflowId,
      taskQueue: options.taskQueue,
      args: [request],
      ...(record ? { memo: record.memo, typedSearchAttributes: record.searchAttributes } : {}),
      ...(options.once ? ({ workflowIdReusePolicy: 'REJECT_DUPLICATE', workflowIdConflictPolicy: 'FAIL' } as const) : {}),
      ...eagerStart(client, options.eager),
    });
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) {
      throw new IncidentExistsError(`incident ${workflowId} already exists`);
    }
    throw err;
  }
  return workflowId;
}

export interface ReadOptions {
  /** give up (EngineUnavailableError) when no worker answers within this; the server's own wait (~30 s) otherwise */
  timeoutMs?: number;
}

function read<T>(client: Client, incidentId: string, options: ReadOptions, run: () => Promise<T>): Promise<T> {
  const timed = options.timeoutMs === undefined ? run : () => client.connection.withDeadline(Date.now() + options.timeoutMs!, run);
  return answeredQuery(incidentId, timed);
}

/** Throws EngineUnavailableError when no worker answers (none running, or Temporal unreachable). */
export function getStatus(client: Client, incidentId: string, options: ReadOptions = {}): Promise<IncidentStatus> {
  return read(client, incidentId, options, () => client.workflow.getHandle(incidentId).query(statusQuery));
}

/**
 * The timeline after `sinceSeq`, page by page: the workflow answers at most TIMELINE_PAGE_BYTES per
 * query. A page well under that was not cut, so it is the last one (no extra query for the common case).
 */
export async function getTimeline(client: Client, incidentId: string, sinceSeq = 0, options: ReadOptions = {}): Promise<TimelineEvent[]> {
  const all: TimelineEvent[] = [];
  let since = sinceSeq;
  for (;;) {
    const from = since;
    const page = await read(client, incidentId, options, () => client.workflow.getHandle(incidentId).query(timelineQuery, from));
    all.push(...page);
    if (page.length === 0 || JSON.stringify(page).length < TIMELINE_PAGE_BYTES / 2) return all;
    since = page.at(-1)!.seq;
  }
}

export interface IncidentListing {
  id: string;
  playbook: string;
  title: string;
  state: IncidentState | 'unknown';
  mode: string;
  requester: string;
  startedAt: string;
  temporalStatus: string;
}

function listing(id: string, memo: Record<string, unknown>, startTime: Date | undefined, status: string): IncidentListing {
  const str = (k: string) => (typeof memo[k] === 'string' ? (memo[k] as string) : '');
  return {
    id,
    playbook: str('playbook'),
    title: str('title'),
    state: (str('state') || 'unknown') as IncidentState,
    mode: str('mode'),
    requester: str('requester'),
    startedAt: startTime?.toISOString() ?? '',
    temporalStatus: status,
  };
}

/**
 * Incidents, newest first, from the visibility store. Memos are decoded one field at a time: an
 * incident whose memo this client cannot decode (encrypted with a key it lacks) is listed as
 * `unknown` rather than failing the whole list.
 */
export async function listIncidents(client: Client, options: { limit?: number; open?: boolean } = {}): Promise<IncidentListing[]> {
  const query = `WorkflowType = '${INCIDENT_WORKFLOW}'${options.open ? " AND ExecutionStatus = 'Running'" : ''}`;
  const limit = options.limit ?? 50;
  const { payloadConverter, payloadCodecs } = client.options.loadedDataConverter;
  const decode = async (payload: Payload): Promise<unknown> => {
    try {
      let decoded = [payload];
      for (const codec of [...payloadCodecs].reverse()) decoded = await codec.decode(decoded);
      return payloadConverter.fromPayload(decoded[0]!);
    } catch {
      return undefined;
    }
  };
  const out: IncidentListing[] = [];
  let nextPageToken: Uint8Array | undefined;
  do {
    const page = await client.workflowService.listWorkflowExecutions({
      namespace: client.options.namespace,
      query,
      pageSize: Math.min(limit, 100),
      nextPageToken,
    });
    for (const e of page.executions ?? []) {
      const memo: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(e.memo?.fields ?? {})) memo[k] = await decode(v);
      // A running incident keeps its state in the search attribute only (workflows/incident.ts,
      // lean history); search attributes are never encoded. The memo's is older incidents' record.
      const indexedState = e.searchAttributes?.indexedFields?.[TourniquetState.name];
      if (indexedState) {
        try {
          const state: unknown = payloadConverter.fromPayload(indexedState);
          if (typeof state === 'string') memo.state = state;
        } catch {
          // not a keyword this client reads: the memo's state stands
        }
      }
      const seconds = e.startTime?.seconds;
      const started = seconds != null ? new Date(Number(seconds) * 1000 + Math.floor((e.startTime?.nanos ?? 0) / 1e6)) : undefined;
      const status =
        e.status != null
          ? (proto.temporal.api.enums.v1.WorkflowExecutionStatus[e.status] ?? String(e.status)).replace('WORKFLOW_EXECUTION_STATUS_', '')
          : 'UNKNOWN';
      out.push(listing(e.execution?.workflowId ?? '', memo, started, status));
      if (out.length >= limit) return out;
    }
    nextPageToken = page.nextPageToken?.length ? page.nextPageToken : undefined;
  } while (nextPageToken);
  return out;
}
