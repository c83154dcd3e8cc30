/**
 * A local stand-in for GitHub's REST API, strict where GitHub is: each request must be an
 * operation of GitHub's OpenAPI description (else 404 Not Found), with path, query and JSON body
 * valid against it (else 422, GitHub-shaped), authenticated (401 Bad credentials for an unknown or
 * revoked token) — except `POST /credentials/revoke`, which refuses authenticated calls with 403 as
 * GitHub does. Answers are checked against the operation's response schemas; a wrongly shaped one
 * is recorded in `problems`, as is an operation the fake does not implement. Faults (403, 404, 409,
 * 422, 429 with Retry-After, 5xx) can be queued per operation.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { errorReply, handle, type Reply, type World } from './handlers';
import { coerce, describeErrors, findOperation, resolveResponse, validator, type Operation } from './openapi';
import type { FakeToken } from './state';

export interface GitHubRequest {
  method: string;
  path: string;
  operationId?: string;
  query: Record<string, string>;
  body: unknown;
  /** the Authorization header as sent (tests check revocation goes out without one) */
  authorization?: string;
  status: number;
  at: number;
}

export type Fault =
  | { status: 403 | 404 | 409 | 422 | 500 | 502 | 503; message?: string }
  | { status: 429; retryAfter: number }
  | { status: 403; secondaryRateLimit: true; retryAfter: number };

const UNAUTHENTICATED = new Set(['credentials/revoke']);
const FAULT_MESSAGES: Record<number, string> = {
  403: 'Resource not accessible by integration',
  404: 'Not Found',
  409: 'Conflict',
  422: 'Validation Failed',
  500: 'Server Error',
  502: 'Server Error',
  503: 'Service Unavailable',
};

export interface Exchange {
  world: World;
  requests: GitHubRequest[];
  /** requests the fake refused for not matching GitHub's description (each one a client bug, unless a test meant it) */
  rejections: string[];
  /** the fake's own failings: a wrongly shaped answer, an operation it does not implement */
  problems: string[];
  faults: Map<string, Fault[]>;
  /** answers to hold back, per operation, after the fake has acted (see FakeGitHub.holdNextAnswer) */
  holds: Map<string, Hold[]>;
}

/** An answer held back: `arrived` once the fake has acted on the call, sent (if anyone still listens) on `release()`. */
export interface HeldAnswer {
  arrived: Promise<GitHubRequest>;
  release(): void;
}

/** A hold in the exchange's `holds`, with the two ends the server needs. */
export type Hold = HeldAnswer & { arrive(r: GitHubRequest): void; released: Promise<void> };

export function newHold(): Hold {
  let arrive!: (r: GitHubRequest) => void;
  let release!: () => void;
  const arrived = new Promise<GitHubRequest>((r) => (arrive = r));
  const released = new Promise<void>((r) => (release = r));
  return { arrived, arrive, release, released };
}

async function readBody(req: IncomingMessage): Promise<string> {
  let text = '';
  for await (const chunk of req) text += chunk;
  return text;
}

function tokenOf(header: string | undefined): string | undefined {
  const m = /^(?:token|bearer)\s+(\S+)$/i.exec(header ?? '');
  return m?.[1];
}

/** Checks the request against the operation; a reply when it is refused. */
function validateRequest(
  op: Operation,
  path: Record<string, unknown>,
  query: Record<string, string>,
  typedQuery: Record<string, unknown>,
  body: unknown,
  rawBody: string,
): Reply | undefined {
  for (const p of op.params.filter((p) => p.in === 'path')) {
    const v = validator(`${op.id}:path:${p.name}`, p.schema ?? {});
    path[p.name] = coerce(String(path[p.name]), p.schema);
    if (!v(path[p.name])) return errorReply(404, 'Not Found');
  }
  for (const [name, raw] of Object.entries(query)) {
    const p = op.params.find((q) => q.in === 'query' && q.name === name);
    if (!p) return errorReply(422, `Invalid request.\n\n"${name}" is not a permitted query parameter.`);
    typedQuery[name] = coerce(raw, p.schema);
    const v = validator(`${op.id}:query:${name}`, p.schema ?? {});
    if (!v(typedQuery[name])) return errorReply(422, `Invalid request.\n\n${describeErrors(v.errors, name)}`);
  }
  for (const p of op.params.filter((p) => p.in === 'query' && p.required)) {
    if (!(p.name in query)) return errorReply(422, `Invalid request.\n\n"${p.name}" wasn't supplied.`);
  }
  const schema = op.requestBody?.content?.['application/json']?.schema;
  if (!op.requestBody) return rawBody.trim() ? errorReply(422, 'Invalid request.\n\nThis operation takes no request body.') : undefined;
  if (body === undefined)
    return op.requestBody.required ? errorReply(422, "Invalid request.\n\nFor 'links/0/schema', nil is not an object.") : undefined;
  if (schema?.properties && body && typeof body === 'object' && !Array.isArray(body)) {
    const unknown = Object.keys(body).find((k) => !(k in schema.properties));
    if (unknown) return errorReply(422, `Invalid request.\n\n"${unknown}" is not a permitted key.`);
  }
  const v = validator(`${op.id}:body`, schema ?? {});
  if (!v(body)) return errorReply(422, `Invalid request.\n\n${describeErrors(v.errors, 'body')}`);
  return undefined;
}

