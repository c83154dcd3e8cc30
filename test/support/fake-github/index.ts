/**
 * The fake GitHub for tests: start it, build its world (users and tokens, repositories, leaked
 * secrets with their commits, deploy keys, deployments), run the code under test against `url`, then look at
 * what reached it. See ./server.ts for how strict it is.
 */
import type { Server } from 'node:http';
import type { World } from './handlers';
import { preloadSpec } from './openapi';
import { listen, newHold, type Exchange, type Fault, type GitHubRequest, type HeldAnswer } from './server';
import { isoSeconds, newRepo, nextId, sha1Of, type FakeAlert, type FakeDeployment, type FakeRepo, type FakeUser } from './state';

export type { Fault, GitHubRequest, HeldAnswer } from './server';
export type { FakeAlert, FakeDeployment, FakeDeploymentStatus, FakeRepo } from './state';

export interface LeakSpec {
  secret: string;
  secretType: string;
  secretTypeDisplayName?: string;
  /** the commits that leaked it: when each was authored and committed */
  commits?: { authoredAt: string; committedAt?: string; path?: string; message?: string }[];
  state?: FakeAlert['state'];
  resolution?: FakeAlert['resolution'];
  pushProtectionBypassed?: boolean;
  createdAt?: string;
}

export interface FakeGitHub {
  url: string;
  /** a valid token of the worker's GitHub identity */
  appToken: string;
  requests: GitHubRequest[];
  rejections: string[];
  problems: string[];
  /** requests an operation answered with success, e.g. callsOf('credentials/revoke') */
  callsOf(operationId: string): GitHubRequest[];
  /** every successful write (non-GET) */
  writes(): GitHubRequest[];
  addRepo(fullName: string): Promise<FakeRepo>;
  repo(fullName: string): FakeRepo;
  /** a token GitHub knows (valid until revoked) */
  addToken(token: string, login: string): void;
  isRevoked(token: string): boolean;
  /** a secret scanning alert on the repository; returns its number */
  addLeak(fullName: string, leak: LeakSpec): number;
  addDeployKey(fullName: string, key: { key: string; title: string; readOnly?: boolean }): number;
  /** a deployment of a commit to an environment (as CI creates them), optionally with a first status; returns its id */
  addDeployment(
    fullName: string,
    deployment: { sha: string; environment: string; ref?: string; state?: FakeDeployment['statuses'][number]['state'] },
  ): number;
  deployment(fullName: string, id: number): FakeDeployment;
  /** the value an Actions secret now holds, opened with the repository's private key */
  actionsSecret(fullName: string, name: string): string | undefined;
  failNext(operationId: string, fault: Fault, times?: number): void;
  /**
   * Holds back the answer to the next call of an operation that the fake acts on, once it has (a
   * token revoked stays revoked), until released: a caller killed meanwhile never
   * hears back, and a closed connection gets nothing. Stopping the fake releases every hold.
   */
  holdNextAnswer(operationId: string): HeldAnswer;
  stop(): Promise<void>;
}

let users = 0;
const userOf = (login: string): FakeUser => ({ login, id: 500 + ++users });

export async function startFakeGitHub(options: { appToken?: string; appLogin?: string } = {}): Promise<FakeGitHub> {
  preloadSpec();
  const world: World = { tokens: new Map(), repos: new Map() };
  const x: Exchange = { world, requests: [], rejections: [], problems: [], faults: new Map(), holds: new Map() };
  const appToken = options.appToken ?? `ghs_${'T'.repeat(36)}`;
  world.tokens.set(appToken, { user: userOf(options.appLogin ?? 'tourniquet[bot]'), revoked: false });
  const { server, url } = (await listen(x)) as { server: Server; url: string };
  const key = (fullName: string) => fullName.toLowerCase();
  const repo = (fullName: string) => {
    const r = world.repos.get(key(fullName));
    if (!r) throw new Error(`fake GitHub has no repository ${fullName}`);
    return r;
  };

  return {
    url,
    appToken,
    requests: x.requests,
    rejections: x.rejections,
    problems: x.problems,
    callsOf: (id) => x.requests.filter((r) => r.operationId === id && r.status < 400),
    writes: () => x.requests.filter((r) => r.method !== 'GET' && r.status < 400),
    async addRepo(fullName) {
      const [owner, name] = fullName.split('/') as [string, string];
      const r = await newRepo(owner, name);
      world.repos.set(key(fullName), r);
      return r;
    },
    repo,
    addToken(token, login) {
      world.tokens.set(token, { user: userOf(login), revoked: false });
    },
    isRevoked: (token) => world.tokens.get(token)?.revoked ?? false,
    addLeak(fullName, leak) {
      const r = repo(fullName);
      const number = r.alerts.size + 1;
      const created = leak.createdAt ?? isoSeconds();
      const locations = (leak.commits ?? []).map((c, i) => {
        const sha = sha1Of(`${fullName}:${number}:${i}`);
        r.commits.set(sha, {
          sha,
          message: c.message ?? 'Add deployment config',
          authoredAt: c.authoredAt,
          committedAt: c.committedAt ?? c.authoredAt,
          author: 'dev',
        });
        return { commitSha: sha, path: c.path ?? 'config/deploy.env', startLine: 3 + i, endLine: 3 + i };
      });
      r.alerts.set(number, {
        number,
        secretType: leak.secretType,
        secretTypeDisplayName: leak.secretTypeDisplayName ?? leak.secretType.replace(/_/g, ' '),
        secret: leak.secret,
        state: leak.state ?? 'open',
        resolution: leak.resolution ?? null,
        resolutionComment: null,
        resolvedAt: null,
        resolvedBy: null,
        createdAt: created,
        updatedAt: created,
        validity: 'active',
        pushProtectionBypassed: leak.pushProtectionBypassed ?? false,
        locations,
      });
      return number;
    },
    addDeployKey(fullName, k) {
      const id = nextId();
      repo(fullName).deployKeys.push({ id, key: k.key, title: k.title, readOnly: k.readOnly ?? false, createdAt: isoSeconds() });
      return id;
    },
    addDeployment(fullName, d) {
      const r = repo(fullName);
      const ci = userOf('ci[bot]');
      const createdAt = isoSeconds();
      const deployment: FakeDeployment = {
        id: nextId(),
        sha: d.sha,
        ref: d.ref ?? 'main',
        task: 'deploy',
        environment: d.environment,
        description: null,
        creator: ci,
        createdAt,
        statuses: [],
      };
      if (d.state)
        deployment.statuses.push({
          id: nextId(),
          state: d.state,
          description: 'Deployed by CI',
          environment: d.environment,
          logUrl: `https://ci.example/runs/${deployment.id}`,
          creator: ci,
          createdAt,
        });
      r.deployments.push(deployment);
      return deployment.id;
    },
    deployment(fullName, id) {
      const d = repo(fullName).deployments.find((x) => x.id === id);
      if (!d) throw new Error(`fake GitHub has no deployment ${id} in ${fullName}`);
      return d;
    },
    actionsSecret: (fullName, name) => repo(fullName).actionsSecrets.get(name)?.value,
    failNext(operationId, fault, times = 1) {
      const queue = x.faults.get(operationId) ?? [];
      for (let i = 0; i < times; i += 1) queue.push(fault);
      x.faults.set(operationId, queue);
    },
    holdNextAnswer(operationId) {
      const hold = newHold();
      x.holds.set(operationId, [...(x.holds.get(operationId) ?? []), hold]);
      return hold;
    },
    stop: () =>
      new Promise<void>((resolve) => {
        for (const hold of [...x.holds.values()].flat()) hold.release();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
