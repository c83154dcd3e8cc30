/**
 * One normalised alert's way in: route it, render and validate the playbook params, derive the
 * incident id from the route and its dedup key, then open/join the incident through the
 * coalescer, or record a resolved alert on the open incident. Sources do not matter past here.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { findRoute, type CompiledRoute } from '../../playbooks/routing';
import { HISTORY_LIMITS, prepareIncidentRequest, redactForHistory } from '../../redaction';
import { incidentRequestSchema, type AlertRef, type IncidentRequestInput, type PlaybookRegistry } from '../../workflows';
import type { IntakeAlert } from './alert';
import type { Coalescer } from './coalescer';
import type { IncidentDelivery } from './delivery';
import type { IntakeCounters } from './stats';

export interface Issue {
  path: string;
  message: string;
}

export type AlertResult =
  | { status: 'new' | 'joined' | 'resolved' | 'no-open-incident'; incidentId: string; route: string }
  | { status: 'no-route'; title: string }
  | { status: 'rejected'; route: string; error: string; issues: Issue[] };

export interface IntakeLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface ProcessorDeps {
  routes: readonly CompiledRoute[];
  playbooks: PlaybookRegistry;
  coalescer: Coalescer<IncidentRequestInput, AlertRef>;
  delivery: IncidentDelivery;
  counters: IntakeCounters;
  logger: IntakeLogger;
}

/** `inc-<route>-<16 hex>`: the same route and dedup key values always give the same incident id. */
export function incidentIdFor(route: string, dedupValues: readonly string[]): string {
  const hash = createHash('sha256').update(JSON.stringify([route, ...dedupValues])).digest('hex');
  return `inc-${route}-${hash.slice(0, 16)}`;
}

export function issuesOf(error: z.ZodError, prefix: string[] = []): Issue[] {
  return error.issues.map((i) => ({ path: [...prefix, ...i.path.map(String)].join('.') || '(body)', message: i.message }));
}

export class AlertProcessor {
  constructor(private readonly deps: ProcessorDeps) {}

  async process(alert: IntakeAlert, receivedAt: Date): Promise<AlertResult> {
    const { counters, logger } = this.deps;
    const route = findRoute(this.deps.routes, alert);
    if (!route) {
      counters.count(alert.source, 'no-route');
      // Field names only: values (command lines, URLs) can hold secrets. Title and id, redacted.
      const [title, id] = await Promise.all([redactForHistory(alert.ref.title, HISTORY_LIMITS.alertTitle), alert.ref.id === undefined ? undefined : redactForHistory(alert.ref.id, HISTORY_LIMITS.alertId)]);
      logger.info({ source: alert.source, title, id, fields: Object.keys(alert.fields) }, 'alert matched no route');
      return { status: 'no-route', title };
    }
    // A drill never joins (or is joined by) a real incident: a forged drill marker cannot absorb one.
    const incidentId = alert.drill ? `drill-${alert.drill}` : incidentIdFor(route.name, route.dedupValues(alert));
    const ref: AlertRef = alert.ref.fingerprint ? alert.ref : { ...alert.ref, fingerprint: incidentId };

    if (alert.status === 'resolved') {
      await this.deps.coalescer.flushKey(incidentId);
      const status = await this.deps.delivery.resolve(incidentId, { count: 1, sample: [ref], ...(alert.resolvedAt ? { lastSeen: alert.resolvedAt } : {}) });
      counters.count(alert.source, status);
      return { status, incidentId, route: route.name };
    }

    // A repeat of an incident this gateway is already counting: no params to render, it joins.
    const repeat = this.deps.coalescer.repeat(incidentId, ref);
    if (repeat) {
      const status = await repeat;
      counters.count(alert.source, status);
      return { status, incidentId, route: route.name };
    }

    const request = await this.request(route, alert, ref, receivedAt);
    if ('error' in request) {
      counters.count(alert.source, 'rejected');
      logger.warn({ source: alert.source, route: route.name, error: request.error, issues: request.issues }, 'alert rejected');
      return { status: 'rejected', route: route.name, ...request };
    }
    const status = await this.deps.coalescer.submit(incidentId, request, request.alerts![0]!);
    counters.count(alert.source, status);
    return { status, incidentId, route: route.name };
  }

  /**
   * The incident request as history will keep it: rendered, then redacted and clipped (the
   * boundary), then validated, so what passed here is exactly what the workflow validates again.
   */
  private async request(route: CompiledRoute, alert: IntakeAlert, ref: AlertRef, receivedAt: Date): Promise<IncidentRequestInput | { error: string; issues: Issue[] }> {
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
    const input = await prepareIncidentRequest(draft);
    const playbook = this.deps.playbooks[route.playbook]!;
    const params = playbook.params.safeParse(input.params);
    if (!params.success) {
      return { error: `route ${route.name} gives playbook ${route.playbook} invalid params: ${z.prettifyError(params.error)}`, issues: issuesOf(params.error, ['params']) };
    }
    const checked = incidentRequestSchema.safeParse(input);
    if (!checked.success) return { error: `route ${route.name} builds an invalid incident request: ${z.prettifyError(checked.error)}`, issues: issuesOf(checked.error) };
    return input;
  }
}
