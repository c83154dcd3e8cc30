/**
 * `tourniquet breakglass request|revoke|extend`: time-boxed access from the terminal, the same
 * incidents and rules as `/breakglass` in Slack.
 */
import { Command } from 'commander';
import type { Client } from '@temporalio/client';
import type { CommandOutcome } from '../client';
import type { Config } from '../worker/config';
import { cliSigner, KEY_OPTION } from './keys';

type WithClient = <T>(fn: (client: Client, config: Config) => Promise<T>) => Promise<T>;
// Loaded by the command that runs, not when the program is built (bin/tourniquet --help loads no client).
const clientLib = () => import('../client');
// The playbook module brings the workflow code and its Ed25519 tables: every command paid for them at start-up.
const playbookModule = () => import('../playbooks/break-glass');

export interface CliHelpers {
  withClient: WithClient;
  print: (json: boolean | undefined, data: unknown, human: () => string) => void;
  /** exit code for "refused": nothing was done */
  refusedExitCode: number;
}

function report(h: CliHelpers, json: boolean | undefined, outcome: CommandOutcome, done: string): void {
  h.print(json, outcome, () => (outcome.applied ? done : `refused (${outcome.code}): ${outcome.message}`));
  if (!outcome.applied) process.exitCode = h.refusedExitCode;
}

export function breakGlassCommand(h: CliHelpers): Command {
  const bg = new Command('breakglass').description('time-boxed access: two approvers grant a catalogue role; it is revoked at expiry');

  bg.command('request')
    .description('ask for a catalogue role for a while; prints the incident id')
    .argument('<role>', 'a role of the break-glass catalogue (config/break-glass.json)')
    .argument('<duration>', 'how long, e.g. 30m or 2h (at most 8h, and the role’s maximum)')
    .requiredOption('--as <identity>', 'who asks (gets the access; cannot approve it)')
    .requiredOption('--reason <text>', 'why, for the approvers (10+ characters)')
    .option('--scope <namespace|cluster>', 'where; may be left out when the role has only one')
    .option('--drill', 'game-day drill: approvals happen, the grant is a server-side dry run')
    .option('--json', 'print JSON')
    .action(async (role: string, duration: string, opts) =>
      h.withClient(async (client, config) => {
        const [{ startIncident }, { breakGlassPlaybook }] = await Promise.all([clientLib(), playbookModule()]);
        const id = await startIncident(
          client,
          {
            playbook: breakGlassPlaybook.name,
            requester: opts.as,
            params: { role, duration, reason: opts.reason, ...(opts.scope ? { scope: opts.scope } : {}) },
            mode: opts.drill ? 'drill' : 'live',
          },
          { taskQueue: config.taskQueue },
        );
        h.print(opts.json, { id }, () => id);
      }),
    );

  bg.command('revoke')
    .description('take the access away now (anyone may; it is recorded)')
    .argument('<id>', 'the break-glass incident')
    .requiredOption('--as <identity>', 'who asks')
    .option('--reason <text>', 'why')
    .option(...KEY_OPTION)
    .option('--json', 'print JSON')
    .action(async (id: string, opts) =>
      h.withClient(async (client, config) => {
        const [{ sendCommand }, signer] = await Promise.all([clientLib(), cliSigner(opts.as, opts.key, config)]);
        const outcome = await sendCommand(client, {
          incidentId: id,
          command: 'revoke',
          by: opts.as,
          via: 'cli',
          signer,
          ...(opts.reason ? { reason: opts.reason } : {}),
        });
        report(h, opts.json, outcome, `revoke requested for ${id}: the grant is being removed`);
      }),
    );

  bg.command('extend')
    .description('ask for more time: a fresh approval, decided before the current grant runs out')
    .argument('<id>', 'the break-glass incident')
    .argument('<duration>', 'how much longer, e.g. 30m')
    .requiredOption('--as <identity>', 'the requester (only they may ask)')
    .requiredOption('--reason <text>', 'why, for the approvers')
    .option(...KEY_OPTION)
    .option('--json', 'print JSON')
    .action(async (id: string, duration: string, opts) =>
      h.withClient(async (client, config) => {
        const [{ sendCommand }, signer] = await Promise.all([clientLib(), cliSigner(opts.as, opts.key, config)]);
        const outcome = await sendCommand(client, {
          incidentId: id,
          command: 'extend',
          by: opts.as,
          args: { duration },
          reason: opts.reason,
          via: 'cli',
          signer,
        });
        report(h, opts.json, outcome, `extension by ${duration} requested for ${id}: it awaits approval`);
      }),
    );

  bg.command('sweep')
    .description('delete expired grants whose incident is no longer running (a terminated workflow leaves its binding); uses KUBECONFIG')
    .option('--dry-run', 'only say what would be deleted')
    .option('--json', 'print JSON')
    .action(async (opts) =>
      h.withClient(async (client) => {
        // Loaded here: only this command needs the Kubernetes client.
        const [{ sweepExpiredGrants }, { kubeConfigFromEnvironment }] = await Promise.all([
          import('../client/break-glass-sweep'),
          import('../activities/kubernetes/client'),
        ]);
        const swept = await sweepExpiredGrants({ kube: kubeConfigFromEnvironment(), temporal: client, dryRun: Boolean(opts.dryRun) });
        h.print(opts.json, swept, () =>
          swept.length
            ? swept
                .map(
                  (g) =>
                    `${g.outcome.padEnd(12)}  ${g.kind} ${g.namespace ? `${g.namespace}/` : ''}${g.name}  expires ${g.expiresAt}  incident ${g.incidentId ?? '?'}`,
                )
                .join('\n')
            : 'no break-glass grants found',
        );
      }),
    );

  return bg;
}
