/**
 * The `tourniquet` command. Reads its Temporal settings from the environment (see worker/config.ts);
 * every read command takes --json; refusals print why and exit with code 2.
 */
import './short-lived';
import { Command, Option } from 'commander';
import type { Client } from '@temporalio/client';
import type { DecisionEngine } from '../client/decision-engine';
import { join } from 'node:path';
import type { Config } from '../worker/config';
import { breakGlassCommand } from './break-glass';
import { codecServerCommand } from './codec-server';
import { overHttp } from './http-path';
import { cliSigner, withKeyOption } from './keys';
import { phase } from './phases';

// Every module beyond commander is imported by the command that needs it, so `--help` loads no
// Temporal client and `status` no postmortem renderer (the compiled CLI keeps each in its own chunk).
const clientLib = () => import('../client');
const formatting = () => import('./format');

const EXIT_ERROR = 1;
const EXIT_REFUSED = 2;
/** how long a read waits for a worker before saying none answered (the server alone waits ~30 s) */
const READ_TIMEOUT_MS = 10_000;
const read = { timeoutMs: READ_TIMEOUT_MS };

class CliRefusal extends Error {}

function parseParam(value: string, previous: Record<string, unknown> = {}): Record<string, unknown> {
  const eq = value.indexOf('=');
  if (eq <= 0) throw new CliRefusal(`--param takes key=value, got "${value}"`);
  const key = value.slice(0, eq);
  const raw = value.slice(eq + 1);
  let parsed: unknown = raw;
  if (/^(true|false|null|-?\d+(\.\d+)?|\{.*\}|\[.*\])$/s.test(raw)) {
    try {
      parsed = JSON.parse(raw);
    } catch {
      parsed = raw;
    }
  }
  return { ...previous, [key]: parsed };
}

function print(json: boolean | undefined, data: unknown, human: () => string): void {
  console.log(json ? JSON.stringify(data, null, 2) : human());
}

/** The bucket when TOURNIQUET_EVIDENCE_S3_BUCKET is set, the local directory otherwise: what the worker writes to. */
function evidenceStoreSettings(config: Config) {
  return { dir: config.evidenceDir, ...(config.evidenceS3 ? { s3: config.evidenceS3 } : {}) };
}

async function withClient<T>(fn: (client: Client, config: Config) => Promise<T>): Promise<T> {
  const [{ loadConfig }, { connectClient }, { installLazyRpcMethods }] = await Promise.all([
    import('../worker/config'),
    import('../worker/temporal-connection'),
    import('./lazy-rpc'),
  ]);
  installLazyRpcMethods();
  phase('modules loaded');
  const config = loadConfig();
  const client = await connectClient(config);
  phase('connected');
  try {
    return await fn(client, config);
  } finally {
    phase('command done');
    await client.connection.close();
  }
}

