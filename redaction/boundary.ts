/**
 * The boundary every value crosses before it enters Temporal history (and so the timeline, Slack,
 * logs and exports derived from it): redact first, then clip to the limit the workflow enforces.
 * The limits are read from the workflow's own schemas, so a redacted value always fits: a
 * fingerprint can be longer than the secret it replaces, and an incident the gateway answered
 * `202 new` for must not then fail at start.
 */
import type { z } from 'zod';
import { alertRefSchema, decisionSchema, incidentRequestSchema, type AlertRef, type IncidentRequestInput } from '../workflows';
import { commandInputSchema } from '../workflows/commands';
import { clipRedacted, ELLIPSIS } from './clip';
import { redactDeep, redactSecrets } from './redact';

function maxOf(schema: z.ZodType, what: string): number {
  let s = schema as unknown as { maxLength?: number | null; unwrap?: () => unknown };
  while (s.maxLength === undefined && typeof s.unwrap === 'function') s = s.unwrap() as typeof s;
  if (typeof s.maxLength !== 'number') throw new Error(`redaction boundary: no max length on ${what}`);
  return s.maxLength;
}

/** What the workflow accepts, in characters (workflows/request.ts, workflows/commands.ts). */
export const HISTORY_LIMITS = {
  title: maxOf(incidentRequestSchema.shape.title, 'incident title'),
  alertSource: maxOf(alertRefSchema.shape.source, 'alert source'),
  alertTitle: maxOf(alertRefSchema.shape.title, 'alert title'),
  alertId: maxOf(alertRefSchema.shape.id, 'alert id'),
  alertFingerprint: maxOf(alertRefSchema.shape.fingerprint, 'alert fingerprint'),
  label: maxOf(alertRefSchema.shape.labels.unwrap().valueType as z.ZodType, 'alert label'),
  reason: maxOf(decisionSchema.shape.reason, 'decision reason'),
  commandReason: maxOf(commandInputSchema().shape.reason, 'command reason'),
} as const;

/**
 * The text as history may keep it: secrets fingerprinted, then clipped to `maxLength` without
 * cutting a fingerprint. Deterministic, so a signature over the result verifies wherever it is
 * recomputed from the same input.
 */
export async function redactForHistory(text: string, maxLength: number): Promise<string> {
  return clipRedacted((await redactSecrets(text)).value, maxLength);
}

/** `redactForHistory` for a value that may be absent. */
export async function redactOptional(text: string | undefined, maxLength: number): Promise<string | undefined> {
  return text === undefined ? undefined : redactForHistory(text, maxLength);
}

/** A required, non-empty field: a clip that leaves nothing still says something was there. */
const nonEmpty = (text: string) => (text.length > 0 ? text : ELLIPSIS);

function clipAlert(ref: AlertRef): AlertRef {
  const out: AlertRef = {
    ...ref,
    source: nonEmpty(clipRedacted(ref.source, HISTORY_LIMITS.alertSource)),
    title: nonEmpty(clipRedacted(ref.title, HISTORY_LIMITS.alertTitle)),
  };
  if (ref.id !== undefined) out.id = clipRedacted(ref.id, HISTORY_LIMITS.alertId);
  if (ref.fingerprint !== undefined) out.fingerprint = clipRedacted(ref.fingerprint, HISTORY_LIMITS.alertFingerprint);
  if (ref.labels) out.labels = Object.fromEntries(Object.entries(ref.labels).map(([k, v]) => [k, clipRedacted(v, HISTORY_LIMITS.label)]));
  return out;
}

/** An alert as history keeps it: redacted (labels by key name too), then clipped to the alert schema's limits. */
export async function prepareAlertRef(ref: AlertRef): Promise<AlertRef> {
  return clipAlert((await redactDeep(ref)).value);
}

/** Several alerts in one scan (the samples of a batch). */
export async function prepareAlertRefs(refs: readonly AlertRef[]): Promise<AlertRef[]> {
  if (refs.length === 0) return [];
  return (await redactDeep([...refs])).value.map(clipAlert);
}

/**
 * An incident request as history keeps it: title, params (secret-named keys and every string) and
 * alerts redacted and clipped. Validate the result, not the input: that is what the workflow sees.
 */
export async function prepareIncidentRequest<T extends IncidentRequestInput>(input: T): Promise<T> {
  const { value } = await redactDeep({ title: input.title, params: input.params ?? {}, alerts: input.alerts ?? [] });
  const out: T = { ...input, alerts: value.alerts.map(clipAlert) };
  if (input.params !== undefined) out.params = value.params;
  if (input.alerts === undefined) delete out.alerts;
  if (value.title !== undefined) out.title = clipRedacted(value.title, HISTORY_LIMITS.title);
  return out;
}
