/**
 * A local stand-in for Slack's Web API, strict where Slack is: it checks the bot token, the
 * arguments each method requires (answering with Slack's own error codes), that updates and
 * thread replies name messages that exist, and answers with responses shaped like Slack's. It can
 * answer 429 with Retry-After (as Slack does: HTTP 429, a `Retry-After` header in seconds, body
 * `{"ok":false,"error":"ratelimited"}`), 500, or be down (connections dropped) — for one call, for
 * one method until cleared, or for every method.
 *
 * Other tokens of the workspace (a leaked user or bot token) can be added: they may call
 * `auth.test` and `auth.revoke` only (anything else: `missing_scope`); once revoked, Slack answers
 * `token_revoked` to them. `bots.info` knows the bots (incoming webhooks' B… ids) added with addBot.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface SlackCall {
  method: string;
  args: Record<string, any>;
  at: number;
  /** false when the fake answered with a fault or an error */
  ok: boolean;
  /** what the fake answered */
  response?: Record<string, any>;
}

/** `drop`: the connection is closed without an answer, as when Slack (or the way to it) is down. */
type Fault = { status: 429; retryAfter: number } | { status: 500 } | { status: 'drop' };

const BLOCK_TYPES = new Set(['section', 'header', 'context', 'actions', 'divider', 'input', 'image', 'rich_text']);
const JSON_ARGS = new Set(['blocks', 'view', 'attachments', 'metadata']);

export interface FakeSlack {
  url: string;
  calls: SlackCall[];
  callsOf(method: string): SlackCall[];
  /** the current text and blocks of a posted message */
  message(channel: string, ts: string): { text?: string; blocks?: any[]; thread_ts?: string } | undefined;
  failNext(method: string, fault: Fault): void;
  /** every call of this method fails so until `clearOutage(method)` (an outage of one API) */
  outage(method: string, fault: Fault): void;
  clearOutage(method: string): void;
  setDown(down: boolean): void;
  /** another token of the workspace, e.g. a leaked user token */
  addToken(token: string, who: { user: string; userId: string; botId?: string }): void;
  isRevoked(token: string): boolean;
  /** a bot (an app's incoming webhook identity) that bots.info describes */
  addBot(bot: { id: string; name: string; appId: string }): void;
  stop(): Promise<void>;
}

async function readArgs(req: IncomingMessage): Promise<Record<string, any>> {
  let body = '';
  for await (const chunk of req) body += chunk;
  const type = req.headers['content-type'] ?? '';
  const raw: Record<string, any> = type.includes('application/json')
    ? JSON.parse(body || '{}')
    : Object.fromEntries(new URLSearchParams(body));
  for (const key of JSON_ARGS) if (typeof raw[key] === 'string') raw[key] = JSON.parse(raw[key]);
  return raw;
}

