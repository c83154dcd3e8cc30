/**
 * What makes a Slack request take effect at most once, whichever gateway receives it and however
 * often: each effect is keyed, in Temporal, on the identity Slack gave the interaction. A replay
 * is the same signed body, so it carries the same identity; a new click or command gets a new
 * `trigger_id` from Slack (and a new `action_ts` for a button).
 *
 * - `/breakglass <role> …` starts the incident under an id derived from the request, and never
 *   reuses that id (REJECT_DUPLICATE, conflict FAIL): a replay starts nothing.
 * - a decision or a command carries a nonce derived from the interaction; the client sends it as
 *   the update's id (Temporal answers a repeated update id with the first outcome, writing
 *   nothing) and in the update input, where the workflow refuses a nonce it already accepted.
 *
 * Hashed, so ids stay short and in the characters the engine accepts, and Slack's fields cannot
 * run into each other.
 */
import { createHash } from 'node:crypto';

export interface SlackInteraction {
  /** team (or enterprise) the request came from */
  team: string;
  user: string;
  /** what was done: `command:/breakglass`, `action:gate_approve`, `view:gate_decision` */
  kind: string;
  /** Slack's id for this one interaction: trigger_id, plus action_ts for a button */
  ids: readonly string[];
}

const digest = (i: SlackInteraction) =>
  createHash('sha256')
    .update(JSON.stringify(['slack', i.team, i.user, i.kind, ...i.ids]))
    .digest('hex');

/** `inc-break-glass-<16 hex>`: the incident a `/breakglass` request starts, the same for its replays. */
export function breakGlassIncidentId(i: SlackInteraction): string {
  return `inc-break-glass-${digest(i).slice(0, 16)}`;
}

/** The decision or command nonce of one interaction (≤128 chars of [A-Za-z0-9:._-]). */
export function interactionNonce(i: SlackInteraction): string {
  return `slack:${digest(i).slice(0, 48)}`;
}