export function buildProgram(): Command {
  const program = new Command('tourniquet')
    .description('Contain incidents with playbooks that never act without a recorded human decision.')
    .showHelpAfterError();

  program
    .command('start')
    .description('start an incident running <playbook>; prints the incident id')
    .argument('<playbook>', 'playbook name, e.g. demo')
    .requiredOption('--requester <identity>', 'who asks for this incident (cannot approve it)')
    .option('--param <key=value>', 'playbook parameter (repeatable)', parseParam, {})
    .option('--drill', 'game-day drill: approvals still happen, nothing is changed')
    .option('--title <text>', 'incident title (the playbook makes one otherwise)')
    .option('--policy <name>', 'approval policy from the policy file (playbook default otherwise)')
    .option('--id <incidentId>', 'incident id (generated otherwise)')
    .option('--json', 'print JSON')
    .action(async (playbook: string, opts) =>
      withClient(async (client, config) => {
        const { startIncident } = await clientLib();
        const id = await startIncident(
          client,
          {
            playbook,
            requester: opts.requester,
            params: opts.param,
            mode: opts.drill ? 'drill' : 'live',
            ...(opts.title ? { title: opts.title } : {}),
            ...(opts.policy ? { policy: opts.policy } : {}),
          },
          { taskQueue: config.taskQueue, ...(opts.id ? { incidentId: opts.id } : {}) },
        );
        print(opts.json, { id }, () => id);
      }),
    );

  program
    .command('list')
    .description('list incidents, newest first')
    .option('--open', 'only incidents still running')
    .addOption(new Option('--limit <n>', 'at most this many').default(50).argParser((v) => Number.parseInt(v, 10)))
    .option('--json', 'print JSON')
    .action(async (opts) =>
      withClient(async (client) => {
        const [{ listIncidents }, { formatList }] = await Promise.all([clientLib(), formatting()]);
        const rows = await listIncidents(client, { limit: opts.limit, open: Boolean(opts.open) });
        print(opts.json, rows, () => formatList(rows));
      }),
    );

  program
    .command('status')
    .description('state, gates, votes and containment clock of an incident')
    .argument('<id>')
    .option('--json', 'print JSON')
    .action(async (id: string, opts) => {
      const viaHttp = await overHttp(async (http) => {
        const [{ getStatusOverHttp }, { formatStatus }] = await Promise.all([import('../client/http-engine'), formatting()]);
        const status = await getStatusOverHttp(http, id, read);
        print(opts.json, status, () => formatStatus(status));
      });
      if (viaHttp) return;
      await withClient(async (client) => {
        const [{ getStatus }, { formatStatus }] = await Promise.all([clientLib(), formatting()]);
        const status = await getStatus(client, id, read);
        print(opts.json, status, () => formatStatus(status));
      });
    });

  for (const decision of ['approve', 'deny'] as const) {
    const command = program
      .command(decision)
      .description(`${decision} the incident's open gate (or --gate)`)
      .argument('<id>')
      .requiredOption('--as <identity>', 'your identity, as the policy names approvers')
      .option('--gate <gateId>', 'which gate, when several are open')
      .option('--digest <sha256>', 'the action digest you reviewed (refused if the gate is for another action)');
    withKeyOption(command);
    if (decision === 'deny') command.requiredOption('--reason <text>', 'why (required)');
    else command.option('--reason <text>', 'why (required when the policy says so)');
    // One decision, over whichever way Temporal is reached (cli/http-path.ts): the same code decides.
    type DecideOptions = { as: string; key?: string; gate?: string; digest?: string; reason?: string; json?: boolean };
    const decideAndPrint = async (engine: Client | DecisionEngine, config: Config, id: string, opts: DecideOptions) => {
      const [{ decide }, signer] = await Promise.all([import('../client/decisions'), cliSigner(opts.as, opts.key, config)]);
      const outcome = await decide(engine, {
        incidentId: id,
        decision,
        approver: opts.as,
        via: 'cli',
        signer,
        ...(opts.gate ? { gateId: opts.gate } : {}),
        ...(opts.digest ? { digest: opts.digest } : {}),
        ...(opts.reason ? { reason: opts.reason } : {}),
      });
      print(opts.json, outcome, () =>
        outcome.applied
          ? `${decision === 'approve' ? 'approved' : 'denied'} ${outcome.gate.id}${outcome.gate.step ? ` (${outcome.gate.step})` : ''}: gate is ${outcome.result.status}` +
            (outcome.result.status === 'open' ? `, ${outcome.result.approvalsRemaining} more approval(s) needed` : '')
          : `refused (${outcome.code}): ${outcome.message}`,
      );
      if (!outcome.applied) process.exitCode = EXIT_REFUSED;
    };
    command.option('--json', 'print JSON').action(async (id: string, opts) => {
      const viaHttp = await overHttp(async (http, config) => {
        const { httpDecisionEngine } = await import('../client/http-engine');
        await decideAndPrint(httpDecisionEngine(http), config, id, opts);
      });
      if (!viaHttp) await withClient((client, config) => decideAndPrint(client, config, id, opts));
    });
  }

  program
    .command('timeline')
    .description('every step of an incident with its time, and the containment durations')
    .argument('<id>')
    .option('--json', 'print JSON')
    .action(async (id: string, opts) =>
      withClient(async (client) => {
        const [{ getStatus, getTimeline }, { formatTimeline }] = await Promise.all([clientLib(), formatting()]);
        const [status, events] = await Promise.all([getStatus(client, id, read), getTimeline(client, id, 0, read)]);
        const data = { id, state: status.state, title: status.title, mode: status.mode, clock: status.clock, events };
        print(opts.json, data, () => formatTimeline(status, events));
      }),
    );

  program
    .command('verify-evidence')
    .description("check the evidence hash chain and every stored artifact's hash")
    .argument('<id>')
    .option('--json', 'print JSON')
    .action(async (id: string, opts) =>
      withClient(async (client, config) => {
        const [{ getStatus }, { openEvidenceStore, verifyEvidence }, { formatVerification }] = await Promise.all([
          clientLib(),
          import('../activities/evidence'),
          formatting(),
        ]);
        const status = await getStatus(client, id, read);
        const store = openEvidenceStore(evidenceStoreSettings(config));
        const result = await verifyEvidence(store, status.evidence);
        await store.close?.();
        print(opts.json, { id, ...result }, () => formatVerification(id, result, store.location));
        if (!result.ok) process.exitCode = EXIT_REFUSED;
      }),
    );

  program
    .command('verify')
    .description('check an exported postmortem (JSON) offline, from public keys alone: signatures, action digests, quorum, evidence chain')
    .argument('<export.json>', 'what tourniquet export --format json wrote')
    .requiredOption('--allowed-signers <file>', 'OpenSSH allowed_signers: identity → key (the only source of personal keys)')
    .option(
      '--slack-gateway-key <key>',
      "the Slack gateway's public key: ssh-ed25519 AAAA… or a .pub file (without it, no Slack vote verifies)",
    )
    .option('--people <policies.json>', "take identity → Slack user from this policy file's people, not from the export")
    .option('--json', 'print JSON')
    .action(async (file: string, opts) => {
      // No withClient: this must work where Temporal is gone or unreachable.
      const { readFileSync } = await import('node:fs');
      const { loadAllowedSigners, loadPublicKey } = await import('../activities/approvals/signers');
      const { parsePolicyFile } = await import('../activities/approvals/policies');
      const { formatVerifyReport, parseExport, verifyPostmortem } = await import('../client/postmortem/verify');
      const read = (path: string, what: string) => {
        try {
          return readFileSync(path, 'utf8');
        } catch (err) {
          throw new Error(`cannot read ${what} ${path}: ${(err as Error).message}`, { cause: err });
        }
      };
      const people = opts.people ? parsePolicyFile(JSON.parse(read(opts.people, 'policy file'))).people : undefined;
      const report = verifyPostmortem(parseExport(read(file, 'export'), file), {
        allowedSigners: loadAllowedSigners(opts.allowedSigners),
        slackGateway: opts.slackGatewayKey ? [loadPublicKey(opts.slackGatewayKey, '--slack-gateway-key')] : [],
        ...(people ? { people: Object.fromEntries(Object.entries(people).map(([id, p]) => [id, p.slack])) } : {}),
      });
      print(opts.json, report, () => formatVerifyReport(report));
      if (!report.ok) process.exitCode = EXIT_REFUSED;
    });

  program
    .command('export')
    .description('postmortem of an incident: summary, durations, every step and vote, alerts, verified evidence')
    .argument('<id>')
    .addOption(new Option('--format <format>', 'md, json or html').choices(['md', 'json', 'html']).default('md'))
    .option('--out <file>', 'write to a file instead of standard output')
    .option('--github-issue <owner/repo>', 'file the Markdown postmortem as a GitHub issue (once per incident; needs GITHUB_TOKEN)')
    .action(async (id: string, opts) =>
      withClient(async (client, config) => {
        const [{ buildPostmortem, renderHtml, renderMarkdown }, { openEvidenceStore }] = await Promise.all([
          import('../client/postmortem'),
          import('../activities/evidence'),
        ]);
        const store = openEvidenceStore(evidenceStoreSettings(config));
        const pm = await buildPostmortem(client, id, store).finally(() => store.close?.());
        if (opts.githubIssue) {
          if (!config.github) throw new CliRefusal('--github-issue needs GITHUB_TOKEN (and GITHUB_API_URL for GitHub Enterprise Server)');
          const { fileGitHubIssue } = await import('../client/postmortem/github-issue');
          const { createGitHubClients } = await import('../activities/github/client');
          const issue = await fileGitHubIssue(createGitHubClients(config.github).api, opts.githubIssue, pm);
          console.log(`${issue.created ? 'filed' : 'already filed'}: ${issue.url}`);
          return;
        }
        const text =
          opts.format === 'json' ? `${JSON.stringify(pm, null, 2)}\n` : opts.format === 'html' ? renderHtml(pm) : renderMarkdown(pm);
        if (opts.out) {
          const { writeFile } = await import('node:fs/promises');
          await writeFile(opts.out, text);
          console.error(`wrote ${opts.out}`);
        } else {
          process.stdout.write(text);
        }
      }),
    );

  program
    .command('report')
    .description('per playbook: MTTA and MTTC (median, p90), approval and denial rates, drills')
    .option('--since <duration>', 'how far back, e.g. 7d, 30d, 12h', '30d')
    .option('--json', 'print JSON')
    .action(async (opts) =>
      withClient(async (client, config) => {
        const { parseDuration } = await import('../activities/approvals/policies');
        const window = parseDuration(opts.since);
        if (window === undefined) throw new CliRefusal(`--since takes a duration like 7d or 12h, got "${opts.since}"`);
        const { readReport } = await import('../client/report');
        const since = new Date(Date.now() - window);
        const report = await readReport(client, since, { taskQueue: config.taskQueue });
        const { loadScorecards } = await import('../client/drills/run');
        const { summarizeDrills } = await import('../client/report');
        report.drills = summarizeDrills(await loadScorecards(join(config.dataDir, 'drills')), since);
        const { formatReport } = await formatting();
        print(opts.json, report, () => formatReport(report));
      }),
    );

  program
    .command('drill')
    .description("game-day drill: send a scenario's alert through intake in drill mode, wait for people and the playbook, score the SLOs")
    .argument('[scenario]', 'a scenario in playbooks/drills/')
    .option('--all', 'every scenario')
    .option('--history', 'past scorecards and the trend')
    .option('--timeout <duration>', 'how long to wait for approvals and the playbook', '30m')
    .option('--json', 'print JSON')
    .action(async (scenario: string | undefined, opts) =>
      withClient(async (client, config) => {
        const { parseDuration } = await import('../activities/approvals/policies');
        const timeoutMs = parseDuration(opts.timeout);
        if (timeoutMs === undefined) throw new CliRefusal(`--timeout takes a duration like 30m, got "${opts.timeout}"`);
        if (!scenario && !opts.all && !opts.history) throw new CliRefusal('name a scenario, or use --all or --history');
        const { drillCommand } = await import('./drill');
        const passed = await drillCommand(client, config, {
          ...(scenario ? { scenario } : {}),
          all: opts.all,
          history: opts.history,
          timeoutMs,
          json: opts.json,
        });
        if (!passed) process.exitCode = EXIT_REFUSED;
      }),
    );

  withKeyOption(
    program
      .command('cancel')
      .description('cancel an incident as yourself (signed, recorded with who and why): open gates close, nothing further runs')
      .argument('<id>')
      .requiredOption('--as <identity>', 'who cancels')
      .requiredOption('--reason <text>', 'why'),
  )
    .option(
      '--force',
      'cancel through Temporal itself (an operator with Temporal access; recorded without a name) — for an incident that has not opened a gate yet, or a stuck one',
    )
    .action(async (id: string, opts) =>
      withClient(async (client, config) => {
        const [{ getStatus, cancelIncident }, { FINAL_STATES }] = await Promise.all([clientLib(), import('../workflows')]);
        // An ended incident is told the same way plain or --force: in which state it ended.
        const ended = async () => {
          const status = await getStatus(client, id, read).catch(() => undefined);
          return status && FINAL_STATES.includes(status.state)
            ? `refused (IncidentEnded): incident ${id} is already ${status.state}; nothing was done`
            : undefined;
        };
        if (opts.force) {
          const refusal = await ended();
          if (refusal) {
            console.log(refusal);
            process.exitCode = EXIT_REFUSED;
            return;
          }
          await client.workflow.getHandle(id).cancel();
          console.log(`cancellation requested for ${id} through Temporal (the timeline records it without a name)`);
          return;
        }
        const outcome = await cancelIncident(client, {
          incidentId: id,
          by: opts.as,
          reason: opts.reason,
          via: 'cli',
          signer: await cliSigner(opts.as, opts.key, config),
        });
        if (outcome.applied) console.log(`cancelled ${id}: open gates closed, nothing further runs`);
        else console.log((outcome.code === 'IncidentEnded' && (await ended())) || `refused (${outcome.code}): ${outcome.message}`);
        if (!outcome.applied) process.exitCode = EXIT_REFUSED;
      }),
    );

  program.addCommand(breakGlassCommand({ withClient, print, refusedExitCode: EXIT_REFUSED }));
  program.addCommand(codecServerCommand());

  program
    .command('dev')
    .description('run Tourniquet on its embedded default: Temporal dev server (data in .data/), worker and gateway')
    .action(async () => {
      const [{ runDev }, { loadConfig }] = await Promise.all([import('./dev'), import('../worker/config')]);
      await runDev(loadConfig());
    });

  // Not for people: `npm run build` runs it once so that V8's code cache for the compiled CLI
  // (bin/tourniquet) holds the modules the everyday commands load, not only --help's.
  program.command('load-modules', { hidden: true }).action(async () => {
    await Promise.all([
      clientLib(),
      formatting(),
      import('../worker/config'),
      import('../worker/temporal-connection'),
      import('./lazy-rpc'),
      import('../client/signing'),
      import('../client/decisions'),
      import('../client/http-engine'),
      import('./http-path'),
    ]);
  });

  phase('commands defined');
  return program;
}

