import pino, { type DestinationStream, type Logger } from 'pino';
import { redactJsonLine } from '../redaction';

/** Paths pino censors whatever the message: secrets must never reach a log line. */
export const REDACT_PATHS = [
  '*.token',
  '*.password',
  '*.secret',
  '*.apiKey',
  '*.authorization',
  '*.headers.authorization',
  '*.headers.cookie',
  'req.headers.authorization',
  'req.headers["x-slack-signature"]',
  'req.headers["x-hub-signature-256"]',
  'config.temporal.apiKey',
  'config.slack.botToken',
  'config.github.token',
  'config.slack.signingSecret',
  'config.codecServer.tokens',
  'botToken',
  'signingSecret',
];

/**
 * Paths censor known fields; every line is also scanned for secret patterns as it is written, so a
 * secret inside a message, an error or a field nobody listed leaves only its fingerprint.
 */
export function createLogger(level: string, name = 'tourniquet', destination?: DestinationStream): Logger {
  const options = { name, level, redact: { paths: REDACT_PATHS, censor: '[REDACTED]' }, hooks: { streamWrite: redactJsonLine } };
  return destination ? pino(options, destination) : pino(options);
}
