/**
 * One normalised alert's way in: route it, render and validate the playbook params, derive the
 * incident id from the route and its dedup key, then open/join the incident through the
 * coalescer, or record a resolved alert on the open incident. Sources do not matter past here.
 */
import { hash } from 'node:crypto';
import { z } from 'zod';
import { findRoute, type CompiledRoute } from './routing';
import { HISTORY_LIMITS, prepareIncidentRequest, redactForHistory } from '../../redaction';
import { incidentRequestSchema, type AlertRef, type IncidentRequestInput, type PlaybookRegistry } from '../../workflows';
import { alertKeyOf, RecentAnswers, stableId, type IntakeAlert } from './alert';
import type { Coalescer, OpenStatus } from './coalescer';
import type { SuppressReason } from './reopen';
import type { IncidentDelivery, IntakeItem } from './delivery';
import type { IntakeCounters } from './stats';

export interface Issue {
  path: string;
  message: string;
}

export type AlertResult =
  | { status: 'new' | 'joined' | 'resolved' | 'no-open-incident'; incidentId: string; route: string }
  | { status: 'no-route'; title: string }
  /** the incident is closed and its route's reopen rules open no new run now: nothing started, nothing to retry */
  | { status: 'suppressed'; incidentId: string; route: string; reason: SuppressReason; message: string; until?: string }
  | { status: 'rejected'; route: string; error: string; issues: Issue[] };

/** An alert with what routing says of it (no route: the rest is absent). */
export type Routed =
  | { alert: IntakeAlert; route?: undefined; incidentId?: undefined; item?: undefined }
  | { alert: IntakeAlert; route: CompiledRoute; incidentId: string; item: IntakeItem };

export interface IntakeLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface ProcessorDeps {
  routes: readonly CompiledRoute[];
  playbooks: PlaybookRegistry;
  coalescer: Coalescer<IncidentRequestInput, IntakeItem>;
  delivery: IncidentDelivery;
  counters: IntakeCounters;
  logger: IntakeLogger;
}

const recentIds = new RecentAnswers();

/** `inc-<route>-<16 hex>`: the same route and dedup key values always give the same incident id. */
export function incidentIdFor(route: string, dedupValues: readonly string[]): string {
  return recentIds.get(JSON.stringify([route, ...dedupValues]), (key) => `inc-${route}-${hash('sha256', key).slice(0, 16)}`);
}

export function issuesOf(error: z.ZodError, prefix: string[] = []): Issue[] {
  return error.issues.map((i) => ({ path: [...prefix, ...i.path.map(String)].join('.') || '(body)', message: i.message }));
}

export class AlertProcessor {
  /** incidents whose opening request is being prepared (see process) */
  private readonly opening = new Map<string, Promise<unknown>>();

  constructor(private readonly deps: ProcessorDeps) {}

  /**
   * `durable`: the answer waits until this alert is recorded even when it is a repeat (a
   * notification acknowledged as a whole: Alertmanager's groups, GitHub's deliveries).
   */
  process(alert: IntakeAlert, receivedAt: Date, durable = false): Promise<AlertResult> {
    const routed = this.route(alert, receivedAt);
    if (!durable) {
      const now = this.answerNow(routed);
      if (now) return Promise.resolve(now);
    }
    return this.complete(routed, receivedAt, durable);
  }

  /**
   * Routing, the incident id and the alert's identity: what every path needs, worked out once.
   * Synchronous and cheap: it runs for every alert of a storm.
   */
  route(alert: IntakeAlert, receivedAt: Date): Routed {
    const route = findRoute(this.deps.routes, alert);
    if (!route) return { alert };
    // A drill never joins (or is joined by) a real incident: a forged drill marker cannot absorb one.
    const incidentId = alert.drill ? `drill-${alert.drill}` : incidentIdFor(route.name, route.dedupValues(alert));
    // the sender's own identity: its re-sends count as deliveries, not as more alerts
    const fingerprint = alert.ref.fingerprint ?? stableId('ref', alert.ref);
    const ref = { ...alert.ref, fingerprint, key: alertKeyOf(alert.ref.source, fingerprint) };
    const item: IntakeItem = {
      ref,
      seenAt: alert.status === 'resolved' ? (alert.resolvedAt ?? receivedAt.toISOString()) : receivedAt.toISOString(),
    };
    if (alert.truncated) item.truncated = alert.truncated;
    return { alert, route, incidentId, item };
  }

  /**
   * The answer for a storm's repeat, at once: a firing alert of an incident whose window is open
   * here (counted in memory, delivered with its batch), or of a closed incident whose suppression is
   * remembered. Undefined for everything else, which takes `complete`.
   */
  answerNow(routed: Routed): AlertResult | undefined {
    const { alert, route, incidentId, item } = routed;
    if (!route || alert.status === 'resolved') return undefined;
    // A closed incident whose route opened no new run a moment ago (remembered ≤ 10 s): a storm of
    // re-sends is answered here, without preparing a request or asking Temporal for each one. Not
    // a FAILED run's unchanged cause: that holds for one request only, and this alert may ask another.
    const held = this.deps.delivery.suppression(incidentId);
    if (held) return held.reason === 'failed-cause-unchanged' ? undefined : this.opened(alert, 'suppressed', incidentId, route);
    // A repeat of an incident this gateway is already counting: no params to render, it joins.
    const joined = this.deps.coalescer.repeatNow(incidentId, item);
    return joined && this.opened(alert, joined, incidentId, route);
  }

