/**
 * Evidence redaction is the project's one redaction boundary (redaction/); re-exported here for
 * the activities that scrub synchronously (error messages) and for older imports.
 */
export { fingerprint, redact, redactDeep, redactSecrets, redactText, type RedactOptions, type Redacted } from '../../redaction';
