/**
 * The shape every intake source is normalised to: the engine's AlertRef (what the incident keeps)
 * plus what routing needs (flat string fields), the alert's lifecycle status and the system
 * identity that requests the incident.
 */
import { hash } from 'node:crypto';
import { z } from 'zod';
import type { RoutableAlert } from './routing';
import type { AlertRef } from '../../workflows';

export interface IntakeAlert extends RoutableAlert {
  status: 'firing' | 'resolved';
  /** a system identity (`falco`, `alertmanager`, `github`, `generic:<source>`): it can never approve */
  requester: string;
  ref: AlertRef;
  /** for a resolved alert: when it stopped firing, per its source */
  resolvedAt?: string;
  /** a drill run id: the incident runs in drill mode, under an id of its own */
  drill?: string;
  /** alerts the sender left out of this notification (Alertmanager's truncatedAlerts) */
  truncated?: number;
}

/** A stable identity for an alert whose sender gives none: a hash of what it says. */
export function stableId(kind: string, parts: unknown): string {
  return `${kind}:${hash('sha256', JSON.stringify(parts)).slice(0, 32)}`;
}

/**
 * The key an alert is counted under on its incident (AlertRef.key): 66 bits of
 * sha256(source, the sender's identity), base64url. Short, so a signal carries many.
 */
export function alertKeyOf(source: string, fingerprint: string): string {
  return recentHashes.get(`${source}\0${fingerprint}`, (id) => hash('sha256', id, 'base64url').slice(0, 11));
}

/**
 * A pure string function's recent answers: a storm asks for the same alert key and incident id
 * again and again. Bounded: forgets everything once full (a storm fills it again at once).
 */
export class RecentAnswers {
  private readonly answers = new Map<string, string>();

  constructor(private readonly max = 10_000) {}

  get(input: string, compute: (input: string) => string): string {
    let answer = this.answers.get(input);
    if (answer === undefined) {
      answer = compute(input);
      if (this.answers.size >= this.max) this.answers.clear();
      this.answers.set(input, answer);
    }
    return answer;
  }
}

const recentHashes = new RecentAnswers();

export const isoTime = z.iso.datetime({ offset: true });

/** An ISO time as the engine stores it (milliseconds, UTC): Falco sends nanoseconds. */
export function isoMs(time: string | Date): string {
  return (typeof time === 'string' ? new Date(time) : time).toISOString();
}

const MAX_LABELS = 64;

/** A field value as routing sees it: strings as they are, scalars printed, objects as JSON; null is absent. */
export function fieldValue(value: unknown): string | undefined {
  if (value === null || value === undefined) return undefined;
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  return JSON.stringify(value);
}

/** Adds fields that are present; never overwrites one already set (built-in fields win). */
export function addFields(into: Record<string, string>, entries: Iterable<[string, unknown]>): Record<string, string> {
  for (const [key, raw] of entries) {
    const value = fieldValue(raw);
    if (value !== undefined && !(key in into)) into[key] = value;
  }
  return into;
}

/**
 * The alert's fields as AlertRef labels, bounded in number. Not clipped here: values are clipped
 * at the redaction boundary, after redaction (a PEM block cut before it is redacted keeps its body).
 */
export function labelsOf(fields: Readonly<Record<string, string>>): Record<string, string> {
  // a copy (spread keeps every own key, as fromEntries does), cut only when there are too many
  if (Object.keys(fields).length <= MAX_LABELS) return { ...fields };
  return Object.fromEntries(Object.entries(fields).slice(0, MAX_LABELS));
}
