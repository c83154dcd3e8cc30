/**
 * What Tourniquet says in Slack, as Block Kit. Builders are pure: the notifier decides where a
 * message goes, these decide what it says. Nothing here may carry a secret: evidence appears as
 * names and short hashes only, and action arguments are not shown (the digest binds them).
 */
import type { ActionsBlock, KnownBlock, SectionBlock } from '@slack/types';
import type { GateView } from '../../workflows/approval-gate';
import type { IncidentHeader, IncidentNotification } from '../../workflows/contracts';

export interface MessageContext {
  /** how to show an identity: a mention when the Slack id is known */
  who(identity: string): string;
  /** a link to the incident, when a UI URL is configured */
  link?(incidentId: string): string | undefined;
}

/** What a button carries back: enough to decide without asking the engine first. */
export interface GateButtonValue {
  incidentId: string;
  gateId: string;
  digest: string;
  /** with the gate id and digest, what a decision signs: no status query before deciding */
  runStartedAt?: string;
  /** the policy wants a reason on approve */
  reason: boolean;
  /** critical actions: the approver types this (the target) to confirm */
  confirm?: string;
}

export const APPROVE_ACTION = 'gate_approve';
export const DENY_ACTION = 'gate_deny';
export const COMMAND_ACTION = 'incident_command';

/** What a command button carries back: which incident, which of its commands. */
export interface CommandButtonValue {
  incidentId: string;
  command: string;
}

/** A thread line with the commands the incident offers as buttons (e.g. "Revoke access now"). */
export function offerBlocks(event: IncidentNotification, text: string): KnownBlock[] {
  const buttons = (event.offer ?? []).map((o) => {
    const value: CommandButtonValue = { incidentId: event.incident.id, command: o.command };
    return {
      type: 'button' as const,
      action_id: `${COMMAND_ACTION}:${o.command}`,
      text: { type: 'plain_text' as const, text: o.label.slice(0, 75) },
      value: JSON.stringify(value),
      ...(o.style ? { style: o.style } : {}),
    };
  });
  return [
    { type: 'section', text: { type: 'mrkdwn', text } },
    { type: 'actions', block_id: `offer:${event.seq}`, elements: buttons },
  ];
}

/** An offer's thread line once its commands are no longer taken: the buttons go, and why they went is said. */
export function withdrawnOfferBlocks(line: string, closing: IncidentNotification): KnownBlock[] {
  return [
    { type: 'section', text: { type: 'mrkdwn', text: line } },
    { type: 'context', elements: [{ type: 'mrkdwn', text: `:lock: Ended — ${escapeText(closing.summary)}` }] },
  ];
}

/**
 * Text people wrote (titles, reasons, step names carrying a requester's reason) is escaped as Slack
 * asks, so `<!channel>` or a `<url|Approve>` link in a reason stays text and cannot ping or mislead.
 */
export const escapeText = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

const drill = (i: IncidentHeader) => (i.mode === 'drill' ? '[DRILL] ' : '');
const slackDate = (iso: string) => `<!date^${Math.floor(Date.parse(iso) / 1000)}^{date_short_pretty} {time}|${iso}>`;
/** "2 minutes ago", kept current by Slack itself: the message needs no update as time passes */
const slackAgo = (iso: string) => `<!date^${Math.floor(Date.parse(iso) / 1000)}^{ago}|${iso}>`;

/**
 * The incident's alerts as counts (bounded whatever the volume) and, while a request is open,
 * whether they are all resolved: "alert resolved 2 minutes ago" beside a request still asking.
 */
export function alertsLine(i: IncidentHeader, gate: GateView): string | undefined {
  const a = i.alerts;
  if (!a) return undefined;
  const counts = `*Alerts* ${a.exact ? '' : '~'}${a.distinct} distinct (${a.firing} firing, ${a.resolved} resolved) · ${a.total} deliveries`;
  const resolvedAt = i.resolution?.all_resolved_at;
  if (!resolvedAt || gate.status === 'withdrawn') return counts;
  const still = gate.status === 'open' ? ' — this request stays open: decide as you judge' : '';
  return `${counts}\n:large_green_circle: *Alert resolved* ${slackAgo(resolvedAt)}${still}`;
}

