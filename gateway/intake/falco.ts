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
