/**
 * What the fake does for each operation it implements, on its in-memory world. Requests reach a
 * handler only after the server has matched them to the OpenAPI operation and validated them; the
 * handlers add the rules the schema cannot express (GitHub's own 400s, 404s and 422s).
 */
import sodium from 'libsodium-wrappers';
import {
  alertJson,
  deployKeyJson,
  deploymentJson,
  deploymentStatusJson,
  gitCommitJson,
  isoSeconds,
  issueJson,
  locationJson,
  nextId,
  privateUser,
  type FakeDeploymentStatus,
  type FakeRepo,
  type FakeToken,
  type FakeUser,
} from './state';

export interface World {
  tokens: Map<string, FakeToken>;
  repos: Map<string, FakeRepo>;
}

export interface Call {
  operationId: string;
  path: Record<string, any>;
  query: Record<string, any>;
  body: any;
  /** the authenticated user, when the request carried a valid token */
  user?: FakeUser;
  /** where the fake listens: pagination links point back at it, as GitHub's point at GitHub */
  baseUrl: string;
  /** the request path, for pagination links */
  pathname: string;
}

export interface Reply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

const DOCS = 'https://docs.github.com/rest';

export function errorReply(status: number, message: string, documentation = DOCS): Reply {
  return { status, body: { message, documentation_url: documentation, status: String(status) } };
}

const notFound = () => errorReply(404, 'Not Found');

function repoOf(w: World, c: Call): FakeRepo | undefined {
  return w.repos.get(`${String(c.path.owner).toLowerCase()}/${String(c.path.repo).toLowerCase()}`);
}

function page<T>(items: T[], c: Call): Reply {
  const url = `${c.baseUrl}${c.pathname}`;
  const perPage = Math.min(100, Number(c.query.per_page ?? 30));
  const pageNo = Math.max(1, Number(c.query.page ?? 1));
  const last = Math.max(1, Math.ceil(items.length / perPage));
  const headers: Record<string, string> = {};
  if (pageNo < last) {
    headers.link = `<${url}?per_page=${perPage}&page=${pageNo + 1}>; rel="next", <${url}?per_page=${perPage}&page=${last}>; rel="last"`;
  }
  return { status: 200, body: items.slice((pageNo - 1) * perPage, pageNo * perPage), headers };
}

type Handler = (w: World, c: Call, repo: FakeRepo | undefined) => Reply | Promise<Reply>;