/** The fake's answer must be one GitHub could give: checked against the operation's response. */
function checkReply(op: Operation, reply: Reply): string | undefined {
  const declared = resolveResponse(op.responses[String(reply.status)]);
  const schema = declared?.content?.['application/json']?.schema;
  if (!declared && reply.status < 400) return `${op.id}: answered ${reply.status}, which the description does not declare`;
  if (!schema && reply.status >= 400) {
    // Errors the description leaves undeclared (or declares without content) come as GitHub's basic error.
    const v = validator('basic-error', { $ref: 'github.json#/components/schemas/basic-error' });
    return v(reply.body) ? undefined : `${op.id}: error body is not a basic-error: ${describeErrors(v.errors, 'response')}`;
  }
  if (!schema)
    return reply.body === undefined ? undefined : `${op.id}: answered ${reply.status} with a body the description does not declare`;
  const v = validator(`${op.id}:response:${reply.status}`, schema);
  return v(reply.body)
    ? undefined
    : `${op.id}: ${reply.status} answer does not match the description:\n${describeErrors(v.errors, 'response')}`;
}

function faultReply(fault: Fault): Reply {
  const reset = String(Math.floor(Date.now() / 1000) + ('retryAfter' in fault ? fault.retryAfter : 60));
  if (fault.status === 429) {
    return {
      ...errorReply(429, 'API rate limit exceeded for installation.'),
      headers: { 'retry-after': String(fault.retryAfter), 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': reset },
    };
  }
  if ('secondaryRateLimit' in fault) {
    return {
      ...errorReply(403, 'You have exceeded a secondary rate limit. Please wait a few minutes before you try again.'),
      headers: { 'retry-after': String(fault.retryAfter) },
    };
  }
  return errorReply(fault.status, fault.message ?? FAULT_MESSAGES[fault.status] ?? 'Error');
}

async function serve(x: Exchange, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://fake-github');
  const rawBody = await readBody(req);
  const query = Object.fromEntries(url.searchParams);
  const record: GitHubRequest = { method: req.method ?? 'GET', path: url.pathname, query, body: undefined, status: 0, at: Date.now() };
  if (req.headers.authorization) record.authorization = req.headers.authorization;
  x.requests.push(record);
  const reply = (r: Reply) => {
    record.status = r.status;
    const headers: Record<string, string> = {
      'x-github-api-version-selected': '2022-11-28',
      'x-github-request-id': `FAKE:${x.requests.length}`,
      'x-ratelimit-limit': '5000',
      'x-ratelimit-remaining': '4999',
      'x-ratelimit-reset': String(Math.floor(Date.now() / 1000) + 3600),
      ...r.headers,
    };
    if (r.body !== undefined) headers['content-type'] = 'application/json; charset=utf-8';
    res.writeHead(r.status, headers);
    res.end(r.body === undefined ? undefined : JSON.stringify(r.body));
  };

  const found = findOperation(record.method, url.pathname);
  if (!found) {
    x.problems.push(`no GitHub operation ${record.method} ${url.pathname}`);
    return reply(errorReply(404, 'Not Found'));
  }
  const { op, pathParams } = found;
  record.operationId = op.id;
  let body: unknown;
  if (rawBody.trim()) {
    try {
      body = JSON.parse(rawBody);
    } catch {
      return reply(errorReply(400, 'Problems parsing JSON'));
    }
  }
  record.body = body;

  const token = tokenOf(req.headers.authorization);
  let user;
  if (UNAUTHENTICATED.has(op.id)) {
    if (req.headers.authorization) return reply(errorReply(403, 'This endpoint does not accept authenticated requests'));
  } else {
    if (!req.headers.authorization) return reply(errorReply(401, 'Requires authentication'));
    const known = token ? x.world.tokens.get(token) : undefined;
    if (!known || known.revoked) return reply(errorReply(401, 'Bad credentials'));
    user = (known as FakeToken).user;
  }

  const path: Record<string, unknown> = { ...pathParams };
  const typedQuery: Record<string, unknown> = {};
  const refused = validateRequest(op, path, query, typedQuery, body, rawBody);
  if (refused) {
    x.rejections.push(`${record.method} ${url.pathname} (${op.id}): ${refused.status} ${(refused.body as { message: string }).message}`);
    return reply(refused);
  }

  const fault = x.faults.get(op.id)?.shift();
  if (fault) return reply(faultReply(fault));

  const baseUrl = `http://${req.headers.host ?? '127.0.0.1'}`;
  const answer = await handle(x.world, {
    operationId: op.id,
    path,
    query: typedQuery,
    body,
    baseUrl,
    pathname: url.pathname,
    ...(user ? { user } : {}),
  });
  if (!answer) {
    x.problems.push(`the fake does not implement ${op.id}`);
    return reply(errorReply(501, `the fake GitHub does not implement ${op.id}`));
  }
  const wrong = checkReply(op, answer);
  if (wrong) x.problems.push(wrong);
  const hold = x.holds.get(op.id)?.shift();
  if (hold) {
    // Acted on, the answer not yet sent: the caller may die meanwhile (a killed worker).
    record.status = answer.status;
    hold.arrive(record);
    await hold.released;
    if (res.destroyed || req.socket.destroyed) return;
  }
  reply(answer);
}

export async function listen(x: Exchange): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    serve(x, req, res).catch((err: Error) => {
      x.problems.push(`fake crashed: ${err.stack ?? err.message}`);
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ message: 'Server Error', documentation_url: 'https://docs.github.com/rest', status: '500' }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}
