/**
 * Secret redaction: the one boundary for everything Tourniquet keeps or shows (Temporal history,
 * evidence, logs, Slack, exports). A secret is replaced by a fingerprint,
 * `[REDACTED:<kind> sha256:<12 hex> last4:<4>]`, which lets people match it against a rotated key
 * without ever holding the value.
 *
 * - `redactForHistory(text, max)`, `prepareIncidentRequest`, `prepareAlertRef(s)`: what enters
 *   history, redacted then clipped to the workflow's limits (`HISTORY_LIMITS`).
 * - `redactSecrets`, `redactDeep`: full detection (Tourniquet's rules, then secretlint's), async.
 * - `redactText`, `redact`, `redactJsonLine`: Tourniquet's rules only, sync, for what cannot wait.
 */
export { HISTORY_LIMITS, prepareAlertRef, prepareAlertRefs, prepareIncidentRequest, redactForHistory, redactOptional } from './boundary';
export { clipRedacted } from './clip';
export { redactDeep, redactSecrets, type DeepOptions } from './redact';
export { FINGERPRINT, fingerprint } from './rules';
export { redact, redactJsonLine, redactText, type RedactOptions, type Redacted } from './text';
