/**
 * The security scorecard numbers, from incidents as Temporal knows them: per playbook, how fast
 * people approved (MTTA) and how fast the incident was contained (MTTC), median and p90, how
 * often gates were approved or denied, and how many drills ran. Pure aggregation, plus a reader.
 */
import type { Client } from '@temporalio/client';
import type { IncidentStatus } from '../workflows';
import { getStatus, INCIDENT_WORKFLOW } from './incidents';

export interface Percentiles {
  n: number;
  median_ms?: number;
  p90_ms?: number;
}

export interface PlaybookReport {
  playbook: string;
  incidents: number;
  drills: number;
  outcomes: Record<string, number>;
  time_to_approve: Percentiles;
  time_to_contain: Percentiles;
  gates: { closed: number; approved: number; denied: number; expired: number };
  approval_rate?: number;
  denial_rate?: number;
}

export interface Report {
  since: string;
  generated_at: string;
  playbooks: PlaybookReport[];
  /** incidents listed but not read in time (e.g. no worker for them): not in the figures */
  unreadable: number;
  /** game-day drills scored in the window (from the drill scorecards), and their SLO pass rate */
  drills?: DrillSummary;
}

export interface DrillSummary {
  run: number;
  passed: number;
  pass_rate?: number;
  by_scenario: Record<string, { run: number; passed: number }>;
}

/** Drill scorecards started since `since`: how many ran and how many met every SLO. */
export function summarizeDrills(cards: { scenario: string; started_at: string; pass: boolean }[], since: Date): DrillSummary {
  const inWindow = cards.filter((c) => Date.parse(c.started_at) >= since.getTime());
  const by_scenario: DrillSummary['by_scenario'] = {};
  for (const c of inWindow) {
    const s = (by_scenario[c.scenario] ??= { run: 0, passed: 0 });
    s.run += 1;
    if (c.pass) s.passed += 1;
  }
  const passed = inWindow.filter((c) => c.pass).length;
  return { run: inWindow.length, passed, ...(inWindow.length ? { pass_rate: passed / inWindow.length } : {}), by_scenario };
}

/** Nearest-rank percentile: a value that actually occurred, as people expect of "p90". */
export function percentile(sorted: number[], p: number): number | undefined {
  if (sorted.length === 0) return undefined;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

function percentiles(values: (number | undefined)[]): Percentiles {
  const sorted = values.filter((v): v is number => v !== undefined).sort((a, b) => a - b);
  const out: Percentiles = { n: sorted.length };
  const median = percentile(sorted, 50);
  const p90 = percentile(sorted, 90);
  if (median !== undefined) out.median_ms = median;
  if (p90 !== undefined) out.p90_ms = p90;
  return out;
}

export function summarize(statuses: IncidentStatus[], since: Date, now = new Date()): Report {
  const byPlaybook = new Map<string, IncidentStatus[]>();
  for (const s of statuses) byPlaybook.set(s.playbook, [...(byPlaybook.get(s.playbook) ?? []), s]);
  const playbooks = [...byPlaybook.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([playbook, list]): PlaybookReport => {
      const outcomes: Record<string, number> = {};
      for (const s of list) outcomes[s.state] = (outcomes[s.state] ?? 0) + 1;
      const gates = list.flatMap((s) => s.gates).filter((g) => g.status !== 'open' && g.status !== 'cancelled' && g.status !== 'withdrawn');
      const approved = gates.filter((g) => g.status === 'approved').length;
      const denied = gates.filter((g) => g.status === 'denied').length;
      const expired = gates.filter((g) => g.status === 'expired').length;
      const report: PlaybookReport = {
        playbook,
        incidents: list.length,
        drills: list.filter((s) => s.mode === 'drill').length,
        outcomes,
        time_to_approve: percentiles(list.map((s) => s.clock.durations.time_to_approve_ms)),
        time_to_contain: percentiles(list.map((s) => s.clock.durations.time_to_contain_ms)),
        gates: { closed: gates.length, approved, denied, expired },
      };
      if (gates.length) {
        report.approval_rate = approved / gates.length;
        report.denial_rate = (denied + expired) / gates.length;
      }
      return report;
    });
  return { since: since.toISOString(), generated_at: now.toISOString(), playbooks, unreadable: 0 };
}

const QUERY_DEADLINE_MS = 5_000;

/**
 * Reads every incident of this deployment (its task queue) started since `since`; status queries
 * answer for closed incidents too, as long as a worker runs. One that does not answer in time is
 * counted as unreadable rather than holding the report up.
 */
export async function readReport(client: Client, since: Date, options: { taskQueue: string; limit?: number }): Promise<Report> {
  const ids: string[] = [];
  const limit = options.limit ?? 1000;
  const query = `WorkflowType = '${INCIDENT_WORKFLOW}' AND TaskQueue = '${options.taskQueue.replace(/'/g, '')}' AND StartTime > '${since.toISOString()}'`;
  for await (const info of client.workflow.list({ query })) {
    ids.push(info.workflowId);
    if (ids.length >= limit) break;
  }
  const statuses: IncidentStatus[] = [];
  let unreadable = 0;
  for (let i = 0; i < ids.length; i += 10) {
    const batch = await Promise.allSettled(
      ids.slice(i, i + 10).map((id) => client.connection.withDeadline(Date.now() + QUERY_DEADLINE_MS, () => getStatus(client, id))),
    );
    for (const r of batch) {
      if (r.status === 'fulfilled') statuses.push(r.value);
      else unreadable += 1;
    }
  }
  return { ...summarize(statuses, since), unreadable };
}
