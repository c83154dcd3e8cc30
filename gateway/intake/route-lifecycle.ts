/**
 * What a route does once its incident has run: whether a still-firing alert opens a new run after
 * the incident closed (`reopen`), and what a resolution does to a request still awaiting approval
 * (`onResolved`). Data, like the rest of a rule, checked at gateway start-up.
 *
 * Why these defaults: Alertmanager re-sends a firing group every group_interval/repeat_interval,
 * and the alert that opened a rollback usually keeps firing for a few minutes after it. Without a
 * quiet period every re-send after the close opened a new run (4 FAILED runs in 75 s for a
 * misconfigured playbook). A FAILED run is followed by another only when something that could
 * change the outcome changed: the request (the alert now renders other params), a person (who can
 * start the next run with `tourniquet start --id`), or enough time for the worker to be fixed.
 */
import { z } from 'zod';
import { parseDuration } from '../../workflows';

/** parseDuration, and zero ("0s": no quiet period at all) */
const durationMs = (v: string): number | undefined => (/^\s*0+\s*(ms|s|m|h|d)?\s*$/.test(v) ? 0 : parseDuration(v));
const duration = (what: string) =>
  z.string().refine((v) => durationMs(v) !== undefined, `${what}: a duration such as "0s", "90s", "15m" or "4h"`);

export const reopenSchema = z.union([
  // never: a closed incident stays closed for as long as Temporal keeps its last run
  z.literal(false),
  z
    .object({
      /** no new run sooner than this after the last run closed */
      quietPeriod: duration('quietPeriod').default('15m'),
      /** at most this many runs started under one incident id in any hour (the closed ones included) */
      maxPerHour: z.int().min(1).max(60).default(3),
      /**
       * after a FAILED run with the same playbook and params, how long before an alert may try
       * again on its own (the worker may have been fixed meanwhile); `never` waits for a person
       */
      failedRetryAfter: z.union([z.literal('never'), duration('failedRetryAfter')]).default('4h'),
    })
    .strict(),
]);

export const onResolvedSchema = z.enum(['note', 'withdraw']);
export type OnResolved = z.infer<typeof onResolvedSchema>;

/** The rule's lifecycle fields, spread into routeRuleSchema. */
export const lifecycleFields = {
  /** after the incident closed, whether and when a still-firing alert opens a new run (default: the object's defaults) */
  reopen: reopenSchema.optional(),
  /** `note` (default): a resolution is recorded and shown, the request stays open; `withdraw`: once every distinct alert is resolved, open approval requests are withdrawn */
  onResolved: onResolvedSchema.optional(),
};

/** Reopen rules in milliseconds; `false`: never. */
export type ReopenRules =
  | false
  | {
      quietMs: number;
      maxPerHour: number;
      /** undefined: never on its own */
      failedRetryMs: number | undefined;
    };

export interface RouteLifecycle {
  reopen: ReopenRules;
  onResolved: OnResolved;
}

export function compileLifecycle(rule: { reopen?: z.input<typeof reopenSchema>; onResolved?: OnResolved }): RouteLifecycle {
  const parsed = reopenSchema.parse(rule.reopen ?? {});
  const reopen: ReopenRules =
    parsed === false
      ? false
      : {
          quietMs: durationMs(parsed.quietPeriod)!,
          maxPerHour: parsed.maxPerHour,
          failedRetryMs: parsed.failedRetryAfter === 'never' ? undefined : durationMs(parsed.failedRetryAfter)!,
        };
  return { reopen, onResolved: rule.onResolved ?? 'note' };
}

/** Params only a person may set (a playbook's `personOnlyParams`): a route setting one is a configuration error. */
export function personOnlyProblems(
  at: string,
  playbook: { name: string; personOnlyParams?: readonly string[] } | undefined,
  params: Record<string, unknown>,
): string[] {
  return (playbook?.personOnlyParams ?? [])
    .filter((p) => p in params)
    .map(
      (p) => `${at}.params.${p}: only a person may set "${p}" (tourniquet start ${playbook!.name} --param ${p}=…); an alert route cannot`,
    );
}
