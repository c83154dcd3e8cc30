/**
 * Falcosidekick's webhook output: one Falco event per POST. Its `uuid` is new for every event, so
 * it identifies the event (a distinct alert; the same uuid again is a re-send), never the incident:
 * routing picks the dedup key from the fields. Without a uuid, a hash of the event stands in.
 */
import { z } from 'zod';
import { addFields, isoMs, isoTime, labelsOf, stableId, type IntakeAlert } from './alert';

export const FALCO_PRIORITIES = ['Emergency', 'Alert', 'Critical', 'Error', 'Warning', 'Notice', 'Informational', 'Debug'] as const;
const ALIASES: Record<string, (typeof FALCO_PRIORITIES)[number]> = { info: 'Informational' };

function canonicalPriority(value: string): string | undefined {
  const lower = value.toLowerCase();
  return FALCO_PRIORITIES.find((p) => p.toLowerCase() === lower) ?? ALIASES[lower];
}

export const falcoPayloadSchema = z.object({
  uuid: z.string().max(200).optional(),
  output: z.string(),
  priority: z
    .string()
    .refine((p) => canonicalPriority(p) !== undefined, { message: `a Falco priority: ${FALCO_PRIORITIES.join(', ')}` })
    .transform((p) => canonicalPriority(p)!),
  rule: z.string().min(1).max(500),
  time: isoTime,
  source: z.string().max(100).optional(),
  hostname: z.string().max(255).optional(),
  tags: z.array(z.string().max(200)).max(100).optional(),
  output_fields: z.record(z.string(), z.unknown()).default({}),
});
export type FalcoPayload = z.infer<typeof falcoPayloadSchema>;

const optionalString = (v: unknown, max: number) => v === undefined || (typeof v === 'string' && v.length <= max);

/**
 * falcoPayloadSchema's check without zod, for a well-formed event: the schema's own result, or
 * undefined, and zod decides (and words the 400). Every alert of a storm is checked, and zod's
 * generic object parse was the largest cost on that path. test/falco-fast.test.ts holds the two to
 * the same answers; change them together. The event's own objects are kept (nothing mutates them).
 */
export function parseFalcoFast(json: unknown): FalcoPayload | undefined {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return undefined;
  const e = json as Record<string, unknown>;
  const { uuid, output, priority, rule, time, source, hostname, tags } = e;
  if (typeof output !== 'string' || typeof rule !== 'string' || rule.length < 1 || rule.length > 500) return undefined;
  const canonical = typeof priority === 'string' ? canonicalPriority(priority) : undefined;
  if (canonical === undefined || typeof time !== 'string' || !isoTime.safeParse(time).success) return undefined;
  if (!optionalString(uuid, 200) || !optionalString(source, 100) || !optionalString(hostname, 255)) return undefined;
  if (tags !== undefined) {
    if (!Array.isArray(tags) || tags.length > 100) return undefined;
    for (const tag of tags) if (typeof tag !== 'string' || tag.length > 200) return undefined;
  }
  const fields = e.output_fields === undefined ? {} : e.output_fields; // null is no record: zod refuses it
  if (typeof fields !== 'object' || fields === null || Array.isArray(fields) || Object.getPrototypeOf(fields) !== Object.prototype)
    return undefined;
  const event: FalcoPayload = { output, priority: canonical, rule, time, output_fields: fields as Record<string, unknown> };
  if (uuid !== undefined) event.uuid = uuid as string;
  if (source !== undefined) event.source = source as string;
  if (hostname !== undefined) event.hostname = hostname as string;
  if (tags !== undefined) event.tags = tags as string[];
  return event;
}

export function normalizeFalco(event: FalcoPayload): IntakeAlert[] {
  const fields = addFields(
    {},
    Object.entries({
      rule: event.rule,
      priority: event.priority,
      source: event.source,
      hostname: event.hostname,
      tags: event.tags?.join(','),
    }),
  );
  addFields(fields, Object.entries(event.output_fields));
  if (event.output) fields.output = event.output;
  const ref: IntakeAlert['ref'] = { source: 'falco', title: event.rule, detectedAt: isoMs(event.time), labels: labelsOf(fields) };
  if (event.uuid) ref.id = event.uuid;
  ref.fingerprint = event.uuid || stableId('event', [event.rule, event.time, event.hostname ?? '', event.output]);
  return [{ source: 'falco', status: 'firing', requester: 'falco', fields, ref }];
}
