/**
 * Incident news in Slack: one thread per incident in the incidents channel, and one approval
 * message per gate in the policy's channel, updated in place as votes arrive and when the gate
 * closes. Message ids travel back to the workflow as references, so a restarted worker still
 * updates the right message.
 */
import type { KnownBlock } from '@slack/types';
import { ApplicationFailure } from '@temporalio/common';
import type { WebClient } from '@slack/web-api';
import type { GateView } from '../../workflows/approval-gate';
import type { IncidentNotification, NotificationRefs } from '../../workflows/contracts';
import type { Notifier } from '../notify/notifier';
import { redactDeep } from '../../redaction';
import { messageRef, parseMessageRef, slackCall } from './client';
import { gateBlocks, gateText, offerBlocks, threadLine, withdrawnOfferBlocks, type MessageContext } from './messages';

const THREAD = 'slack.thread';
const gateKey = (gate: GateView) => `slack.gate.${gate.id}`;
/** a thread line with command buttons, live until the incident stops taking commands ('' once withdrawn) */
const OFFER = 'slack.offer.';
const offerKey = (seq: number) => `${OFFER}${seq}`;
/** its text, to keep when the buttons go */
const offerLineKey = (seq: number) => `slack.offerline.${seq}`;

export class SlackNotifier implements Notifier {
  name = 'slack';

  constructor(
    private readonly client: WebClient,
    private readonly channel: string,
    private readonly ctx: MessageContext,
  ) {}

  async notify(notification: IncidentNotification): Promise<NotificationRefs> {
    // Defence in depth: history is redacted at its boundary; whatever reached it anyway (a value
    // recorded before that boundary existed) is redacted again before Slack shows it.
    const event = (await redactDeep(notification, { secretKeys: false })).value;
    // The person refused was told privately when they clicked; the thread stays readable.
    if (event.kind === 'approval.refused') return {};
    const refs: NotificationRefs = {};
    const thread = await this.thread(event, refs);
    if (event.commandsOpen === false) await this.withdrawOffers(event, refs);
    const gate = event.gate;
    switch (event.kind) {
      case 'incident.started':
        return refs;
      case 'approval.requested':
        if (gate) refs[gateKey(gate)] = await this.upsertGate(event, gate);
        break;
      case 'approval.vote':
        if (gate) await this.upsertGate(event, gate);
        return refs;
      case 'alerts.resolution':
        // the open request shows it ("alert resolved 2 minutes ago"), and the thread says so
        if (gate && event.refs[gateKey(gate)]) await this.upsertGate(event, gate);
        break;
      case 'approval.closed':
        if (gate && event.refs[gateKey(gate)]) await this.upsertGate(event, gate);
        break;
      case 'approval.escalated':
        if (event.escalationChannel) await this.post(event.escalationChannel, threadLine(event, this.ctx));
        break;
    }
    const line = threadLine(event, this.ctx);
    const offered = event.offer?.length ? offerBlocks(event, line) : undefined;
    const ts = await this.post(thread.channel, line, thread.ts, offered);
    if (offered && event.commandsOpen !== false) {
      refs[offerKey(event.seq)] = messageRef(thread.channel, ts);
      refs[offerLineKey(event.seq)] = line;
    }
    return refs;
  }

  /**
   * Buttons offered earlier whose commands the incident no longer takes (access revoked or
   * expired): the message keeps its line, loses its buttons, and says why. A late click would be
   * refused anyway; this stops people trying.
   */
  private async withdrawOffers(event: IncidentNotification, refs: NotificationRefs): Promise<void> {
    for (const [key, value] of Object.entries(event.refs)) {
      const message = key.startsWith(OFFER) ? parseMessageRef(value) : undefined;
      if (!message) continue;
      const seq = Number(key.slice(OFFER.length));
      const line = event.refs[offerLineKey(seq)] ?? '';
      const text = `${line} (ended)`;
      try {
        await slackCall('chat.update', () =>
          this.client.chat.update({ channel: message.channel, ts: message.ts, text, blocks: withdrawnOfferBlocks(line, event) }),
        );
      } catch (err) {
        // a message Slack no longer has, or will not let us edit: nothing left to withdraw
        if (!(err instanceof ApplicationFailure && err.nonRetryable)) throw err;
      }
      refs[key] = '';
      refs[offerLineKey(seq)] = '';
    }
  }

  /** The incident's thread; started now if the opening message never made it. */
  private async thread(event: IncidentNotification, refs: NotificationRefs) {
    const known = parseMessageRef(event.refs[THREAD]);
    if (known) return known;
    const opening = threadLine({ ...event, kind: 'incident.started' }, this.ctx);
    const ts = await this.post(this.channel, opening);
    refs[THREAD] = messageRef(this.channel, ts);
    return { channel: this.channel, ts };
  }

  private async upsertGate(event: IncidentNotification, gate: GateView): Promise<string> {
    const blocks = gateBlocks(event, gate, this.ctx);
    const text = gateText(event, gate);
    const existing = parseMessageRef(event.refs[gateKey(gate)]);
    if (existing) {
      await slackCall('chat.update', () => this.client.chat.update({ channel: existing.channel, ts: existing.ts, text, blocks }));
      return messageRef(existing.channel, existing.ts);
    }
    const channel = event.channel ?? this.channel;
    const res = await slackCall('chat.postMessage', () => this.client.chat.postMessage({ channel, text, blocks }));
    return messageRef(res.channel ?? channel, res.ts!);
  }

  private async post(channel: string, text: string, threadTs?: string, blocks?: KnownBlock[]): Promise<string> {
    const res = await slackCall('chat.postMessage', () =>
      this.client.chat.postMessage({
        channel,
        text,
        ...(threadTs ? { thread_ts: threadTs } : {}),
        ...(blocks ? { blocks } : {}),
        unfurl_links: false,
      }),
    );
    return res.ts!;
  }
}