export async function startFakeSlack(options: { token: string; groups?: Record<string, string[]> }): Promise<FakeSlack> {
  const calls: SlackCall[] = [];
  const faults = new Map<string, Fault[]>();
  const outages = new Map<string, Fault>();
  const messages = new Map<string, { text?: string; blocks?: any[]; thread_ts?: string }>();
  let down = false;
  const tokens = new Map<string, { user: string; userId: string; botId?: string; revoked: boolean }>();
  const bots = new Map<string, { id: string; name: string; appId: string }>();
  const team = { url: 'https://tourniquet-test.slack.com/', team: 'Tourniquet Test', team_id: 'T0TEST' };
  let seq = 0;
  const nextTs = () => `${1_790_000_000 + (Math.floor(Date.now() / 1000) % 1000)}.${String(++seq).padStart(6, '0')}`;

  function validBlocks(blocks: unknown): boolean {
    return Array.isArray(blocks) && blocks.length <= 50 && blocks.every((b) => b && BLOCK_TYPES.has(b.type));
  }

  const methods: Record<string, (a: Record<string, any>) => Record<string, any>> = {
    'auth.test': () => ({
      ok: true,
      url: 'https://tourniquet-test.slack.com/',
      team: 'Tourniquet Test',
      user: 'tourniquet',
      team_id: 'T0TEST',
      user_id: 'U0BOT',
      bot_id: 'B0BOT',
      is_enterprise_install: false,
    }),
    'chat.postMessage': (a) => {
      if (!a.channel) return { ok: false, error: 'channel_not_found' };
      if (!a.text && !a.blocks && !a.attachments) return { ok: false, error: 'no_text' };
      if (a.blocks && !validBlocks(a.blocks)) return { ok: false, error: 'invalid_blocks' };
      if (a.thread_ts && !messages.has(`${a.channel}:${a.thread_ts}`)) return { ok: false, error: 'thread_not_found' };
      const ts = nextTs();
      const message = {
        type: 'message',
        text: a.text,
        user: 'U0BOT',
        bot_id: 'B0BOT',
        ts,
        ...(a.blocks ? { blocks: a.blocks } : {}),
        ...(a.thread_ts ? { thread_ts: a.thread_ts } : {}),
      };
      messages.set(`${a.channel}:${ts}`, { text: a.text, blocks: a.blocks, thread_ts: a.thread_ts });
      return { ok: true, channel: a.channel, ts, message };
    },
    'chat.update': (a) => {
      if (!a.channel) return { ok: false, error: 'channel_not_found' };
      if (!a.ts || !messages.has(`${a.channel}:${a.ts}`)) return { ok: false, error: 'message_not_found' };
      if (!a.text && !a.blocks) return { ok: false, error: 'no_text' };
      if (a.blocks && !validBlocks(a.blocks)) return { ok: false, error: 'invalid_blocks' };
      const previous = messages.get(`${a.channel}:${a.ts}`)!;
      messages.set(`${a.channel}:${a.ts}`, { ...previous, text: a.text, blocks: a.blocks });
      return {
        ok: true,
        channel: a.channel,
        ts: a.ts,
        text: a.text,
        message: { type: 'message', text: a.text, user: 'U0BOT', bot_id: 'B0BOT', blocks: a.blocks },
      };
    },
    'chat.postEphemeral': (a) => {
      if (!a.channel) return { ok: false, error: 'channel_not_found' };
      if (!a.user) return { ok: false, error: 'user_not_in_channel' };
      if (!a.text && !a.blocks) return { ok: false, error: 'no_text' };
      return { ok: true, message_ts: nextTs() };
    },
    'views.open': (a) => {
      if (!a.trigger_id) return { ok: false, error: 'invalid_trigger_id' };
      const v = a.view;
      if (!v || v.type !== 'modal' || !v.title || !validBlocks(v.blocks)) return { ok: false, error: 'invalid_arguments' };
      return { ok: true, view: { id: `V0${++seq}`, team_id: 'T0TEST', state: { values: {} }, hash: `${seq}.abc`, ...v } };
    },
    'bots.info': (a) => {
      const bot = a.bot && bots.get(a.bot);
      if (!a.bot) return { ok: false, error: 'invalid_arguments' };
      return bot
        ? {
            ok: true,
            bot: {
              id: bot.id,
              deleted: false,
              name: bot.name,
              updated: 1_790_000_000,
              app_id: bot.appId,
              user_id: `U${bot.id}`,
              icons: {},
            },
          }
        : { ok: false, error: 'bot_not_found' };
    },
    'usergroups.users.list': (a) => {
      const users = options.groups?.[a.usergroup];
      return users ? { ok: true, users } : { ok: false, error: 'no_such_subteam' };
    },
  };

  const server: Server = createServer(async (req, res) => {
    if (down) {
      req.socket.destroy();
      return;
    }
    const method = (req.url ?? '').replace(/^\/api\//, '').split('?')[0]!;
    const args = await readArgs(req);
    const call: SlackCall = { method, args, at: Date.now(), ok: false };
    calls.push(call);
    const reply = (status: number, body: object, headers: Record<string, string> = {}) => {
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(JSON.stringify(body));
    };
    const fault = faults.get(method)?.shift() ?? outages.get(method);
    if (fault?.status === 'drop') {
      req.socket.destroy();
      return;
    }
    if (fault?.status === 429) return reply(429, { ok: false, error: 'ratelimited' }, { 'retry-after': String(fault.retryAfter) });
    if (fault?.status === 500) return reply(500, { ok: false, error: 'internal_error' });
    const auth = req.headers.authorization;
    if (!auth) return reply(200, { ok: false, error: 'not_authed' });
    const other = tokens.get(auth.replace(/^Bearer /, ''));
    if (other && auth !== `Bearer ${options.token}`) {
      // A workspace token other than Tourniquet's: what a leaked token can be used for here.
      let body: Record<string, any>;
      if (other.revoked) body = { ok: false, error: 'token_revoked' };
      else if (method === 'auth.test')
        body = {
          ok: true,
          ...team,
          user: other.user,
          user_id: other.userId,
          ...(other.botId ? { bot_id: other.botId } : {}),
          is_enterprise_install: false,
        };
      else if (method === 'auth.revoke') {
        const test = args.test === true || args.test === 'true' || args.test === '1';
        if (!test) other.revoked = true;
        body = { ok: true, revoked: !test };
      } else body = { ok: false, error: 'missing_scope', needed: 'chat:write', provided: 'identify' };
      call.ok = body.ok === true;
      call.response = body;
      return reply(200, body);
    }
    if (auth !== `Bearer ${options.token}`) return reply(200, { ok: false, error: 'invalid_auth' });
    const handler = methods[method];
    if (!handler) return reply(200, { ok: false, error: 'unknown_method' });
    const body = handler(args);
    call.ok = body.ok === true;
    call.response = body;
    reply(200, body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}/api/`,
    calls,
    callsOf: (method) => calls.filter((c) => c.method === method && c.ok),
    message: (channel, ts) => messages.get(`${channel}:${ts}`),
    failNext(method, fault) {
      faults.set(method, [...(faults.get(method) ?? []), fault]);
    },
    outage(method, fault) {
      outages.set(method, fault);
    },
    clearOutage(method) {
      outages.delete(method);
    },
    setDown(value) {
      down = value;
    },
    addToken(token, who) {
      tokens.set(token, { ...who, revoked: false });
    },
    isRevoked: (token) => tokens.get(token)?.revoked === true,
    addBot(bot) {
      bots.set(bot.id, bot);
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