function incidentLabel(i: IncidentHeader, ctx: MessageContext): string {
  const url = ctx.link?.(i.id);
  const title = escapeText(i.title);
  return url ? `<${url}|${title}> (\`${i.id}\`)` : `${title} (\`${i.id}\`)`;
}

function outcomeLine(gate: GateView, ctx: MessageContext): string {
  const approvers = gate.votes.filter((v) => v.decision === 'approve').map((v) => ctx.who(v.approver));
  const deny = gate.votes.find((v) => v.decision === 'deny');
  switch (gate.status) {
    case 'approved':
      return `:white_check_mark: *Approved* by ${approvers.join(', ')} at ${slackDate(gate.closed_at!)}`;
    case 'denied':
      return deny
        ? `:no_entry: *Denied* by ${ctx.who(deny.approver)} at ${slackDate(gate.closed_at!)}: ${escapeText(deny.reason ?? '')}`
        : `:no_entry: *Denied*: ${escapeText(gate.closed_reason ?? '')}`;
    case 'expired':
      return `:hourglass: *Expired — denied.* No decision by ${slackDate(gate.deadline)}; nothing was done.`;
    case 'cancelled':
      return ':heavy_multiplication_x: *Cancelled* with the incident; nothing was done.';
    case 'withdrawn':
      return `:leftwards_arrow_with_hook: *Withdrawn — alert resolved* ${gate.closed_at ? slackAgo(gate.closed_at) : ''}: every alert of the incident was resolved, so this request was withdrawn and nothing further runs. Nothing already done was undone.`;
    default: {
      const votes = approvers.length ? ` Approved so far by ${approvers.join(', ')}.` : '';
      return `:hourglass_flowing_sand: *Waiting:* ${gate.approvalsRemaining} more approval(s) needed.${votes}`;
    }
  }
}

/** "denied if undecided" is a promise about the future: once the gate has closed, say what happened. */
function deadlineNote(gate: GateView): string {
  if (gate.status === 'open') return 'denied if undecided';
  if (gate.status === 'expired') return 'passed undecided: denied';
  return `closed ${gate.closed_at ? slackDate(gate.closed_at) : ''} (${gate.status})`;
}

export function gateBlocks(event: IncidentNotification, gate: GateView, ctx: MessageContext): KnownBlock[] {
  const i = event.incident;
  const fields: SectionBlock['fields'] = [
    { type: 'mrkdwn', text: `*Incident*\n${incidentLabel(i, ctx)}` },
    { type: 'mrkdwn', text: `*Playbook*\n${i.playbook}` },
    { type: 'mrkdwn', text: `*Action*\n\`${gate.action}\` on \`${gate.target}\`` },
    { type: 'mrkdwn', text: `*Risk*\n${gate.risk}` },
    { type: 'mrkdwn', text: `*Requested by*\n${ctx.who(gate.requester)} (cannot approve)` },
    { type: 'mrkdwn', text: `*Approvers* (${gate.quorum} needed)\n${gate.eligible.map((a) => ctx.who(a)).join(', ')}` },
    { type: 'mrkdwn', text: `*Deadline*\n${slackDate(gate.deadline)} — ${deadlineNote(gate)}` },
    { type: 'mrkdwn', text: `*Votes needed*\n${gate.approvalsRemaining} of ${gate.quorum}` },
  ];
  const evidence =
    (event.evidence ?? []).map((e) => `${e.name} \`${e.sha256}\``).join(' · ') || (gate.status === 'open' ? 'none yet' : 'none');
  const blocks: KnownBlock[] = [
    { type: 'header', text: { type: 'plain_text', text: `${drill(i)}Approval needed: ${gate.step}`.slice(0, 150) } },
    { type: 'section', fields },
    {
      type: 'section',
      text: {
        type: 'mrkdwn',
        text:
          `*Approve* runs \`${gate.action}\` on \`${gate.target}\`${i.mode === 'drill' ? ' as a dry run (drill: nothing changes)' : ''}. ` +
          '*Deny* changes nothing and ends the incident denied.',
      },
    },
    { type: 'context', elements: [{ type: 'mrkdwn', text: `Evidence: ${evidence}` }] },
    ...alertsBlocks(i, gate),
    { type: 'context', elements: [{ type: 'mrkdwn', text: `Gate \`${gate.id}\` · action digest \`${gate.digest.slice(0, 16)}…\`` }] },
    { type: 'section', text: { type: 'mrkdwn', text: outcomeLine(gate, ctx) } },
  ];
  if (gate.status === 'open') blocks.push(gateButtons(i.id, gate));
  return blocks;
}

