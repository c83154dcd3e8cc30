/** `tourniquet drill`: run game-day scenarios through the real intake and score them; or show past scorecards. */
import type { Client } from '@temporalio/client';
import { join } from 'node:path';
import { loadScenarios } from '../client/drills/scenario';
import { loadScorecards, runDrill, saveScorecard, type Scorecard } from '../client/drills/run';
import { formatDuration } from '../client/postmortem/format';
import type { Config } from '../worker/config';

const tokenFor = (endpoint: string) => {
  const source = endpoint === '/alerts' ? 'GENERIC' : endpoint.split('/').pop()!.toUpperCase();
  return process.env[`TOURNIQUET_INTAKE_TOKEN_${source}`] ?? process.env.TOURNIQUET_INTAKE_TOKEN;
};
/** The gateway may accept several (comma-separated, while rotating): any one signs a delivery it takes. */
const githubSecret = () =>
  process.env.TOURNIQUET_GITHUB_WEBHOOK_SECRET?.split(',')
    .map((s) => s.trim())
    .find(Boolean);

export function formatScorecard(card: Scorecard): string {
  const lines = [
    `DRILL ${card.scenario}  ${card.pass ? 'PASS' : 'FAIL'}   ${card.incident_id ?? 'no incident'}${card.playbook ? ` (${card.playbook}, ${card.outcome})` : ''}`,
  ];
  for (const s of card.slos) {
    lines.push(
      `  ${s.slo.padEnd(16)} ${formatDuration(s.measured_ms).padStart(9)}  SLO ${formatDuration(s.target_ms).padEnd(9)} ${s.pass ? 'pass' : 'FAIL'}`,
    );
  }
  lines.push(card.problems.length ? `  what went wrong: ${card.problems.join('; ')}` : '  what went wrong: nothing');
  return lines.join('\n');
}

export function formatHistory(cards: Scorecard[]): string {
  if (cards.length === 0) return 'no drills run yet';
  const byScenario = new Map<string, Scorecard[]>();
  for (const c of cards) byScenario.set(c.scenario, [...(byScenario.get(c.scenario) ?? []), c]);
  const out: string[] = [];
  for (const [scenario, runs] of byScenario) {
    const passed = runs.filter((r) => r.pass).length;
    out.push(
      `${scenario}: ${passed}/${runs.length} passed  trend ${runs
        .slice(-10)
        .map((r) => (r.pass ? '✓' : '✗'))
        .join('')}`,
    );
    for (const r of runs.slice(-10)) {
      const figures = r.slos.map((s) => `${s.slo} ${formatDuration(s.measured_ms)}`).join(', ');
      out.push(`  ${r.started_at}  ${r.pass ? 'PASS' : 'FAIL'}  ${figures}${r.problems.length ? `  — ${r.problems[0]}` : ''}`);
    }
  }
  return out.join('\n');
}

export async function drillCommand(
  client: Client,
  config: Config,
  opts: { scenario?: string; all?: boolean; history?: boolean; timeoutMs: number; json?: boolean },
): Promise<boolean> {
  const dir = join(config.dataDir, 'drills');
  if (opts.history) {
    const cards = await loadScorecards(dir);
    console.log(opts.json ? JSON.stringify(cards, null, 2) : formatHistory(cards));
    return true;
  }
  const scenarios = loadScenarios();
  const chosen = opts.all ? scenarios : scenarios.filter((s) => s.name === opts.scenario);
  if (chosen.length === 0) {
    throw new Error(`no drill scenario "${opts.scenario ?? ''}"; known: ${scenarios.map((s) => s.name).join(', ')} (or --all)`);
  }
  const gatewayUrl = process.env.TOURNIQUET_GATEWAY_URL ?? `http://${config.gateway.host}:${config.gateway.port}`;
  const cards: Scorecard[] = [];
  for (const scenario of chosen) {
    const card = await runDrill(client, scenario, {
      gatewayUrl,
      timeoutMs: opts.timeoutMs,
      ...(tokenFor(scenario.alert.endpoint) ? { token: tokenFor(scenario.alert.endpoint)! } : {}),
      ...(githubSecret() ? { githubSecret: githubSecret()! } : {}),
      onProgress: (line) => console.error(line),
    });
    await saveScorecard(dir, card);
    cards.push(card);
    if (!opts.json) console.log(formatScorecard(card));
  }
  if (opts.json) console.log(JSON.stringify(cards, null, 2));
  return cards.every((c) => c.pass);
}
