/**
 * Whether a still-firing alert may open a new run of an incident whose last run closed, by its
 * route's `reopen` rules (gateway/intake/route-lifecycle.ts): a quiet period after the close, no new run
 * while a FAILED run's cause is unchanged, a cap per hour.
 *
 * Everything it reads is in Temporal, so the answer survives gateway restarts and is the same on
 * every replica: the last run's status, close time and memo (a FAILED run records its cause there:
 * workflows/run-cause.ts) by describe, and the runs started in the last hour by a visibility query.
 * Suppressions are remembered for at most 10 s per incident (never past their `until`): the
 * processor answers re-sends from that memory, so a storm against a closed incident costs Temporal
 * one describe and one visibility query per 10 s, not a round trip per alert.
 */
import type { Client } from '@temporalio/client';
import type { ReopenRules } from './route-lifecycle';
import type { CompiledRoute } from './routing';
import { CAUSE_MEMO, requestDigest, type IncidentRequestInput, type PlaybookRegistry, type RunCause } from '../../workflows';

export type SuppressReason = 'reopen-off' | 'quiet-period' | 'failed-cause-unchanged' | 'hourly-cap';

export interface Suppression {
  reason: SuppressReason;
  /** for people and logs: what happened and what would open a new run */
  message: string;
  /** when an alert may open a new run again, when that is known */
  until?: string;
}

const CACHE_MS = 10_000;
const CACHE_MAX = 10_000;
const HOUR = 3_600_000;
const ROUTED_ID = /^inc-([a-z0-9][a-z0-9-]*)-[0-9a-f]{16}$/;

const seconds = (ms: number) =>
  ms < 120_000 ? `${Math.round(ms / 1000)} s` : ms < 2 * HOUR ? `${Math.round(ms / 60_000)} min` : `${Math.round(ms / HOUR)} h`;

export class ReopenGuard {
  /** `request`: a suppression for this request only (a FAILED run's cause is compared by it) */
  private readonly cache = new Map<string, { suppression: Suppression; until: number; request?: string }>();
  private readonly rules: Map<string, ReopenRules>;

  constructor(
    private readonly client: Client,
    routes: readonly CompiledRoute[],
    private readonly playbooks: PlaybookRegistry,
    private readonly now: () => number = Date.now,
  ) {
    this.rules = new Map(routes.map((r) => [r.name, r.lifecycle.reopen]));
  }

  /** The route's rules for an incident id the gateway derived (`inc-<route>-<hash>`); drills and others have none. */
  rulesFor(incidentId: string): ReopenRules | undefined {
    const route = ROUTED_ID.exec(incidentId)?.[1];
    return route === undefined ? undefined : this.rules.get(route);
  }

  /** A suppression decided in the last few seconds. */
  cached(incidentId: string): Suppression | undefined {
    const hit = this.cache.get(incidentId);
    if (hit && hit.until > this.now()) return hit.suppression;
    if (hit) this.cache.delete(incidentId);
    return undefined;
  }

  /** Why no new run may start now under this id, whose last run is closed; undefined: it may. */
  async check(incidentId: string, request: IncidentRequestInput): Promise<Suppression | undefined> {
    const rules = this.rulesFor(incidentId);
    if (rules === undefined) return undefined;
    const known = this.cached(incidentId);
    const digest = this.digest(request);
    if (known && (known.reason !== 'failed-cause-unchanged' || this.cache.get(incidentId)?.request === digest)) return known;
    const suppression = await this.decide(incidentId, digest, rules);
    if (suppression) this.remember(incidentId, suppression, digest);
    return suppression;
  }

  private async decide(incidentId: string, digest: string | undefined, rules: ReopenRules): Promise<Suppression | undefined> {
    const route = ROUTED_ID.exec(incidentId)![1];
    if (rules === false) {
      return {
        reason: 'reopen-off',
        message: `incident ${incidentId} is closed and route ${route} never reopens it (reopen: false); a person can start a new run with tourniquet start --id ${incidentId}`,
      };
    }
    const now = this.now();
    const last = await this.client.workflow.getHandle(incidentId).describe();
    if (last.status.name === 'RUNNING') return undefined; // opened meanwhile: the alert joins it
    const closedAt = last.closeTime?.getTime() ?? now;
    const state = typeof last.memo?.state === 'string' ? last.memo.state : last.status.name.toLowerCase();
    const since = `closed ${seconds(now - closedAt)} ago (${state})`;
    if (now - closedAt < rules.quietMs) {
      const until = new Date(closedAt + rules.quietMs).toISOString();
      return {
        reason: 'quiet-period',
        message: `incident ${incidentId} ${since}: route ${route} opens no new run within ${seconds(rules.quietMs)} of a close (reopen.quietPeriod), so not before ${until}`,
        until,
      };
    }
    if (last.status.name === 'FAILED') {
      const cause = last.memo?.[CAUSE_MEMO] as RunCause | undefined;
      const retryAt = rules.failedRetryMs === undefined ? undefined : closedAt + rules.failedRetryMs;
      if (cause?.request && cause.request === digest && (retryAt === undefined || now < retryAt)) {
        const until = retryAt === undefined ? undefined : new Date(retryAt).toISOString();
        return {
          reason: 'failed-cause-unchanged',
          message:
            `incident ${incidentId} ${since}: ${cause.message}. This alert asks for the same playbook with the same params, so a new run would fail the same way; ` +
            `fix the cause and start it with tourniquet start --id ${incidentId}${until ? `, or an alert opens one after ${until} (reopen.failedRetryAfter)` : ''}`,
          ...(until ? { until } : {}),
        };
      }
    }
    const starts = await this.startsInLastHour(incidentId, now, rules.maxPerHour);
    if (starts.length >= rules.maxPerHour) {
      const until = new Date(Math.min(...starts) + HOUR).toISOString();
      return {
        reason: 'hourly-cap',
        message: `incident ${incidentId} ${since}; ${starts.length} runs started in the last hour, route ${route} allows ${rules.maxPerHour} (reopen.maxPerHour): no new run before ${until}`,
        until,
      };
    }
    return undefined;
  }

  /** The request as the workflow will parse it, so its digest matches the one a FAILED run recorded. */
  private digest(request: IncidentRequestInput): string | undefined {
    const playbook = this.playbooks[request.playbook];
    const params = playbook?.params.safeParse(request.params ?? {});
    return params?.success ? requestDigest(request.playbook, params.data) : undefined;
  }

  private async startsInLastHour(incidentId: string, now: number, limit: number): Promise<number[]> {
    const since = new Date(now - HOUR).toISOString();
    const starts: number[] = [];
    for await (const run of this.client.workflow.list({
      query: `WorkflowId = '${incidentId}' AND StartTime > '${since}'`,
      pageSize: limit + 1,
    })) {
      starts.push(run.startTime.getTime());
      if (starts.length > limit) break;
    }
    return starts;
  }

  private remember(incidentId: string, suppression: Suppression, request: string | undefined): void {
    if (this.cache.size >= CACHE_MAX) {
      const now = this.now();
      for (const [id, hit] of this.cache) if (hit.until <= now) this.cache.delete(id);
      if (this.cache.size >= CACHE_MAX) this.cache.clear();
    }
    const until = suppression.until ? Math.min(Date.parse(suppression.until), this.now() + CACHE_MS) : this.now() + CACHE_MS;
    this.cache.set(incidentId, { suppression, until, ...(request ? { request } : {}) });
  }
}
