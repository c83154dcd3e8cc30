/**
 * The fake GitHub's world: users and their tokens, repositories with secret scanning alerts (and
 * the secrets GitHub returns in them), their locations and commits, deploy keys, deployments with
 * their statuses, and an Actions key pair (a real libsodium one, so a test can open what was sealed to it). The JSON builders
 * answer in GitHub's shapes; the server checks them against the response schemas.
 */
import { createHash, randomBytes } from 'node:crypto';
import sodium from 'libsodium-wrappers';

export interface FakeUser {
  login: string;
  id: number;
}

export interface FakeToken {
  user: FakeUser;
  revoked: boolean;
}

export interface FakeCommit {
  sha: string;
  message: string;
  authoredAt: string;
  committedAt: string;
  author: string;
}

export interface FakeLocation {
  commitSha: string;
  path: string;
  startLine: number;
  endLine: number;
}

export interface FakeAlert {
  number: number;
  secretType: string;
  secretTypeDisplayName: string;
  secret: string;
  state: 'open' | 'resolved';
  resolution: null | 'false_positive' | 'wont_fix' | 'revoked' | 'used_in_tests';
  resolutionComment: string | null;
  resolvedAt: string | null;
  resolvedBy: FakeUser | null;
  createdAt: string;
  updatedAt: string;
  validity: 'active' | 'inactive' | 'unknown';
  pushProtectionBypassed: boolean;
  locations: FakeLocation[];
}

export interface FakeDeployKey {
  id: number;
  key: string;
  title: string;
  readOnly: boolean;
  createdAt: string;
}

export interface FakeActionsSecret {
  /** the value GitHub Actions would see: opened with the repository's private key */
  value: string;
  keyId: string;
  createdAt: string;
  updatedAt: string;
}

export interface FakeRepo {
  owner: string;
  name: string;
  id: number;
  alerts: Map<number, FakeAlert>;
  commits: Map<string, FakeCommit>;
  deployKeys: FakeDeployKey[];
  actionsKey: { keyId: string; publicKey: Uint8Array; privateKey: Uint8Array };
  actionsSecrets: Map<string, FakeActionsSecret>;
  issues: FakeIssue[];
  /** newest last; GitHub lists them newest first */
  deployments: FakeDeployment[];
}

export interface FakeDeploymentStatus {
  id: number;
  state: 'error' | 'failure' | 'inactive' | 'in_progress' | 'queued' | 'pending' | 'success';
  description: string;
  environment: string;
  logUrl: string;
  creator: FakeUser;
  createdAt: string;
}

export interface FakeDeployment {
  id: number;
  sha: string;
  ref: string;
  task: string;
  environment: string;
  description: string | null;
  creator: FakeUser;
  createdAt: string;
  /** newest last */
  statuses: FakeDeploymentStatus[];
}

export interface FakeIssue {
  number: number;
  id: number;
  title: string;
  body: string | null;
  labels: string[];
  user: FakeUser;
  createdAt: string;
}

export const API = 'https://api.github.com';
export const WEB = 'https://github.com';

let ids = 1000;
export const nextId = () => ++ids;
export const isoSeconds = (ms = Date.now()) => new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
export const sha1Of = (text: string) => createHash('sha1').update(text).digest('hex');

export async function newRepo(owner: string, name: string): Promise<FakeRepo> {
  await sodium.ready;
  const kp = sodium.crypto_box_keypair();
  return {
    owner,
    name,
    id: nextId(),
    alerts: new Map(),
    commits: new Map(),
    deployKeys: [],
    actionsKey: { keyId: String(nextId()) + randomBytes(4).readUInt32BE(0), publicKey: kp.publicKey, privateKey: kp.privateKey },
    actionsSecrets: new Map(),
    issues: [],
    deployments: [],
  };
}