function alertsBlocks(i: IncidentHeader, gate: GateView): KnownBlock[] {
  const line = alertsLine(i, gate);
  return line ? [{ type: 'section', text: { type: 'mrkdwn', text: line } }] : [];
}

function gateButtons(incidentId: string, gate: GateView): ActionsBlock {
  const value: GateButtonValue = {
    incidentId,
    gateId: gate.id,
    digest: gate.digest,
    ...(gate.runStartedAt ? { runStartedAt: gate.runStartedAt } : {}),
    reason: gate.requireReasonOnApprove,
  };
  if (gate.risk === 'critical') value.confirm = gate.target;
  const json = JSON.stringify(value);
  return {
    type: 'actions',
    block_id: `gate:${gate.id}`,
    elements: [
      { type: 'button', action_id: APPROVE_ACTION, style: 'primary', text: { type: 'plain_text', text: 'Approve' }, value: json },
      { type: 'button', action_id: DENY_ACTION, style: 'danger', text: { type: 'plain_text', text: 'Deny' }, value: json },
    ],
  };
}

export function gateText(event: IncidentNotification, gate: GateView): string {
  return `${drill(event.incident)}Approval needed: ${escapeText(gate.step)} — ${gate.action} on ${gate.target} (${gate.status})`;
}

/** One line in the incident's thread for each step of its life. */
export function threadLine(event: IncidentNotification, ctx: MessageContext): string {
  const i = event.incident;
  const gate = event.gate;
  const step = escapeText(gate?.step ?? '');
  const summary = escapeText(event.summary);
  switch (event.kind) {
    case 'incident.started':
      return `${drill(i)}:rotating_light: *${escapeText(i.title)}* — incident ${incidentLabel(i, ctx)} opened by ${ctx.who(i.requester)}, playbook \`${i.playbook}\``;
    case 'approval.requested':
      return `:lock: Awaiting approval: *${step}* (${gate?.quorum} of ${gate?.eligible.map((a) => ctx.who(a)).join(', ')})`;
    case 'approval.reminder':
      return `:bell: Reminder: *${step}* still needs ${gate?.approvalsRemaining} approval(s) from ${gate?.eligible
        .filter((a) => a !== gate.requester)
        .map((a) => ctx.who(a))
        .join(', ')} before ${gate ? slackDate(gate.deadline) : ''}`;
    case 'approval.escalated':
      return `:mega: Escalated to ${(event.escalateTo ?? []).map((a) => ctx.who(a)).join(', ')}: *${step}* still awaits approval`;
    case 'approval.closed':
      return gate ? outcomeLine(gate, ctx) : summary;
    case 'action.started':
      return `:hammer_and_wrench: Acting: *${gate ? step : summary}*`;
    case 'incident.contained':
      return `:shield: Contained (verified: ${summary.replace(/^contained: /, '')})`;
    case 'alerts.resolution':
      return `${i.resolution?.all_resolved_at ? ':large_green_circle:' : ':red_circle:'} ${summary}`;
    case 'incident.finished':
      return `${i.state === 'resolved' ? ':white_check_mark:' : i.state === 'failed' ? ':x:' : ':no_entry:'} Incident ${i.state} — ${summary.replace(`${i.state}: `, '')}`;
    default:
      return summary;
  }
}
