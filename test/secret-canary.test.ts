/**
 * The secret canary: secrets of every shape the attack review used (a GitHub token, an AWS key id,
 * a Slack token, a private key of 1,500 characters, a URL password) go in through every door —
 * alerts through the real gateway, titles and params through the real CLI, decision and command
 * reasons through decide() and the CLI, break-glass reasons — on a stack run as deployed (the
 * worker, gateway and codec server as processes configured from the environment, payload
 * encryption on, Slack and Kubernetes real enough). Then none of them may be found in the history
 * (decoded through the codec endpoint), the server's SQLite file (raw bytes: ciphertext), the logs,
 * what Slack received, the evidence store, or the md/json/html exports. Its own dev server, so its
 * database file holds only this suite's incidents.
 */
import { Client, Connection } from '@temporalio/client';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import { decide, getStatus, startIncident } from '../client';
import type { IncidentState } from '../workflows';
import { startDevServer, type DevServer } from '../worker/dev-server';
import { dataConverterFor, parsePayloadKeys } from '../worker/payload-codec';
import { allSecrets, filesUnder, growingLabel, secretsIn, shortSecrets, SECRETS } from './support/canary';
import { spawnEntry, type ChildOutput } from './support/child-process';
import { runCliWith } from './support/cli';
import { startFakeSlack, type FakeSlack } from './support/fake-slack';
import { TEST_POLICIES } from './support/harness';
import { codecCall, decodedText, payloadsOf } from './support/history';
import { post } from './support/intake';
import { testCatalogueFile } from './support/kube/break-glass';
import { startWorkerCluster, type WorkerCluster } from './support/kube/worker-cluster';
import { freePort } from './support/ports';
import { waitFor } from './support/wait';

const taskQueue = `canary-${randomUUID()}`;
const key = randomBytes(32).toString('base64');
const codecToken = `codec-${randomBytes(16).toString('hex')}`;
const intakeToken = `intake-${randomBytes(16).toString('hex')}`;
const botToken = `xoxb-${randomBytes(12).toString('hex')}`;
/** In the CLI incident's title: encrypted, so in the database only as ciphertext. */
const encMarker = `enc-marker-${randomBytes(6).toString('hex')}`;
/** In an incident started without the codec: in the database as it is, proving the search sees payloads. */
const plainMarker = `plain-marker-${randomBytes(6).toString('hex')}`;

let cluster: WorkerCluster | undefined;
let dir: string;
let server: DevServer | undefined;
let slack: FakeSlack | undefined;
let connection: Connection | undefined;
let client: Client;
let env: Record<string, string>;
const procs: ChildOutput[] = [];
const cliOutput: string[] = [];
const ids: Record<'alertmanager' | 'generic' | 'cli' | 'breakglass', string> = { alertmanager: '', generic: '', cli: '', breakglass: '' };
const exports: Array<{ name: string; text: string }> = [];

const cli = async (...args: string[]) => {
  const r = await runCliWith({ dir, address: server!.address, taskQueue }, env, ...args);
  cliOutput.push(r.stdout, r.stderr);
  return r;
};
const stateOf = async (id: string) => (await getStatus(client, id)).state;
const until = (id: string, ...states: IncidentState[]) =>
  waitFor(`${id} to be ${states.join(' or ')}`, async () => states.includes(await stateOf(id)), { timeoutMs: 90_000, intervalMs: 200 });

beforeAll(async () => {
  cluster = await startWorkerCluster();
  dir = await mkdtemp(join(tmpdir(), 'tourniquet-canary-'));
  server = await startDevServer({
    binary: inject('temporalCli'),
    dbFile: join(dir, 'temporal.db'),
    port: await freePort(),
    uiPort: await freePort(),
    namespace: 'default',
  });
  slack = await startFakeSlack({ token: botToken });
  await writeFile(join(dir, 'policies.json'), JSON.stringify(TEST_POLICIES));
  await writeFile(join(dir, 'breakglass.json'), JSON.stringify(testCatalogueFile(cluster.ns)));
  await writeFile(join(dir, 'worker.kubeconfig'), cluster.worker.exportConfig(), { mode: 0o600 });
  const gatewayPort = await freePort();
  env = {
    TEMPORAL_ADDRESS: server.address,
    TOURNIQUET_TASK_QUEUE: taskQueue,
    TOURNIQUET_DATA_DIR: dir,
    TOURNIQUET_POLICIES: join(dir, 'policies.json'),
    TOURNIQUET_BREAKGLASS: join(dir, 'breakglass.json'),
    KUBECONFIG: join(dir, 'worker.kubeconfig'),
    TOURNIQUET_WORKFLOW_BUNDLE: inject('workflowBundlePath'),
    TOURNIQUET_PAYLOAD_KEY: `canary:${key}`,
    SLACK_BOT_TOKEN: botToken,
    SLACK_CHANNEL: 'C0INCIDENTS',
    SLACK_API_URL: slack.url,
    TOURNIQUET_INTAKE_TOKEN: intakeToken,
    TOURNIQUET_GATEWAY_HOST: '127.0.0.1',
    TOURNIQUET_GATEWAY_PORT: String(gatewayPort),
    TOURNIQUET_CODEC_TOKEN: codecToken,
    TOURNIQUET_CODEC_PORT: String(await freePort()),
    TOURNIQUET_METRICS_PORT: '0',
    LOG_LEVEL: 'debug',
  };
  const worker = spawnEntry(['worker/main.ts'], env);
  const gateway = spawnEntry(['gateway/main.ts'], env);
  const codec = spawnEntry(['cli/main.ts', 'codec-server'], env);
  procs.push(worker, gateway, codec);
  await Promise.all([worker.waitFor('worker running'), gateway.waitFor('gateway listening'), codec.waitFor('codec endpoint')]);
  connection = await Connection.connect({ address: server.address });
  client = new Client({ connection, dataConverter: dataConverterFor(parsePayloadKeys(`canary:${key}`, 'key'))! });
}, 180_000);

