/**
 * The first line against replayed Slack requests, in front of Bolt. Bolt refuses forged
 * signatures and timestamps older than five minutes, but it reads the timestamp with `Number()`
 * and the signature with `split('=')`, so one signed request verifies under many header spellings:
 * `<ts>.0`, `0<ts>`, `+<ts>`, `0x…`, `<ts>e0`, and a signature with `=x` (or anything) appended.
 * Here only the canonical form Slack sends passes (a decimal integer without sign or leading zero;
 * `v0=` and 64 lowercase hex digits), so a signed request has exactly one key.
 *
 * This memory is per gateway process and is lost on restart: it is the fast check, not the
 * guarantee. What makes a replay through another replica or after a restart take no effect is
 * that every effect is idempotent in Temporal (see ./identity.ts).
 * Only accepted requests are remembered, so a tampered copy that Bolt rejects cannot "use up" the
 * signature of the genuine one.
 */
import type { RequestHandler } from 'express';

/** Bolt's own limit; a timestamp further in the future is not one Slack sent either. */
export const SLACK_MAX_AGE_MS = 5 * 60_000;

const CANONICAL_TIMESTAMP = /^[1-9][0-9]{0,11}$/;
const CANONICAL_SIGNATURE = /^v0=[0-9a-f]{64}$/;

export type SlackRequestKey = { ok: true; key: string; timestampMs: number } | { ok: false; message: string };

/** The request's one identity (timestamp and signature, canonical), or why its headers are refused. */
export function slackRequestKey(timestamp: string | undefined, signature: string | undefined, now = Date.now()): SlackRequestKey {
  if (!timestamp || !signature) return { ok: false, message: 'missing x-slack-request-timestamp or x-slack-signature' };
  if (!CANONICAL_TIMESTAMP.test(timestamp)) return { ok: false, message: 'x-slack-request-timestamp is not a plain integer' };
  if (!CANONICAL_SIGNATURE.test(signature)) return { ok: false, message: 'x-slack-signature is not v0= and 64 lowercase hex digits' };
  const timestampMs = Number(timestamp) * 1000;
  if (Math.abs(now - timestampMs) > SLACK_MAX_AGE_MS)
    return { ok: false, message: 'x-slack-request-timestamp is more than five minutes away' };
  return { ok: true, key: `${timestamp}:${signature.slice(3)}`, timestampMs };
}

export function slackReplayGuard(maxEntries = 100_000): RequestHandler {
  const seen = new Map<string, number>();
  const inFlight = new Set<string>();
  return (req, res, next) => {
    const now = Date.now();
    const id = slackRequestKey(req.header('x-slack-request-timestamp'), req.header('x-slack-signature'), now);
    if (!id.ok) {
      res.status(401).json({ ok: false, error: `request refused: ${id.message}` });
      return;
    }
    const { key } = id;
    if ((seen.get(key) ?? 0) > now || inFlight.has(key)) {
      res.status(401).json({ ok: false, error: 'request already received (replay)' });
      return;
    }
    inFlight.add(key);
    res.on('finish', () => {
      inFlight.delete(key);
      if (res.statusCode >= 400) return;
      if (seen.size >= maxEntries) {
        for (const [k, expires] of seen) if (expires < now) seen.delete(k);
        if (seen.size >= maxEntries) seen.delete(seen.keys().next().value!);
      }
      // remembered until Bolt itself refuses the timestamp as too old
      seen.set(key, id.timestampMs + SLACK_MAX_AGE_MS + 1_000);
    });
    next();
  };
}
