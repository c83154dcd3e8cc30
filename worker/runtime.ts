/**
 * The Temporal Runtime for this process: SDK logs through our pino logger, and SDK metrics when
 * asked for.
 *
 * The SDK's own DefaultLogger prints multi-line text with stack traces ("[WARN] Activity failed")
 * between our JSON lines, for failures that are expected and already classified (Kubernetes or
 * GitHub not configured, Slack down). Forwarded to pino, each is one JSON line at LOG_LEVEL, and a
 * failure we classified ourselves (an ApplicationFailure: type and message) carries no stack.
 */
import { ApplicationFailure } from '@temporalio/common';
import { DefaultLogger, Runtime, type LogEntry, type LogLevel } from '@temporalio/worker';
import type { Logger } from 'pino';
import type { Config } from './config';

const PINO_METHOD = { TRACE: 'trace', DEBUG: 'debug', INFO: 'info', WARN: 'warn', ERROR: 'error' } as const satisfies Record<
  LogLevel,
  string
>;

/** The SDK level that lets through what pino's level would print (the SDK's floor is WARN for 'silent' and 'fatal' alike: pino drops what it must). */
function sdkLevel(pinoLevel: string): LogLevel {
  const level = pinoLevel.toUpperCase();
  return level in PINO_METHOD ? (level as LogLevel) : level === 'FATAL' || level === 'SILENT' ? 'ERROR' : 'INFO';
}

/**
 * An error as log fields: `failure` (type and message) when we classified it ourselves, `err` (pino
 * serializes it, stack included) when not — a bug deserves its stack, an expected condition does not.
 */
function errorFields(error: unknown): Record<string, unknown> {
  if (error === undefined) return {};
  if (error instanceof ApplicationFailure)
    return { failure: { type: error.type, message: error.message, nonRetryable: error.nonRetryable } };
  // A workflow's failure reaches the logger from the workflow thread as a plain Error: only its stack still says what it was.
  if (error instanceof Error && error.stack?.startsWith('ApplicationFailure: ')) return { failure: { message: error.message } };
  return { err: error };
}

/** A Temporal logger that writes through `logger`, one JSON line per entry. */
export function sdkLogger(logger: Logger, pinoLevel: string): DefaultLogger {
  const sdk = logger.child({ component: 'temporal-sdk' });
  return new DefaultLogger(sdkLevel(pinoLevel), (entry: LogEntry) => {
    const { error, ...meta } = entry.meta ?? {};
    sdk[PINO_METHOD[entry.level]]({ ...meta, ...errorFields(error) }, entry.message);
  });
}

export function installRuntime(config: Pick<Config, 'sdkMetricsAddress' | 'logLevel'>, logger: Logger): void {
  Runtime.install({
    logger: sdkLogger(logger, config.logLevel),
    ...(config.sdkMetricsAddress ? { telemetryOptions: { metrics: { prometheus: { bindAddress: config.sdkMetricsAddress } } } } : {}),
  });
}
