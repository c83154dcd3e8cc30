/**
 * Requests as Slack sends them to the app: real payload shapes, signed with the signing secret
 * (v0 HMAC-SHA256 of `v0:<timestamp>:<body>`), posted to the gateway.
 */
import { createHmac } from 'node:crypto';

export const TEAM = { id: 'T0TEST', domain: 'tourniquet-test' };

export function sign(secret: string, body: string, timestamp = Math.floor(Date.now() / 1000)): Record<string, string> {
  const signature = `v0=${createHmac('sha256', secret).update(`v0:${timestamp}:${body}`).digest('hex')}`;
  return {
    'content-type': 'application/x-www-form-urlencoded',
    'x-slack-request-timestamp': String(timestamp),
    'x-slack-signature': signature,
  };
}

/** Slack gives every interaction its own trigger_id; effects are keyed on it, so tests must too. */
const triggerId = () => `${Date.now()}.${Math.floor(Math.random() * 1e9)}.0123456789abcdef`;

const form = (payload: object) => `payload=${encodeURIComponent(JSON.stringify(payload))}`;

/** A button click; `gateId` for an approval button, `blockId` and `label` for any other (e.g. a command offered in a thread). */
export function blockActionBody(p: {
  user: string;
  actionId: string;
  value: string;
  channel: string;
  messageTs: string;
  gateId?: string;
  blockId?: string;
  label?: string;
}): string {
  return form({
    type: 'block_actions',
    user: { id: p.user, username: p.user.toLowerCase(), name: p.user.toLowerCase(), team_id: TEAM.id },
    api_app_id: 'A0TOURNIQUET',
    token: 'deprecated-verification-token',
    container: { type: 'message', message_ts: p.messageTs, channel_id: p.channel, is_ephemeral: false },
    trigger_id: triggerId(),
    team: TEAM,
    enterprise: null,
    is_enterprise_install: false,
    channel: { id: p.channel, name: 'approvals' },
    message: { type: 'message', user: 'U0BOT', ts: p.messageTs, bot_id: 'B0BOT', text: 'Approval needed' },
    state: { values: {} },
    response_url: 'https://hooks.slack.com/actions/T0TEST/1/abcdef',
    actions: [
      {
        action_id: p.actionId,
        block_id: p.blockId ?? `gate:${p.gateId}`,
        text: { type: 'plain_text', text: p.label ?? (p.actionId === 'gate_approve' ? 'Approve' : 'Deny'), emoji: true },
        value: p.value,
        style: p.actionId === 'gate_approve' ? 'primary' : 'danger',
        type: 'button',
        action_ts: `${Date.now() / 1000}`,
      },
    ],
  });
}

export function viewSubmissionBody(p: { user: string; privateMetadata: string; reason?: string; confirm?: string }): string {
  const values: Record<string, unknown> = { reason: { value: { type: 'plain_text_input', value: p.reason ?? null } } };
  if (p.confirm !== undefined) values.confirm = { value: { type: 'plain_text_input', value: p.confirm } };
  return form({
    type: 'view_submission',
    team: TEAM,
    user: { id: p.user, username: p.user.toLowerCase(), name: p.user.toLowerCase(), team_id: TEAM.id },
    api_app_id: 'A0TOURNIQUET',
    token: 'deprecated-verification-token',
    trigger_id: triggerId(),
    view: {
      id: 'V0MODAL',
      team_id: TEAM.id,
      type: 'modal',
      callback_id: 'gate_decision',
      private_metadata: p.privateMetadata,
      title: { type: 'plain_text', text: 'Deny action' },
      blocks: [],
      state: { values },
      hash: '1.abc',
      app_id: 'A0TOURNIQUET',
      bot_id: 'B0BOT',
    },
    response_urls: [],
    is_enterprise_install: false,
    enterprise: null,
  });
}

export function slashCommandBody(p: { user: string; command: string; text: string; channel: string }): string {
  return new URLSearchParams({
    token: 'deprecated-verification-token',
    team_id: TEAM.id,
    team_domain: TEAM.domain,
    channel_id: p.channel,
    channel_name: 'incidents',
    user_id: p.user,
    user_name: p.user.toLowerCase(),
    command: p.command,
    text: p.text,
    api_app_id: 'A0TOURNIQUET',
    is_enterprise_install: 'false',
    response_url: 'https://hooks.slack.com/commands/T0TEST/1/abcdef',
    trigger_id: triggerId(),
  }).toString();
}
