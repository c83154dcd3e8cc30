/**
 * Alertmanager's webhook (payload version 4): one notification carries a group of alerts, each with
 * its own status, so a notification can open, join and resolve several incidents at once.
 */
import { z } from 'zod';
import { addFields, isoMs, isoTime, labelsOf, stableId, type IntakeAlert } from './alert';

const labelSet = z.record(z.string(), z.string());

const alertSchema = z.object({
  status: z.enum(['firing', 'resolved']),
  labels: labelSet,
  annotations: labelSet.default({}),
  startsAt: isoTime,
  /** 0001-01-01T00:00:00Z while firing */
  endsAt: isoTime.optional(),
  generatorURL: z.string().optional(),
  fingerprint: z.string().max(200).optional(),
});

export const alertmanagerPayloadSchema = z.object({
  version: z.literal('4'),
  groupKey: z.string(),
  truncatedAlerts: z.number().int().min(0).optional(),
  status: z.enum(['firing', 'resolved']),
  receiver: z.string(),
  groupLabels: labelSet.optional(),
  commonLabels: labelSet.optional(),
  commonAnnotations: labelSet.optional(),
  externalURL: z.string().optional(),
  /** no cap of its own: a group is as large as the body limit lets it be */
  alerts: z.array(alertSchema).min(1),
});
export type AlertmanagerPayload = z.infer<typeof alertmanagerPayloadSchema>;

const NEVER = Date.parse('0001-01-02T00:00:00Z');

export function normalizeAlertmanager(payload: AlertmanagerPayload, receivedAt: Date): IntakeAlert[] {
  return payload.alerts.map((alert) => {
    const fields = addFields(
      { ...alert.labels },
      Object.entries(alert.annotations).map(([k, v]) => [`annotations.${k}`, v]),
    );
    addFields(fields, [['receiver', payload.receiver]]);
    const title = alert.annotations.summary ?? alert.labels.alertname ?? 'Alertmanager alert';
    const ref: IntakeAlert['ref'] = { source: 'alertmanager', title, detectedAt: isoMs(alert.startsAt), labels: labelsOf(fields) };
    // Alertmanager's fingerprint is a hash of the labels: the same alert across re-sends
    const identity =
      alert.fingerprint ||
      stableId(
        'labels',
        Object.entries(alert.labels).sort(([a], [b]) => (a < b ? -1 : 1)),
      );
    ref.id = identity;
    ref.fingerprint = identity;
    const out: IntakeAlert = { source: 'alertmanager', status: alert.status, requester: 'alertmanager', fields, ref };
    if (payload.truncatedAlerts) out.truncated = payload.truncatedAlerts;
    if (alert.status === 'resolved') {
      const ended = alert.endsAt && Date.parse(alert.endsAt) > NEVER ? alert.endsAt : receivedAt.toISOString();
      out.resolvedAt = isoMs(ended);
    }
    return out;
  });
}
