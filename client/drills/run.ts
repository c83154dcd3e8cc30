/**
 * Runs a drill: the scenario's alert goes through the real intake path marked as a drill (so the
 * incident runs in drill mode, under its own id, never joining a real incident), people approve as
 * they would for real (the request says DRILL), and the outcome is scored against the SLOs.
 */
import type { Client } from '@temporalio/client';
import { createHmac, randomUUID } from 'node:crypto';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { FINAL_STATES, type IncidentStatus } from '../../workflows';
import { formatDuration } from '../postmortem/format';
import { getStatus } from '../incidents';
import { materialize, type DrillScenario } from './scenario';

export const DRILL_HEADER = 'x-tourniquet-drill';

export interface SloResult {
  slo: string;
  target_ms: number;
  measured_ms?: number;
  pass: boolean;
}

export interface Scorecard {
  scenario: string;
  run_id: string;
  started_at: string;
  finished_at: string;
  incident_id?: string;
  playbook?: string;
  outcome?: string;
  pass: boolean;
  slos: SloResult[];
  problems: string[];
}

export interface DrillOptions {
  gatewayUrl: string;
  /** the intake token for the scenario's endpoint */
  token?: string;
  /** the GitHub webhook secret the gateway verifies /alerts/github deliveries with (never printed) */
  githubSecret?: string;
  /** how long to wait for people to approve and the playbook to finish */
  timeoutMs: number;
  onProgress?: (line: string) => void;
}

export function score(
  scenario: DrillScenario,
  status: IncidentStatus | undefined,
  problems: string[],
): Pick<Scorecard, 'pass' | 'slos' | 'problems'> {
  const d = status?.clock.durations ?? {};
  const slos: SloResult[] = [
    { slo: 'time to approve', target_ms: scenario.slo.timeToApprove, measured_ms: d.time_to_approve_ms, pass: false },
  ];
  if (scenario.slo.timeToContain !== undefined)
    slos.push({ slo: 'time to contain', target_ms: scenario.slo.timeToContain, measured_ms: d.time_to_contain_ms, pass: false });
  for (const s of slos) {
    s.pass = s.measured_ms !== undefined && s.measured_ms <= s.target_ms;
    if (!s.pass)
      problems.push(
        s.measured_ms === undefined
          ? `${s.slo}: never reached (SLO ${formatDuration(s.target_ms)})`
          : `${s.slo} ${formatDuration(s.measured_ms)} over the SLO of ${formatDuration(s.target_ms)}`,
      );
  }
  if (status && status.playbook !== scenario.expect.playbook)
    problems.push(`routed to playbook ${status.playbook}, expected ${scenario.expect.playbook}`);
  if (status && status.state !== scenario.expect.outcome)
    problems.push(`ended ${status.state}${status.outcome ? ` (${status.outcome})` : ''}, expected ${scenario.expect.outcome}`);
  if (status && status.mode !== 'drill') problems.push('the incident did not run in drill mode');
  return { pass: problems.length === 0, slos, problems };
}

export async function runDrill(client: Client, scenario: DrillScenario, options: DrillOptions): Promise<Scorecard> {
  const runId = `${scenario.name}-${Date.now().toString(36)}`;
  const startedAt = new Date();
  const problems: string[] = [];
  const say = options.onProgress ?? (() => {});
  const request = alertRequest(scenario, materialize(scenario.alert.body, startedAt), options);
  const res = request
    ? await fetch(`${options.gatewayUrl}${scenario.alert.endpoint}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', [DRILL_HEADER]: runId, ...request.headers },
        body: request.body,
      })
    : undefined;
  const answer = ((await res?.json().catch(() => ({}))) ?? {}) as { incidentId?: string; status?: string; error?: string };
  let status: IncidentStatus | undefined;
  if (!res) {
    problems.push('no GitHub webhook secret to sign the alert with: set TOURNIQUET_GITHUB_WEBHOOK_SECRET as the gateway has it');
  } else if (res.status !== 202 || !answer.incidentId) {
    problems.push(`intake answered ${res.status} ${answer.status ?? ''} ${answer.error ?? ''}`.trim());
  } else {
    say(`${scenario.name}: incident ${answer.incidentId} opened (DRILL); waiting for approvals and the playbook…`);
    const deadline = Date.now() + options.timeoutMs;
    for (;;) {
      status = await getStatus(client, answer.incidentId).catch(() => status);
      if (status && FINAL_STATES.includes(status.state)) break;
      if (Date.now() > deadline) {
        problems.push(`still ${status?.state ?? 'unknown'} after ${formatDuration(options.timeoutMs)}`);
        break;
      }
      await new Promise((r) => setTimeout(r, 500));
    }
  }
  const result = score(scenario, status, problems);
  const card: Scorecard = {
    scenario: scenario.name,
    run_id: runId,
    started_at: startedAt.toISOString(),
    finished_at: new Date().toISOString(),
    ...result,
  };
  if (answer.incidentId) card.incident_id = answer.incidentId;
  if (status) {
    card.playbook = status.playbook;
    card.outcome = status.state;
  }
  return card;
}

/**
 * The body and credentials the scenario's endpoint expects. A GitHub delivery is signed over its
 * exact bytes (X-Hub-Signature-256), with a delivery id of its own, as GitHub sends one; the body
 * carries `{{now}}`, so each run is a new delivery, not a replay the intake takes once.
 * Undefined when a GitHub alert has no secret to be signed with.
 */
function alertRequest(
  scenario: DrillScenario,
  alert: unknown,
  options: DrillOptions,
): { body: string; headers: Record<string, string> } | undefined {
  const body = JSON.stringify(alert);
  if (scenario.alert.endpoint !== '/alerts/github')
    return { body, headers: options.token ? { authorization: `Bearer ${options.token}` } : {} };
  if (!options.githubSecret) return undefined;
  return {
    body,
    headers: {
      'x-github-event': scenario.alert.event!,
      'x-github-delivery': randomUUID(),
      'x-hub-signature-256': `sha256=${createHmac('sha256', options.githubSecret).update(body).digest('hex')}`,
    },
  };
}

export async function saveScorecard(dir: string, card: Scorecard): Promise<string> {
  const folder = join(dir, card.scenario);
  await mkdir(folder, { recursive: true });
  const file = join(folder, `${card.started_at.replace(/[:.]/g, '-')}.json`);
  await writeFile(file, `${JSON.stringify(card, null, 2)}\n`);
  return file;
}

export async function loadScorecards(dir: string): Promise<Scorecard[]> {
  const cards: Scorecard[] = [];
  for (const scenario of await readdir(dir).catch(() => [] as string[])) {
    for (const file of await readdir(join(dir, scenario)).catch(() => [] as string[])) {
      if (file.endsWith('.json')) cards.push(JSON.parse(await readFile(join(dir, scenario, file), 'utf8')) as Scorecard);
    }
  }
  return cards.sort((a, b) => a.started_at.localeCompare(b.started_at));
}
