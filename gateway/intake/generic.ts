/**
 * The generic alert schema, for any sender without its own endpoint (a scanner, a cron job, a
 * script). One alert per POST:
 *
 *   { "source": "my-scanner", "title": "…", "id"?: "…", "time"?: ISO-8601, "severity"?: "…",
 *     "status"?: "firing" | "resolved", "fingerprint"?: "…", "url"?: "…",
 *     "fields"?: { "<name>": string | number | boolean } }
 *
 * Routing sees `source`, `title`, `severity` and every entry of `fields` as fields. Unknown keys
 * are ignored (a sender's newer schema still gets through).
 */
import { z } from 'zod';
import { addFields, isoMs, isoTime, labelsOf, stableId, type IntakeAlert } from './alert';

export const genericAlertSchema = z
  .object({
    source: z
      .string()
      .regex(/^[a-z0-9][a-z0-9._-]{0,63}$/i, 'a name of letters, digits, dots, dashes and underscores, at most 64 characters'),
    title: z.string().min(1).max(500),
    id: z.string().min(1).max(200).optional(),
    time: isoTime.optional(),
    severity: z.string().min(1).max(50).optional(),
    status: z.enum(['firing', 'resolved']).default('firing'),
    fingerprint: z.string().min(1).max(200).optional(),
    url: z.url().max(2000).optional(),
    fields: z.record(z.string().min(1).max(100), z.union([z.string().max(1000), z.number(), z.boolean()])).default({}),
  })
  .refine((a) => Object.keys(a.fields).length <= 100, { message: 'at most 100 fields', path: ['fields'] });
export type GenericAlert = z.infer<typeof genericAlertSchema>;

export function normalizeGeneric(alert: GenericAlert, receivedAt: Date): IntakeAlert {
  const fields = addFields({}, Object.entries({ source: alert.source, title: alert.title, severity: alert.severity, url: alert.url }));
  addFields(fields, Object.entries(alert.fields));
  const ref: IntakeAlert['ref'] = {
    source: alert.source,
    title: alert.title,
    detectedAt: isoMs(alert.time ?? receivedAt),
    labels: labelsOf(fields),
  };
  if (alert.id) ref.id = alert.id;
  // the sender's own identity (fingerprint, else id), else what the alert says: the same alert again is a repeat
  ref.fingerprint =
    alert.fingerprint ??
    alert.id ??
    stableId('alert', [alert.source, alert.title, Object.entries(alert.fields).sort(([a], [b]) => (a < b ? -1 : 1))]);
  const out: IntakeAlert = { source: 'generic', status: alert.status, requester: `generic:${alert.source}`, fields, ref };
  if (alert.status === 'resolved') out.resolvedAt = isoMs(alert.time ?? receivedAt);
  return out;
}