export function simpleUser(u: FakeUser) {
  // Bot logins (`name[bot]`) appear percent-encoded in GitHub's URLs.
  const path = encodeURIComponent(u.login);
  const url = `${API}/users/${path}`;
  return {
    login: u.login,
    id: u.id,
    node_id: Buffer.from(`04:User${u.id}`).toString('base64'),
    avatar_url: `https://avatars.githubusercontent.com/u/${u.id}?v=4`,
    gravatar_id: '',
    url,
    html_url: `${WEB}/${path}`,
    followers_url: `${url}/followers`,
    following_url: `${url}/following{/other_user}`,
    gists_url: `${url}/gists{/gist_id}`,
    starred_url: `${url}/starred{/owner}{/repo}`,
    subscriptions_url: `${url}/subscriptions`,
    organizations_url: `${url}/orgs`,
    repos_url: `${url}/repos`,
    events_url: `${url}/events{/privacy}`,
    received_events_url: `${url}/received_events`,
    type: 'User',
    user_view_type: 'public',
    site_admin: false,
  };
}

/** GET /user: the authenticated user, as GitHub shows it to themself. */
export function privateUser(u: FakeUser) {
  return {
    ...simpleUser(u),
    user_view_type: 'private',
    name: u.login,
    company: null,
    blog: '',
    location: null,
    email: null,
    hireable: null,
    bio: null,
    twitter_username: null,
    notification_email: null,
    public_repos: 3,
    public_gists: 0,
    followers: 1,
    following: 0,
    created_at: '2019-03-01T10:00:00Z',
    updated_at: '2026-01-10T10:00:00Z',
    private_gists: 0,
    total_private_repos: 2,
    owned_private_repos: 2,
    disk_usage: 1024,
    collaborators: 0,
    two_factor_authentication: true,
  };
}

export function repoApi(repo: FakeRepo): string {
  return `${API}/repos/${repo.owner}/${repo.name}`;
}

export function locationJson(repo: FakeRepo, loc: FakeLocation) {
  const blobSha = sha1Of(`${loc.commitSha}:${loc.path}`);
  return {
    type: 'commit' as const,
    details: {
      path: loc.path,
      start_line: loc.startLine,
      end_line: loc.endLine,
      start_column: 12,
      end_column: 52,
      blob_sha: blobSha,
      blob_url: `${repoApi(repo)}/git/blobs/${blobSha}`,
      commit_sha: loc.commitSha,
      commit_url: `${repoApi(repo)}/git/commits/${loc.commitSha}`,
      html_url: `${WEB}/${repo.owner}/${repo.name}/blob/${loc.commitSha}/${loc.path}#L${loc.startLine}-L${loc.endLine}`,
    },
  };
}

export function alertJson(repo: FakeRepo, a: FakeAlert, hideSecret: boolean) {
  const url = `${repoApi(repo)}/secret-scanning/alerts/${a.number}`;
  const first = a.locations[0];
  return {
    number: a.number,
    created_at: a.createdAt,
    updated_at: a.updatedAt,
    url,
    html_url: `${WEB}/${repo.owner}/${repo.name}/security/secret-scanning/${a.number}`,
    locations_url: `${url}/locations`,
    state: a.state,
    resolution: a.resolution,
    resolved_at: a.resolvedAt,
    resolved_by: a.resolvedBy ? simpleUser(a.resolvedBy) : null,
    resolution_comment: a.resolutionComment,
    secret_type: a.secretType,
    secret_type_display_name: a.secretTypeDisplayName,
    ...(hideSecret ? {} : { secret: a.secret }),
    push_protection_bypassed: a.pushProtectionBypassed,
    push_protection_bypassed_by: null,
    push_protection_bypassed_at: null,
    push_protection_bypass_request_reviewer: null,
    push_protection_bypass_request_reviewer_comment: null,
    push_protection_bypass_request_comment: null,
    push_protection_bypass_request_html_url: null,
    validity: a.validity,
    publicly_leaked: false,
    multi_repo: false,
    is_base64_encoded: false,
    first_location_detected: first ? locationJson(repo, first).details : null,
    has_more_locations: a.locations.length > 1,
    assigned_to: null,
  };
}

