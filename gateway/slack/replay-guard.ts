/**
 * Bolt refuses forged signatures and timestamps older than five minutes; within those five minutes
 * a captured request would still verify. This refuses a second delivery of a signed request that
 * was already accepted (per gateway instance: the window is short, so memory stays bounded).
 * Only accepted requests are remembered, so a tampered copy that Bolt rejects cannot "use up" the
 * signature of the genuine one.
 */
import type { RequestHandler } from 'express';

export function slackReplayGuard(windowMs = 5 * 60_000, maxEntries = 100_000): RequestHandler {
  const seen = new Map<string, number>();
  const inFlight = new Set<string>();
  return (req, res, next) => {
    const signature = req.header('x-slack-signature');
    const timestamp = req.header('x-slack-request-timestamp');
    if (!signature || !timestamp) return next(); // Bolt answers 401 for these
    const now = Date.now();
    const key = `${timestamp}:${signature}`;
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
      seen.set(key, now + windowMs);
    });
    next();
  };
}
