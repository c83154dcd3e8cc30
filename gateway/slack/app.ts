/**
 * The Slack app (Bolt, HTTP mode) as an Express router for the gateway. Bolt verifies every
 * request's signature and age (401 otherwise); the replay guard in front of it refuses headers in
 * any but their canonical form and, per process, a second delivery of the same signed request.
 * Whatever gets past that (another replica, a restarted gateway) takes no effect twice: each
 * effect is keyed in Temporal on the interaction's identity (./identity.ts). Listeners ack at once
 * (Slack's 3-second rule) and then decide through the same client path as the CLI, so Slack adds
 * no rules of its own: refusals come from the gate, and reach the clicker as an ephemeral message
 * saying why.
 */
import { App, ExpressReceiver, LogLevel, type BlockAction, type ButtonAction } from '@slack/bolt';
import type { WebClient } from '@slack/web-api';
import type { Client } from '@temporalio/client';
import { Router } from 'express';
import type { Logger } from 'pino';
import { decide, IncidentExistsError, IncidentRequestError, sendCommand, startIncident } from '../../client';
import type { StatementSigner } from '../../client/signing';
import type { Directory } from '../../activities/approvals/directory';
import { APPROVE_ACTION, COMMAND_ACTION, DENY_ACTION } from '../../activities/slack';
import { BREAKGLASS_USAGE, parseBreakGlass, type BreakGlassCommand } from './break-glass';
import { replyEphemeral } from './ephemeral';
import { breakGlassIncidentId, interactionNonce, type SlackInteraction } from './identity';
import { slackReplayGuard } from './replay-guard';
import {
  commandButtonSchema,
  DECISION_VIEW,
  decisionMetaSchema,
  decisionModal,
  gateButtonSchema,
  modalErrors,
  needsModal,
  type DecisionMeta,
} from './views';
import { breakGlassPlaybook } from '../../playbooks/break-glass';

export interface SlackAppDeps {
  temporal: Client;
  taskQueue: string;
  directory: Directory;
  signingSecret: string;
  botToken: string;
  apiUrl?: string;
  eventsPath: string;
  logger: Logger;
  incidentUrl?: (id: string) => string;
  /**
   * the gateway's own key: it signs each decision and command as "this Slack user clicked this",
   * and the worker trusts it only for identities that map to that Slack user. Without it, Slack
   * decisions are unsigned and the engine refuses them (Unauthenticated).
   */
  signer?: StatementSigner;
}

export async function createSlackRouter(deps: SlackAppDeps): Promise<Router> {
  const router = Router();
  const receiver = new ExpressReceiver({
    signingSecret: deps.signingSecret,
    endpoints: deps.eventsPath,
    router,
    logLevel: LogLevel.ERROR,
  });
  const app = new App({
    receiver,
    token: deps.botToken,
    deferInitialization: true,
    logLevel: LogLevel.ERROR,
    ...(deps.apiUrl ? { clientOptions: { slackApiUrl: deps.apiUrl.replace(/\/?$/, '/') } } : {}),
  });
  registerListeners(app, deps);
  await app.init();
  const outer = Router();
  outer.use(deps.eventsPath, slackReplayGuard());
  outer.use(router);
  return outer;
}

/** What the person who typed `/breakglass …` is told, privately: started, taken, or why not. */
async function breakGlassAnswer(
  deps: SlackAppDeps,
  command: BreakGlassCommand,
  who: string,
  interaction: SlackInteraction,
): Promise<string> {
  const user = interaction.user;
  try {
    if (command.kind === 'request') {
      const { request } = command;
      const incidentId = breakGlassIncidentId(interaction);
      // The id is this request's own (REJECT_DUPLICATE): a replay, through any gateway, starts nothing.
      const id = await startIncident(
        deps.temporal,
        { playbook: breakGlassPlaybook.name, requester: who, params: request },
        { taskQueue: deps.taskQueue, incidentId, once: true },
      ).catch((err: unknown) => {
        if (err instanceof IncidentExistsError) return undefined;
        throw err;
      });
      if (!id) return `Already received: this request opened incident \`${incidentId}\` once; nothing more was done.`;
      const link = deps.incidentUrl?.(id);
      return `Break-glass requested: incident \`${id}\`${link ? ` (<${link}|open>)` : ''}. Two approvers other than you must approve.`;
    }
    const outcome = await sendCommand(deps.temporal, {
      incidentId: command.incidentId,
      command: command.kind,
      by: who,
      via: `slack:${user}`,
      signer: deps.signer ?? null,
      // Slack wants its answer within 3 s; past that the person is told it is not confirmed (yet).
      timeoutMs: 2_500,
      nonce: interactionNonce(interaction),
      ...(command.kind === 'extend' ? { args: { duration: command.duration } } : {}),
      ...(command.reason ? { reason: command.reason } : {}),
    });
    if (!outcome.applied) return `:no_entry_sign: Not applied — ${outcome.message}`;
    return command.kind === 'revoke'
      ? `Revoke requested for \`${command.incidentId}\`: the access is being removed.`
      : `Extension by ${command.duration} requested for \`${command.incidentId}\`: it awaits two approvals.`;
  } catch (err) {
    if (err instanceof IncidentRequestError) return `Break-glass is not available: ${err.message}\n${BREAKGLASS_USAGE}`;
    deps.logger.error({ err }, 'break-glass from Slack failed');
    return 'Tourniquet could not take the request; nothing was done. Try again or use the CLI.';
  }
}