export function gitCommitJson(repo: FakeRepo, c: FakeCommit) {
  const tree = sha1Of(`tree:${c.sha}`);
  const parent = sha1Of(`parent:${c.sha}`);
  const email = `${c.author}@users.noreply.github.com`;
  return {
    sha: c.sha,
    node_id: Buffer.from(`06:Commit${c.sha.slice(0, 8)}`).toString('base64'),
    url: `${repoApi(repo)}/git/commits/${c.sha}`,
    html_url: `${WEB}/${repo.owner}/${repo.name}/commit/${c.sha}`,
    author: { date: c.authoredAt, name: c.author, email },
    committer: { date: c.committedAt, name: c.author, email },
    message: c.message,
    tree: { sha: tree, url: `${repoApi(repo)}/git/trees/${tree}` },
    parents: [
      { sha: parent, url: `${repoApi(repo)}/git/commits/${parent}`, html_url: `${WEB}/${repo.owner}/${repo.name}/commit/${parent}` },
    ],
    verification: { verified: false, reason: 'unsigned', signature: null, payload: null, verified_at: null },
  };
}

export function deployKeyJson(repo: FakeRepo, k: FakeDeployKey) {
  return {
    id: k.id,
    key: k.key,
    url: `${repoApi(repo)}/keys/${k.id}`,
    title: k.title,
    verified: true,
    created_at: k.createdAt,
    read_only: k.readOnly,
    added_by: 'octocat',
    last_used: null,
    enabled: true,
  };
}

/** An issue as GET/POST /repos/{owner}/{repo}/issues answer it. */
export function issueJson(repo: FakeRepo, i: FakeIssue) {
  const url = `${repoApi(repo)}/issues/${i.number}`;
  return {
    id: i.id,
    node_id: Buffer.from(`I_${i.id}`).toString('base64'),
    url,
    repository_url: repoApi(repo),
    labels_url: `${url}/labels{/name}`,
    comments_url: `${url}/comments`,
    events_url: `${url}/events`,
    html_url: `${WEB}/${repo.owner}/${repo.name}/issues/${i.number}`,
    number: i.number,
    state: 'open',
    state_reason: null,
    title: i.title,
    body: i.body,
    user: simpleUser(i.user),
    labels: i.labels.map((name, n) => ({
      id: 9000 + n,
      node_id: Buffer.from(`LA_${name}`).toString('base64'),
      url: `${repoApi(repo)}/labels/${encodeURIComponent(name)}`,
      name,
      description: null,
      color: 'ededed',
      default: false,
    })),
    assignee: null,
    assignees: [],
    milestone: null,
    locked: false,
    active_lock_reason: null,
    comments: 0,
    closed_at: null,
    created_at: i.createdAt,
    updated_at: i.createdAt,
    author_association: 'MEMBER',
  };
}

export function deploymentJson(repo: FakeRepo, d: FakeDeployment) {
  const url = `${repoApi(repo)}/deployments/${d.id}`;
  return {
    url,
    id: d.id,
    node_id: Buffer.from(`DE_${d.id}`).toString('base64'),
    sha: d.sha,
    ref: d.ref,
    task: d.task,
    payload: {},
    original_environment: d.environment,
    environment: d.environment,
    description: d.description,
    creator: simpleUser(d.creator),
    created_at: d.createdAt,
    updated_at: d.statuses.at(-1)?.createdAt ?? d.createdAt,
    statuses_url: `${url}/statuses`,
    repository_url: repoApi(repo),
    transient_environment: false,
    production_environment: d.environment === 'production',
    performed_via_github_app: null,
  };
}

/** A deployment status as GitHub answers it; `target_url` mirrors `log_url`, as GitHub's does. */
export function deploymentStatusJson(repo: FakeRepo, d: FakeDeployment, st: FakeDeploymentStatus) {
  const deploymentUrl = `${repoApi(repo)}/deployments/${d.id}`;
  return {
    url: `${deploymentUrl}/statuses/${st.id}`,
    id: st.id,
    node_id: Buffer.from(`DES_${st.id}`).toString('base64'),
    state: st.state,
    creator: simpleUser(st.creator),
    description: st.description,
    environment: st.environment,
    target_url: st.logUrl,
    log_url: st.logUrl,
    created_at: st.createdAt,
    updated_at: st.createdAt,
    deployment_url: deploymentUrl,
    repository_url: repoApi(repo),
    performed_via_github_app: null,
  };
}
