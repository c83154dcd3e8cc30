/**
 * Starting and reading incidents. Requests are validated here too, so a person gets the zod issue
 * at once instead of a failed workflow.
 */
import { WorkflowExecutionAlreadyStartedError, type Client, type WorkflowExecutionInfo } from '@temporalio/client';
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { playbooks } from '../playbooks';
import { prepareIncidentRequest } from '../redaction';
import type { incidentWorkflow } from '../worker/workflows';
import { incidentRequestSchema, statusQuery, timelineQuery, type IncidentRequestInput, type IncidentState, type IncidentStatus, type TimelineEvent } from '../workflows';

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
}

/**
 * Starts an incident. Title, params and alerts are redacted (and clipped to the workflow's limits)
 * before they are validated and sent: a secret pasted into `--title` or `--param` reaches history
 * only as its fingerprint, and a redacted request that fits is what was validated.
 */
export async function startIncident(client: Client, input: IncidentRequestInput, options: StartOptions): Promise<string> {
  const request = validateIncidentRequest(await prepareIncidentRequest(input));
  const workflowId = options.incidentId ?? newIncidentId(request.playbook);
  try {
    await client.workflow.start<typeof incidentWorkflow>(INCIDENT_WORKFLOW, {
      workflowId,
      taskQueue: options.taskQueue,
      args: [request],
      ...(options.once ? ({ workflowIdReusePolicy: 'REJECT_DUPLICATE', workflowIdConflictPolicy: 'FAIL' } as const) : {}),
    });
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) {
      throw new IncidentExistsError(`incident ${workflowId} already exists`);
    }
    throw err;
  }
  return workflowId;
}

export function getStatus(client: Client, incidentId: string): Promise<IncidentStatus> {
  return client.workflow.getHandle(incidentId).query(statusQuery);
}

export function getTimeline(client: Client, incidentId: string, sinceSeq = 0): Promise<TimelineEvent[]> {
  return client.workflow.getHandle(incidentId).query(timelineQuery, sinceSeq);
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

function listing(info: WorkflowExecutionInfo): IncidentListing {
  const memo = (info.memo ?? {}) as Record<string, unknown>;
  const str = (k: string) => (typeof memo[k] === 'string' ? (memo[k] as string) : '');
  return {
    id: info.workflowId,
    playbook: str('playbook'),
    title: str('title'),
    state: (str('state') || 'unknown') as IncidentState,
    mode: str('mode'),
    requester: str('requester'),
    startedAt: info.startTime.toISOString(),
    temporalStatus: info.status.name,
  };
}

export async function listIncidents(client: Client, options: { limit?: number; open?: boolean } = {}): Promise<IncidentListing[]> {
  const query = `WorkflowType = '${INCIDENT_WORKFLOW}'${options.open ? " AND ExecutionStatus = 'Running'" : ''}`;
  const out: IncidentListing[] = [];
  for await (const info of client.workflow.list({ query })) {
    out.push(listing(info));
    if (out.length >= (options.limit ?? 50)) break;
  }
  return out;
}