export const handlers: Record<string, Handler> = {
  'users/get-authenticated': (_w, c) => (c.user ? { status: 200, body: privateUser(c.user) } : errorReply(401, 'Requires authentication')),

  'credentials/revoke': (w, c) => {
    // GitHub accepts any string and says nothing about which were real: 202 either way.
    for (const credential of c.body.credentials as string[]) {
      const token = w.tokens.get(credential);
      if (token) token.revoked = true;
    }
    return { status: 202, body: {} };
  },

  'issues/list-for-repo': (_w, c, repo) => {
    if (!repo) return notFound();
    const labels = typeof c.query.labels === 'string' ? c.query.labels.split(',').filter(Boolean) : [];
    const matching = repo.issues.filter((i) => labels.every((l) => i.labels.includes(l))).sort((a, b) => b.number - a.number);
    return page(
      matching.map((i) => issueJson(repo, i)),
      c,
    );
  },

  'issues/create': (_w, c, repo) => {
    if (!repo) return notFound();
    if (!c.user) return errorReply(401, 'Requires authentication');
    const labels = ((c.body.labels ?? []) as (string | { name: string })[]).map((l) => (typeof l === 'string' ? l : l.name));
    const issue = {
      number: repo.issues.length + 1,
      id: nextId(),
      title: String(c.body.title),
      body: c.body.body ?? null,
      labels,
      user: c.user,
      createdAt: isoSeconds(),
    };
    repo.issues.push(issue);
    return { status: 201, body: issueJson(repo, issue) };
  },

  'secret-scanning/get-alert': (_w, c, repo) => {
    const alert = repo?.alerts.get(c.path.alert_number);
    return alert ? { status: 200, body: alertJson(repo!, alert, c.query.hide_secret === true) } : notFound();
  },

  'secret-scanning/list-locations-for-alert': (_w, c, repo) => {
    const alert = repo?.alerts.get(c.path.alert_number);
    if (!alert) return notFound();
    return page(
      alert.locations.map((l) => locationJson(repo!, l)),
      c,
    );
  },

  'secret-scanning/update-alert': (_w, c, repo) => {
    const alert = repo?.alerts.get(c.path.alert_number);
    if (!alert) return notFound();
    const { state, resolution, resolution_comment: comment } = c.body;
    if (state === 'resolved' && !resolution) return errorReply(422, 'Validation Failed: resolution is required when state is resolved');
    if (state === 'open' && resolution) return errorReply(422, 'Validation Failed: resolution must be empty when state is open');
    if (state === alert.state && (resolution ?? null) === alert.resolution) return errorReply(400, 'The resolution was not changed');
    if (state) {
      const now = isoSeconds();
      alert.state = state;
      alert.resolution = state === 'resolved' ? resolution : null;
      alert.resolvedAt = state === 'resolved' ? now : null;
      alert.resolvedBy = state === 'resolved' ? (c.user ?? null) : null;
      alert.resolutionComment = comment ?? null;
      alert.updatedAt = now;
    }
    return { status: 200, body: alertJson(repo!, alert, false) };
  },

  'git/get-commit': (_w, c, repo) => {
    const commit = repo?.commits.get(c.path.commit_sha);
    return commit ? { status: 200, body: gitCommitJson(repo!, commit) } : notFound();
  },

  'repos/list-deploy-keys': (_w, c, repo) =>
    repo
      ? page(
          repo.deployKeys.map((k) => deployKeyJson(repo, k)),
          c,
        )
      : notFound(),

  'repos/get-deploy-key': (_w, c, repo) => {
    const key = repo?.deployKeys.find((k) => k.id === c.path.key_id);
    return key ? { status: 200, body: deployKeyJson(repo!, key) } : notFound();
  },

  'repos/delete-deploy-key': (_w, c, repo) => {
    const i = repo ? repo.deployKeys.findIndex((k) => k.id === c.path.key_id) : -1;
    if (i < 0) return notFound();
    repo!.deployKeys.splice(i, 1);
    return { status: 204 };
  },

  'repos/list-deployments': (_w, c, repo) => {
    if (!repo) return notFound();
    const q = c.query;
    const matching = repo.deployments
      .filter(
        (d) =>
          (q.sha === undefined || d.sha === q.sha) &&
          (q.ref === undefined || d.ref === q.ref) &&
          (q.task === undefined || d.task === q.task) &&
          (q.environment === undefined || d.environment === q.environment),
      )
      .sort((a, b) => b.id - a.id);
    return page(
      matching.map((d) => deploymentJson(repo, d)),
      c,
    );
  },

  'repos/list-deployment-statuses': (_w, c, repo) => {
    const deployment = repo?.deployments.find((d) => d.id === c.path.deployment_id);
    if (!deployment) return notFound();
    return page(
      [...deployment.statuses].reverse().map((st) => deploymentStatusJson(repo!, deployment, st)),
      c,
    );
  },

  'repos/create-deployment-status': (_w, c, repo) => createDeploymentStatus(c, repo),

  'actions/get-repo-public-key': (_w, _c, repo) =>
    repo
      ? {
          status: 200,
          body: { key_id: repo.actionsKey.keyId, key: sodium.to_base64(repo.actionsKey.publicKey, sodium.base64_variants.ORIGINAL) },
        }
      : notFound(),

  'actions/create-or-update-repo-secret': async (_w, c, repo) => {
    if (!repo) return notFound();
    if (/^GITHUB_/i.test(c.path.secret_name) || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(c.path.secret_name)) {
      return errorReply(
        422,
        'Secret names can only contain alphanumeric characters or underscores, must not start with a number or GITHUB_',
      );
    }
    if (c.body.key_id !== repo.actionsKey.keyId) return errorReply(422, 'Bad request - key_id does not match the repository public key');
    await sodium.ready;
    let value: string;
    try {
      const sealed = sodium.from_base64(c.body.encrypted_value, sodium.base64_variants.ORIGINAL);
      value = sodium.to_string(sodium.crypto_box_seal_open(sealed, repo.actionsKey.publicKey, repo.actionsKey.privateKey));
    } catch {
      return errorReply(422, 'Bad request - the encrypted value could not be decrypted with the repository public key');
    }
    const now = isoSeconds();
    const existing = repo.actionsSecrets.get(c.path.secret_name);
    repo.actionsSecrets.set(c.path.secret_name, { value, keyId: c.body.key_id, createdAt: existing?.createdAt ?? now, updatedAt: now });
    return existing ? { status: 204 } : { status: 201, body: {} };
  },
};

/** GitHub's own rules for deployment statuses, beyond the schema: 140 characters of description, `auto_inactive`. */
function createDeploymentStatus(c: Call, repo: FakeRepo | undefined): Reply {
  const deployment = repo?.deployments.find((d) => d.id === c.path.deployment_id);
  if (!repo || !deployment) return notFound();
  if (!c.user) return errorReply(401, 'Requires authentication');
  const description = String(c.body.description ?? '');
  if (description.length > 140) return errorReply(422, 'Validation Failed: description is too long (maximum is 140 characters)');
  const status: FakeDeploymentStatus = {
    id: nextId(),
    state: c.body.state,
    description,
    environment: c.body.environment ?? deployment.statuses.at(-1)?.environment ?? deployment.environment,
    logUrl: c.body.log_url ?? c.body.target_url ?? '',
    creator: c.user,
    createdAt: isoSeconds(),
  };
  deployment.statuses.push(status);
  const productionLike = status.environment === 'production';
  if (status.state === 'success' && c.body.auto_inactive !== false && !productionLike) {
    for (const other of repo.deployments) {
      if (other.id === deployment.id || other.environment !== status.environment || other.statuses.at(-1)?.state !== 'success') continue;
      other.statuses.push({ ...status, id: nextId(), state: 'inactive', description: '' });
    }
  }
  return {
    status: 201,
    body: deploymentStatusJson(repo, deployment, status),
    headers: { location: `${c.baseUrl}${c.pathname}/${status.id}` },
  };
}

export function handle(w: World, c: Call): Reply | Promise<Reply> | undefined {
  const handler = handlers[c.operationId];
  return handler?.(w, c, c.path.owner !== undefined ? repoOf(w, c) : undefined);
}