  /** Everything `answerNow` does not answer: no route, resolved alerts, first alerts, durable repeats. */
  async complete(routed: Routed, receivedAt: Date, durable: boolean): Promise<AlertResult> {
    const { counters, logger } = this.deps;
    const { alert, route, incidentId, item } = routed;
    if (!route) {
      counters.count(alert.source, 'no-route');
      // Field names only: values (command lines, URLs) can hold secrets. Title and id, redacted.
      const [title, id] = await Promise.all([
        redactForHistory(alert.ref.title, HISTORY_LIMITS.alertTitle),
        alert.ref.id === undefined ? undefined : redactForHistory(alert.ref.id, HISTORY_LIMITS.alertId),
      ]);
      logger.info({ source: alert.source, title, id, fields: Object.keys(alert.fields) }, 'alert matched no route');
      return { status: 'no-route', title };
    }
    const { ref } = item;

    if (alert.status === 'resolved') {
      const status = await this.deps.coalescer.resolve(incidentId, item);
      counters.count(alert.source, status);
      return { status, incidentId, route: route.name };
    }

    const held = this.deps.delivery.suppression(incidentId);
    if (held && held.reason !== 'failed-cause-unchanged') return this.opened(alert, 'suppressed', incidentId, route);

    // A repeat of an incident this gateway is already counting: no params to render, it joins.
    const repeat = this.deps.coalescer.repeat(incidentId, item, durable);
    if (repeat) return this.opened(alert, await repeat, incidentId, route);

    // One request is prepared per incident at a time: preparing awaits (redaction), and the other
    // alerts of a group arriving meanwhile must join the incident it opens, not each prepare one.
    const opening = this.opening.get(incidentId);
    if (opening) {
      await opening.catch(() => undefined);
      const joined = this.deps.coalescer.repeat(incidentId, item, durable);
      if (joined) return this.opened(alert, await joined, incidentId, route);
    }
    const preparing = this.request(route, alert, ref, receivedAt);
    this.opening.set(incidentId, preparing);
    let request: Awaited<typeof preparing>;
    try {
      request = await preparing;
    } finally {
      if (this.opening.get(incidentId) === preparing) this.opening.delete(incidentId);
    }
    if ('error' in request) {
      counters.count(alert.source, 'rejected');
      logger.warn({ source: alert.source, route: route.name, error: request.error, issues: request.issues }, 'alert rejected');
      return { status: 'rejected', route: route.name, ...request };
    }
    // Preparing the request awaited (redaction): another alert of this incident, one of the same
    // group, may have opened it meanwhile; it joins as the repeat it now is, durable if asked.
    const late = this.deps.coalescer.repeat(incidentId, item, durable);
    return this.opened(alert, await (late ?? this.deps.coalescer.submit(incidentId, request, item)), incidentId, route);
  }

  /** The answer for an alert that opened, joined, or (by its route's reopen rules) did not reopen its incident. */
  private opened(alert: IntakeAlert, status: OpenStatus, incidentId: string, route: CompiledRoute): AlertResult {
    this.deps.counters.count(alert.source, status);
    if (status !== 'suppressed') return { status, incidentId, route: route.name };
    const why = this.deps.delivery.suppression(incidentId) ?? {
      reason: 'quiet-period' as const,
      message: `incident ${incidentId} is closed and its route opens no new run now`,
    };
    return { status, incidentId, route: route.name, ...why };
  }

  /**
   * The incident request as history will keep it: rendered, then redacted and clipped (the
   * boundary), then validated, so what passed here is exactly what the workflow validates again.
   */
  private async request(
    route: CompiledRoute,
    alert: IntakeAlert,
    ref: AlertRef,
    receivedAt: Date,
  ): Promise<IncidentRequestInput | { error: string; issues: Issue[] }> {
    const rendered = route.render(alert);
    if (rendered.missing.length > 0) {
      return {
        error: `the alert lacks the fields route ${route.name} needs for its params or title`,
        issues: rendered.missing.map((m) => ({ path: 'fields', message: `no value for "${m}"` })),
      };
    }
    const draft: IncidentRequestInput = {
      playbook: route.playbook,
      params: rendered.params,
      requester: alert.requester,
      mode: alert.drill ? 'drill' : (route.mode ?? 'live'),
      alerts: [ref],
      receivedAt: receivedAt.toISOString(),
    };
    if (ref.detectedAt) draft.detectedAt = ref.detectedAt;
    if (rendered.title) draft.title = rendered.title;
    if (route.policy) draft.policy = route.policy;
    if (route.lifecycle.onResolved !== 'note') draft.lifecycle = { onResolved: route.lifecycle.onResolved };
    const input = await prepareIncidentRequest(draft);
    const playbook = this.deps.playbooks[route.playbook]!;
    const params = playbook.params.safeParse(input.params);
    if (!params.success) {
      return {
        error: `route ${route.name} gives playbook ${route.playbook} invalid params: ${z.prettifyError(params.error)}`,
        issues: issuesOf(params.error, ['params']),
      };
    }
    const checked = incidentRequestSchema.safeParse(input);
    if (!checked.success)
      return {
        error: `route ${route.name} builds an invalid incident request: ${z.prettifyError(checked.error)}`,
        issues: issuesOf(checked.error),
      };
    return input;
  }
}
