import pino, { type Logger } from 'pino';

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
  'botToken',
  'signingSecret',
];

export function createLogger(level: string, name = 'tourniquet'): Logger {
  return pino({ name, level, redact: { paths: REDACT_PATHS, censor: '[REDACTED]' } });
}
