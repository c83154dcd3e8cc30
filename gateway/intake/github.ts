/**
 * GitHub `secret_scanning_alert` deliveries. A new, reopened or publicly leaked secret fires; a
 * resolved one resolves; other actions (assigned, validated, …) and other events are acknowledged
 * and ignored. The payload never contains the secret itself.
 */
import { z } from 'zod';
import { addFields, isoMs, isoTime, labelsOf, type IntakeAlert } from './alert';

const login = z.object({ login: z.string() });

export const secretScanningAlertSchema = z.object({
  action: z.string().min(1),
  alert: z.object({
    number: z.number().int().positive(),
    secret_type: z.string().min(1),
    secret_type_display_name: z.string().optional(),
    html_url: z.string().optional(),
    created_at: isoTime.nullish(),
    updated_at: isoTime.nullish(),
    resolved_at: isoTime.nullish(),
    resolution: z.string().nullish(),
    validity: z.string().optional(),
    publicly_leaked: z.boolean().nullish(),
  }),
  repository: z.object({
    full_name: z.string().min(1),
    name: z.string().min(1),
    html_url: z.string().optional(),
    private: z.boolean().optional(),
    owner: login.optional(),
  }),
  organization: login.optional(),
  sender: login.optional(),
});
export type SecretScanningAlertPayload = z.infer<typeof secretScanningAlertSchema>;

export const SECRET_SCANNING_EVENT = 'secret_scanning_alert';
const FIRING = new Set(['created', 'reopened', 'publicly_leaked']);

/** The alert, or undefined for actions that neither raise nor resolve one. */
export function normalizeSecretScanning(payload: SecretScanningAlertPayload, receivedAt: Date): IntakeAlert | undefined {
  const { action, alert, repository } = payload;
  const status = FIRING.has(action) ? 'firing' : action === 'resolved' ? 'resolved' : undefined;
  if (!status) return undefined;
  const fields = addFields(
    {},
    Object.entries({
      event: SECRET_SCANNING_EVENT,
      action,
      secret_type: alert.secret_type,
      secret_type_display_name: alert.secret_type_display_name,
      repository: repository.full_name,
      'repository.name': repository.name,
      'repository.owner': repository.owner?.login,
      'repository.private': repository.private,
      'alert.number': alert.number,
      'alert.html_url': alert.html_url,
      validity: alert.validity,
      publicly_leaked: alert.publicly_leaked,
      resolution: alert.resolution,
      organization: payload.organization?.login,
      sender: payload.sender?.login,
    }),
  );
  const detected = action === 'created' && alert.created_at ? alert.created_at : (alert.updated_at ?? receivedAt.toISOString());
  const name = alert.secret_type_display_name ?? alert.secret_type;
  const ref: IntakeAlert['ref'] = {
    source: 'github',
    title: `${name} leaked in ${repository.full_name}`,
    id: `${repository.full_name}#${alert.number}`,
    fingerprint: `${repository.full_name}#${alert.number}`,
    detectedAt: isoMs(detected),
    labels: labelsOf(fields),
  };
  const out: IntakeAlert = { source: 'github', status, requester: 'github', fields, ref };
  if (status === 'resolved') out.resolvedAt = isoMs(alert.resolved_at ?? receivedAt);
  return out;
}

/**
 * The latest time the signed body gives for the alert (created, updated, resolved): how old the
 * event is, since a delivery's signature never expires. A replay carries the same times.
 */
export function eventTimeOf(payload: SecretScanningAlertPayload): string | undefined {
  const times = [payload.alert.created_at, payload.alert.updated_at, payload.alert.resolved_at].filter((t): t is string => !!t);
  return times.length ? isoMs(new Date(Math.max(...times.map((t) => Date.parse(t))))) : undefined;
}