buildProgram()
  .parseAsync(process.argv)
  .catch(async (err: unknown) => {
    // Loaded only on failure: the classes that say which failures are told plainly.
    const [{ ConfigError }, { EngineUnavailableError, IncidentRequestError }, { CodecServerRefusal }] = await Promise.all([
      import('../worker/config'),
      clientLib(),
      import('./codec-server'),
    ]);
    if (
      err instanceof ConfigError ||
      err instanceof IncidentRequestError ||
      err instanceof CliRefusal ||
      err instanceof CodecServerRefusal
    ) {
      console.error(err.message);
      process.exit(err instanceof ConfigError ? EXIT_ERROR : EXIT_REFUSED);
    }
    if (err instanceof EngineUnavailableError) {
      console.error(err.message);
      process.exit(EXIT_ERROR);
    }
    const e = err as Error & { code?: number; cause?: { details?: string } };
    if (e?.name === 'ServiceError' || e?.code === 14) {
      // the SDK's message is only "Failed to …"; the gRPC cause says what happened
      const detail = e.cause?.details ? ` (${e.cause.details})` : '';
      console.error(`cannot reach Temporal: ${e.message}${detail}\n(is \`npm run dev\` running, or TEMPORAL_ADDRESS set?)`);
    } else {
      console.error(e?.message ?? err);
    }
    process.exit(EXIT_ERROR);
  });