async function decideFromSlack(deps: SlackAppDeps, client: WebClient, meta: DecisionMeta, interaction: SlackInteraction, reason?: string) {
  const user = interaction.user;
  const nonce = interactionNonce(interaction);
  let outcome;
  try {
    outcome = await decide(deps.temporal, {
      incidentId: meta.incidentId,
      gateId: meta.gateId,
      digest: meta.digest,
      ...(meta.runStartedAt ? { runStartedAt: meta.runStartedAt } : {}),
      decision: meta.decision,
      approver: deps.directory.identityForSlackUser(user),
      via: `slack:${user}`,
      nonce,
      signer: deps.signer ?? null,
      ...(reason ? { reason } : {}),
    });
    // The nonce ties this line to the vote: a replay answered with the first outcome logs the same one.
    deps.logger.info(
      {
        incident: meta.incidentId,
        gate: meta.gateId,
        user,
        nonce,
        applied: outcome.applied,
        ...(outcome.applied ? {} : { code: outcome.code }),
      },
      'decision from Slack',
    );
  } catch (err) {
    deps.logger.error({ err: (err as Error).message, incident: meta.incidentId }, 'decision from Slack failed');
    await replyEphemeral(
      client,
      deps.logger,
      meta.channel,
      user,
      ':warning: Tourniquet could not record your decision; it was NOT applied. Try again, or use the CLI.',
    );
    return;
  }
  if (!outcome.applied) {
    await replyEphemeral(client, deps.logger, meta.channel, user, `:no_entry_sign: Not applied — ${outcome.message}`);
  }
  // Accepted: the incident's own notification updates the approval message in place.
}

/** A button click's identity: Slack gives each click its own trigger_id and action_ts. */
function actionIdentity(body: BlockAction<ButtonAction>, action: ButtonAction): SlackInteraction {
  return {
    team: body.team?.id ?? body.enterprise?.id ?? '',
    user: body.user.id,
    kind: `action:${action.action_id}`,
    ids: [body.trigger_id, action.action_ts],
  };
}

function registerListeners(app: App, deps: SlackAppDeps): void {
  for (const decision of ['approve', 'deny'] as const) {
    app.action<BlockAction<ButtonAction>>(decision === 'approve' ? APPROVE_ACTION : DENY_ACTION, async ({ ack, body, action, client }) => {
      await ack();
      let button;
      try {
        button = gateButtonSchema.parse(JSON.parse(action.value ?? ''));
      } catch {
        await replyEphemeral(client, deps.logger, body.channel?.id, body.user.id, ':warning: This button is not one of Tourniquet’s.');
        return;
      }
      const meta: DecisionMeta = { ...button, decision, ...(body.channel?.id ? { channel: body.channel.id } : {}) };
      if (needsModal(decision, button)) {
        await client.views.open({ trigger_id: body.trigger_id, view: decisionModal(meta) });
        return;
      }
      await decideFromSlack(deps, client, meta, actionIdentity(body, action));
    });
  }

  // A command the incident offered in its thread ("Revoke access now"): the clicker gives it.
  app.action<BlockAction<ButtonAction>>(new RegExp(`^${COMMAND_ACTION}:`), async ({ ack, body, action, client }) => {
    await ack();
    const channel = body.channel?.id;
    let button;
    try {
      button = commandButtonSchema.parse(JSON.parse(action.value ?? ''));
    } catch {
      await replyEphemeral(client, deps.logger, channel, body.user.id, ':warning: This button is not one of Tourniquet’s.');
      return;
    }
    const who = deps.directory.identityForSlackUser(body.user.id);
    let outcome;
    try {
      const nonce = interactionNonce(actionIdentity(body, action));
      outcome = await sendCommand(deps.temporal, {
        incidentId: button.incidentId,
        command: button.command,
        by: who,
        via: `slack:${body.user.id}`,
        nonce,
        signer: deps.signer ?? null,
      });
    } catch (err) {
      deps.logger.error({ err: (err as Error).message, incident: button.incidentId }, 'command from Slack failed');
      await replyEphemeral(
        client,
        deps.logger,
        channel,
        body.user.id,
        ':warning: Tourniquet could not take that; nothing was done. Try again, or use the CLI.',
      );
      return;
    }
    const text = outcome.applied
      ? `:white_check_mark: Taken: ${button.command} (\`${button.incidentId}\`).`
      : `:no_entry_sign: Not applied — ${outcome.message}`;
    await replyEphemeral(client, deps.logger, channel, body.user.id, text);
  });

  app.view(DECISION_VIEW, async ({ ack, body, view, client }) => {
    const meta = decisionMetaSchema.safeParse(JSON.parse(view.private_metadata || '{}'));
    if (!meta.success) {
      await ack({ response_action: 'errors', errors: { reason: 'This form is not one of Tourniquet’s.' } });
      return;
    }
    const reason = view.state.values.reason?.value?.value?.trim() || undefined;
    const confirm = view.state.values.confirm?.value?.value?.trim() || undefined;
    const errors = modalErrors(meta.data, reason, confirm);
    if (Object.keys(errors).length > 0) {
      await ack({ response_action: 'errors', errors });
      return;
    }
    await ack();
    const interaction = {
      team: body.team?.id ?? body.enterprise?.id ?? '',
      user: body.user.id,
      kind: `view:${view.callback_id}`,
      ids: [body.type === 'view_submission' ? body.trigger_id : '', view.id],
    };
    await decideFromSlack(deps, client, meta.data, interaction, reason);
  });

  app.command('/breakglass', async ({ ack, command }) => {
    const parsed = parseBreakGlass(command.text ?? '');
    if (!parsed.ok) {
      await ack({ response_type: 'ephemeral', text: parsed.error });
      return;
    }
    const who = deps.directory.identityForSlackUser(command.user_id);
    const interaction = { team: command.team_id, user: command.user_id, kind: `command:${command.command}`, ids: [command.trigger_id] };
    const text = await breakGlassAnswer(deps, parsed.command, who, interaction);
    await ack({ response_type: 'ephemeral', text });
  });
}