afterAll(async () => {
  await Promise.all(procs.map((p) => p.stop()));
  await connection?.close();
  await slack?.stop();
  await server?.stop();
  await cluster?.cp.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const gatewayUrl = () => `http://127.0.0.1:${env.TOURNIQUET_GATEWAY_PORT}`;
const codecUrl = () => `http://127.0.0.1:${env.TOURNIQUET_CODEC_PORT}/codec`;
const intake = (path: string, body: unknown) => post(`${gatewayUrl()}${path}`, body, { authorization: `Bearer ${intakeToken}` });

it('takes secrets in through every door, and every incident still runs', async () => {
  // A control: started without the codec, so its title is in the database as written.
  const plainClient = new Client({ connection: connection! });
  await startIncident(
    plainClient,
    { playbook: 'demo', requester: 'alice', title: plainMarker, params: { service: 'control' } },
    { taskQueue },
  );

  // Alerts through the real gateway: a title, a key in a description, a URL, a label that redaction lengthens.
  const am = await intake('/alerts/alertmanager', {
    version: '4',
    groupKey: '{}:{alertname="SuspiciousEgressTraffic"}',
    status: 'firing',
    receiver: 'tourniquet',
    alerts: [
      {
        status: 'firing',
        startsAt: new Date().toISOString(),
        fingerprint: 'c4n4ry0001',
        labels: { alertname: 'SuspiciousEgressTraffic', severity: 'critical', namespace: 'prod', service: 'canary-am' },
        annotations: {
          summary: shortSecrets('egress'),
          description: allSecrets('details'),
          runbook_url: SECRETS.url,
          evidence: growingLabel,
        },
      },
    ],
  });
  expect(am.status).toBe(202);
  expect(am.body.results[0]).toMatchObject({ status: 'new' });
  ids.alertmanager = am.body.results[0].incidentId;
  const generic = await intake('/alerts', {
    source: 'demo',
    title: shortSecrets('canary token opened'),
    fields: { service: 'canary-generic', url: SECRETS.url, note: shortSecrets('note') },
  });
  expect(generic.body).toMatchObject({ status: 'new' });
  ids.generic = generic.body.incidentId;
  const unrouted = await intake('/alerts', { source: 'nomatch', title: shortSecrets('nobody routes this') });
  expect(unrouted.body.status).toBe('no-route');
  expect(secretsIn(JSON.stringify(unrouted.body))).toEqual([]);

  // Titles and params through the real CLI; a break-glass reason holding the whole key. Params a
  // playbook does not declare are refused before anything starts, naming the keys, never the values.
  const unknown = await cli(
    'start',
    'demo',
    '--requester',
    'alice',
    '--param',
    'service=canary-cli',
    '--param',
    `note=${allSecrets('n')}`,
    '--param',
    `token=${SECRETS.slack}`,
    '--param',
    `url=${SECRETS.url}`,
  );
  expect(unknown.code).toBe(2);
  expect(secretsIn(unknown.stdout + unknown.stderr)).toEqual([]);
  const started = await cli(
    'start',
    'demo',
    '--requester',
    'alice',
    '--title',
    `${encMarker} ${allSecrets('t')}`,
    '--param',
    'service=canary-cli',
  );
  expect(started.code, started.stderr).toBe(0);
  ids.cli = started.stdout.trim();
  const bg = await cli('breakglass', 'request', 'ns-edit', '30m', '--as', 'alice', '--reason', `restore orders, key ${SECRETS.pem}`);
  expect(bg.code, bg.stderr).toBe(0);
  ids.breakglass = bg.stdout.trim();

  // Every incident reaches its gate: none failed at start (the 975-character label among them).
  for (const id of Object.values(ids)) await until(id, 'awaiting-approval');

  // Reasons: refused, approved and denied, through decide() and the CLI.
  expect(
    await decide(client, { incidentId: ids.cli, decision: 'approve', approver: 'alice', via: 'test', reason: allSecrets('mine') }),
  ).toMatchObject({ applied: false, code: 'SelfApproval' });
  expect(
    await decide(client, { incidentId: ids.cli, decision: 'approve', approver: 'bob', via: 'test', reason: allSecrets('approve') }),
  ).toMatchObject({ applied: true });
  expect((await cli('deny', ids.alertmanager, '--as', 'carol', '--reason', allSecrets('deny'))).code).toBe(0);
  expect((await cli('approve', ids.generic, '--as', 'bob', '--reason', allSecrets('cli approve'))).code).toBe(0);
  for (const approver of ['bob', 'dana']) {
    expect(
      await decide(client, {
        incidentId: ids.breakglass,
        decision: 'approve',
        approver,
        via: 'test',
        validForMs: 45_000,
        reason: allSecrets(approver),
      }),
    ).toMatchObject({ applied: true });
  }
  await until(ids.breakglass, 'contained');

  // Commands with reasons: an extension (denied, with a reason) and an early revoke.
  const extend = await cli('breakglass', 'extend', ids.breakglass, '30m', '--as', 'alice', '--reason', shortSecrets('more time'));
  expect(extend.code, extend.stdout + extend.stderr).toBe(0);
  await until(ids.breakglass, 'awaiting-approval');
  expect(
    await decide(client, {
      incidentId: ids.breakglass,
      decision: 'deny',
      approver: 'carol',
      via: 'test',
      reason: allSecrets('no extension'),
    }),
  ).toMatchObject({ applied: true });
  const revoke = await cli('breakglass', 'revoke', ids.breakglass, '--as', 'bob', '--reason', allSecrets('revoke'));
  expect(revoke.code, revoke.stdout + revoke.stderr).toBe(0);

  for (const id of [ids.cli, ids.generic, ids.breakglass]) await until(id, 'resolved');
  await until(ids.alertmanager, 'denied');

  // Postmortems in every format, through the CLI.
  for (const [name, id] of Object.entries(ids)) {
    for (const format of ['md', 'json', 'html']) {
      const out = join(dir, `${name}.${format}`);
      const r = await cli('export', id, '--format', format, '--out', out);
      expect(r.code, r.stderr).toBe(0);
      exports.push({ name: `${name}.${format}`, text: await readFile(out, 'utf8') });
    }
  }
}, 400_000);

it('leaves no secret in any history, decoded through the codec endpoint', async () => {
  for (const [name, id] of Object.entries(ids)) {
    const history = await client.workflow.getHandle(id).fetchHistory();
    const decoded = await codecCall(codecUrl(), 'decode', payloadsOf(history), { authorization: `Bearer ${codecToken}` });
    expect(decoded.status).toBe(200);
    const text = `${decodedText(decoded.body)}\n${JSON.stringify(history)}`;
    expect(text).toContain('[REDACTED:');
    expect({ history: name, found: secretsIn(text) }).toEqual({ history: name, found: [] });
    expect(text).not.toMatch(/AKIA\d\dCANARY/);
  }
  const cliHistory = await client.workflow.getHandle(ids.cli).fetchHistory();
  expect(
    decodedText((await codecCall(codecUrl(), 'decode', payloadsOf(cliHistory), { authorization: `Bearer ${codecToken}` })).body),
  ).toContain(encMarker);
});

it('leaves no secret in the server’s database file, where payloads are ciphertext', async () => {
  const files = await filesUnder(dir, (name) => name.startsWith('temporal.db'));
  const all = files.map((f) => f.text).join('\n');
  expect(all.length).toBeGreaterThan(0);
  for (const f of files) expect({ file: f.path, found: secretsIn(f.text) }).toEqual({ file: f.path, found: [] });
  expect(all).toContain(plainMarker); // the search sees plain payloads…
  expect(all).not.toContain(encMarker); // …so this one is ciphertext
  expect(all).not.toContain('canary-cli');
});

it('leaves no secret in the worker, gateway, codec server and CLI output', () => {
  const [worker, gateway, codec] = procs.map((p) => p.output());
  expect(gateway).toContain('alert matched no route');
  expect(worker).toContain('incident.started');
  for (const [name, text] of Object.entries({ worker, gateway, codec, cli: cliOutput.join('\n') })) {
    expect({ log: name, found: secretsIn(text!) }).toEqual({ log: name, found: [] });
    expect(text).not.toMatch(/AKIA\d\dCANARY/);
  }
});

it('leaves no secret in what Slack received', () => {
  expect(slack!.callsOf('chat.postMessage').length).toBeGreaterThan(5);
  const text = JSON.stringify(slack!.calls.map((c) => c.args));
  expect(text).toContain('[REDACTED:');
  expect(secretsIn(text)).toEqual([]);
});

it('leaves no secret in the evidence store', async () => {
  const files = await filesUnder(join(dir, 'evidence'));
  expect(files.length).toBeGreaterThan(3);
  for (const f of files) expect({ file: f.path, found: secretsIn(f.text) }).toEqual({ file: f.path, found: [] });
});

it('leaves no secret in the md, json and html exports', () => {
  expect(exports).toHaveLength(12);
  for (const e of exports) {
    expect(e.text).toContain('REDACTED');
    expect({ export: e.name, found: secretsIn(e.text) }).toEqual({ export: e.name, found: [] });
  }
});
