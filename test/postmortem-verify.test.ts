/**
 * `tourniquet verify`: a real incident on the dev server, decided by signed votes (bob with his own
 * key from the CLI, carol through the Slack gateway's key), exported as JSON, then checked offline
 * with Temporal out of reach; then the same export with one byte changed here and there, and each
 * change named. Also: what the exports and the CLI say when decisions were not authenticated.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decide, startIncident } from '../client';
import { keyFileSigner, seedSigner } from '../client/signing';
import { buildPostmortem, renderHtml, renderMarkdown, type Postmortem } from '../client/postmortem';
import { parseExport, verifyPostmortem, type VerifyKeys } from '../client/postmortem/verify';
import { loadAllowedSigners, loadPublicKey } from '../activities/approvals/signers';
import { armorSignature, base64Decode, decisionStatement, parsePublicKey, parseSignature, publicKeyFromBlob } from '../workflows';
import { runCli, runCliWith } from './support/cli';
import { startHarness, TEST_POLICIES, type Harness } from './support/harness';
import { waitForGate } from './support/gates';
import { waitFor } from './support/wait';

/** The test keys' places, which the global setup put in the environment (test/support/keys.ts). */
const env = (
  name: 'TOURNIQUET_KEYS_DIR' | 'TOURNIQUET_ALLOWED_SIGNERS' | 'TOURNIQUET_SLACK_GATEWAY_KEY' | 'TOURNIQUET_SLACK_GATEWAY_PUBLIC_KEY',
): string => process.env[name]!;
const OFFLINE = { TEMPORAL_ADDRESS: '127.0.0.1:1' }; // nothing listens there: verify must not need Temporal
let h: Harness;
let id: string;
let exportPath: string;
let exported: Postmortem;
let keys: VerifyKeys;

const fingerprintOf = (identity: string) =>
  parsePublicKey(readFileSync(join(env('TOURNIQUET_KEYS_DIR'), `${identity}.pub`), 'utf8')).fingerprint;
const gatewayFingerprint = () => parsePublicKey(readFileSync(env('TOURNIQUET_SLACK_GATEWAY_PUBLIC_KEY'), 'utf8')).fingerprint;
const copy = (): Postmortem => JSON.parse(JSON.stringify(exported));
/** One byte of the text changed: its character code with the lowest bit flipped. */
const flip = (text: string, at = 0) => `${text.slice(0, at)}${String.fromCharCode(text.charCodeAt(at) ^ 1)}${text.slice(at + 1)}`;

function verifyCli(file: string, ...extra: string[]) {
  return runCliWith(
    h,
    OFFLINE,
    'verify',
    file,
    '--allowed-signers',
    env('TOURNIQUET_ALLOWED_SIGNERS'),
    '--slack-gateway-key',
    env('TOURNIQUET_SLACK_GATEWAY_PUBLIC_KEY'),
    ...extra,
  );
}

async function verifyTampered(name: string, change: (pm: Postmortem) => void) {
  const pm = copy();
  change(pm);
  const file = join(h.dir, `tampered-${name}.json`);
  writeFileSync(file, JSON.stringify(pm, null, 2));
  return verifyCli(file);
}

beforeAll(async () => {
  h = await startHarness({ policies: { ...TEST_POLICIES, people: { carol: { slack: 'U0CAROL01' } } } });
  id = await startIncident(
    h.client,
    { playbook: 'demo', requester: 'alice', policy: 'two-person', params: { service: `verify-${process.pid}` } },
    { taskQueue: h.taskQueue },
  );
  await waitForGate(h.client, id);
  expect(await decide(h.client, { incidentId: id, decision: 'approve', approver: 'alice', via: 'cli' })).toMatchObject({
    code: 'SelfApproval',
  });
  expect(
    await decide(h.client, { incidentId: id, decision: 'approve', approver: 'bob', via: 'cli', reason: 'evidence reviewed' }),
  ).toMatchObject({ applied: true });
  const gateway = keyFileSigner(env('TOURNIQUET_SLACK_GATEWAY_KEY'));
  expect(
    await decide(h.client, { incidentId: id, decision: 'approve', approver: 'carol', via: 'slack:U0CAROL01', signer: gateway }),
  ).toMatchObject({ applied: true });
  await h.client.workflow.getHandle(id).result();

  exportPath = join(h.dir, 'incident.json');
  // Queries on a completed incident replay its history on the worker: slow when the machine is busy.
  await waitFor('the export', async () => (await runCli(h, 'export', id, '--format', 'json', '--out', exportPath)).code === 0, {
    timeoutMs: 120_000,
    intervalMs: 500,
  });
  exported = parseExport(readFileSync(exportPath, 'utf8'));
  keys = {
    allowedSigners: loadAllowedSigners(env('TOURNIQUET_ALLOWED_SIGNERS')),
    slackGateway: [loadPublicKey(env('TOURNIQUET_SLACK_GATEWAY_PUBLIC_KEY'), 'gateway')],
  };
});
afterAll(async () => {
  await h?.stop();
});

describe('the JSON export', () => {
  it("carries each vote's signer, key, full signature, validity, nonce and via, and what the chain hashes", () => {
    const g = exported.approvals[0]!;
    expect(exported.incident.decisions).toBe('signed');
    expect(g).toMatchObject({ authentication: 'signed', args: { service: `verify-${process.pid}` }, slack_users: { carol: 'U0CAROL01' } });
    expect(g.votes).toEqual([
      expect.objectContaining({
        approver: 'bob',
        via: 'cli',
        signer: { by: 'person', key: fingerprintOf('bob') },
        signature: expect.stringContaining('BEGIN SSH SIGNATURE'),
        valid_until: expect.any(String),
        nonce: expect.any(String),
      }),
      expect.objectContaining({ approver: 'carol', via: 'slack:U0CAROL01', signer: { by: 'slack-gateway', key: gatewayFingerprint() } }),
    ]);
    expect(g.refusals).toEqual([
      expect.objectContaining({ actor: 'alice', code: 'SelfApproval', signer: { by: 'person', key: fingerprintOf('alice') } }),
    ]);
    expect(exported.evidence.entries[0]).toMatchObject({
      step: expect.any(String),
      content_type: expect.any(String),
      redactions: expect.any(Number),
    });
  });

  it('holds signatures ssh-keygen -Y verify accepts over the decision statement rebuilt from the export', () => {
    const g = exported.approvals[0]!;
    const gatewaySigners = join(h.dir, 'gateway_signers');
    writeFileSync(
      gatewaySigners,
      `slack-gateway namespaces="tourniquet" ${readFileSync(env('TOURNIQUET_SLACK_GATEWAY_PUBLIC_KEY'), 'utf8')}`,
    );
    for (const [vote, signers, identity] of [
      [g.votes[0]!, env('TOURNIQUET_ALLOWED_SIGNERS'), 'bob'],
      [g.votes[1]!, gatewaySigners, 'slack-gateway'],
    ] as const) {
      const statement = decisionStatement({
        incidentId: id,
        gateId: g.gate_id,
        runStartedAt: g.run_started_at,
        digest: g.digest,
        decision: vote.decision,
        approver: vote.approver,
        reason: vote.reason,
        validUntil: vote.valid_until,
        nonce: vote.nonce,
        via: vote.via,
      });
      const sigFile = join(h.dir, `${identity}.sig`);
      writeFileSync(sigFile, vote.signature!);
      const r = spawnSync('ssh-keygen', ['-Y', 'verify', '-f', signers, '-I', identity, '-n', 'tourniquet', '-s', sigFile], {
        input: statement,
        encoding: 'utf8',
      });
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout).toContain(`Good "tourniquet" signature for ${identity}`);
    }
  });

  it('as Markdown and HTML, names who vouched for each vote, with key and signature, and keeps the full signatures in an appendix', () => {
    const pm = exported;
    const md = renderMarkdown(pm);
    expect(md).toContain(`| bob | approve |`);
    expect(md).toMatch(new RegExp(`\\| cli \\| person \\| ${fingerprintOf('bob').replace(/[+/]/g, '\\$&')} \\| [A-Za-z0-9+/]{16}… \\|`));
    expect(md).toContain(`| slack:U0CAROL01 | Slack gateway for U0CAROL01 | ${gatewayFingerprint()} |`);
    expect(md).toContain('## Signatures');
    expect(md).toContain(`**g1 vote 2 (carol)** — Slack gateway for U0CAROL01, key ${gatewayFingerprint()}`);
    expect(md.split('-----BEGIN SSH SIGNATURE-----')).toHaveLength(3);
    expect(md).not.toContain('unauthenticated');
    const html = renderHtml(pm);
    expect(html).toContain(`<code>${fingerprintOf('bob')}</code>`);
    expect(html).toMatch(/<details><summary>Signatures[^]*-----BEGIN SSH SIGNATURE-----[^]*<\/details>/);
  });
});

describe('tourniquet verify', () => {
  it('passes an untouched export, offline, one line per check', async () => {
    const r = await verifyCli(exportPath);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toBe(`${id}:`);
    expect(lines.slice(1).map((l) => l.slice(0, 21).trimEnd())).toEqual([
      'ok    signatures',
      'ok    digests',
      'ok    quorum',
      'ok    evidence chain',
      'verified: every check',
    ]);
    expect(r.stdout).toContain(
      '2 vote(s) on 1 gate(s), each signed over its exact decision by a key bound to its approver, 1 through the Slack gateway',
    );
    const json = await verifyCli(exportPath, '--json');
    expect(JSON.parse(json.stdout)).toMatchObject({
      incidentId: id,
      ok: true,
      checks: [{ check: 'signatures', ok: true }, { ok: true }, { ok: true }, { ok: true }],
    });
  });

  it.each([
    [
      "a vote's reason",
      (pm: Postmortem) => void (pm.approvals[0]!.votes[0]!.reason = flip(pm.approvals[0]!.votes[0]!.reason!)),
      'signatures',
      'gate g1 vote 1 (bob): signature does not match the decision — reason was changed: the signed reason is "evidence reviewed" (as the timeline records), the export says "dvidence reviewed"',
    ],
    [
      'a signature',
      (pm: Postmortem) => void (pm.approvals[0]!.votes[1]!.signature = flipSignature(pm.approvals[0]!.votes[1]!.signature!)),
      'signatures',
      'gate g1 vote 2 (carol): signature does not match the decision',
    ],
    [
      "an action's args",
      (pm: Postmortem) =>
        void ((pm.approvals[0]!.args as { service: string }).service = flip((pm.approvals[0]!.args as { service: string }).service)),
      'digests',
      'gate g1: the digest of its action, target and args is',
    ],
    [
      'an evidence sha256',
      (pm: Postmortem) => void (pm.evidence.entries[0]!.sha256 = flip(pm.evidence.entries[0]!.sha256, 5)),
      'evidence chain',
      'evidence #1 (service snapshot (before)): entry_hash does not match the entry — its sha256 differs from the one the timeline recorded',
    ],
  ])('fails, exit 2, when one byte of %s changed, naming the entry', async (what, change, check, message) => {
    const r = await verifyTampered(what.replace(/\W+/g, '-'), change);
    expect(r.code, r.stdout + r.stderr).toBe(2);
    expect(r.stdout).toContain(`FAIL  ${check.padEnd(15)}`);
    expect(r.stdout).toContain(`      ${message}`);
    expect(r.stdout.trim().split('\n').at(-1)).toMatch(/^NOT VERIFIED: \d check\(s\) failed$/);
  });

  it('takes keys only from the files it is given, never from the export', () => {
    // an attacker re-signs bob's vote with a key of their own and records it as bob's
    const own = seedSigner(new Uint8Array(32).fill(7));
    const pm = copy();
    const g = pm.approvals[0]!;
    const vote = g.votes[0]!;
    vote.reason = 'looks fine';
    const statement = decisionStatement({
      incidentId: id,
      gateId: g.gate_id,
      runStartedAt: g.run_started_at,
      digest: g.digest,
      decision: vote.decision,
      approver: 'bob',
      reason: vote.reason,
      validUntil: vote.valid_until,
      nonce: vote.nonce,
      via: vote.via,
    });
    return own.sign(statement).then((signature) => {
      vote.signature = signature;
      vote.signer = { by: 'person', key: own.publicKey!.fingerprint };
      const failures = verifyPostmortem(pm, keys).checks[0]!.failures;
      expect(failures).toEqual([
        `gate g1 vote 1 (bob): signed by ${own.publicKey!.fingerprint}, a key the allowed signers file does not bind to bob and that is not the Slack gateway key`,
      ]);
    });
  });

  it('names a moved approver, a Slack mapping that does not hold, a missing gateway key, a removed signature and a short quorum', () => {
    const failuresOf = (change: (pm: Postmortem) => void, k: VerifyKeys = keys) => {
      const pm = copy();
      change(pm);
      return verifyPostmortem(pm, k).checks.flatMap((c) => c.failures);
    };
    expect(failuresOf((pm) => (pm.approvals[0]!.votes[0]!.approver = 'dana'))).toContain(
      `gate g1 vote 1 (dana): signed by ${fingerprintOf('bob')}, the key of bob, not of dana — the approver was changed?`,
    );
    expect(failuresOf(() => {}, { ...keys, people: { carol: 'U0OTHER01' } })).toEqual([
      'gate g1 vote 2 (carol): signed by the Slack gateway key, which vouches only for the Slack user in via; via is slack:U0CAROL01 and carol maps to Slack user U0OTHER01',
      'gate g1: approved with 1 valid approval(s) from eligible approvers other than the requester; quorum is 2',
      `step ${exported.steps.find((s) => s.kind === 'action.started')!.seq} (action.started): ran under gate g1, which has no proven quorum`,
    ]);
    expect(failuresOf(() => {}, { ...keys, slackGateway: [] })[0]).toBe(
      `gate g1 vote 2 (carol): signed by ${gatewayFingerprint()}, a key the allowed signers file does not bind to carol`,
    );
    const validUntil = exported.approvals[0]!.votes[0]!.valid_until!;
    expect(failuresOf((pm) => (pm.approvals[0]!.votes[0]!.at = '2099-01-01T00:00:00.000Z'))[0]).toBe(
      `gate g1 vote 1 (bob): taken at 2099-01-01T00:00:00.000Z, after the validity the approver gave it (${validUntil}): the engine refuses such decisions`,
    );
    expect(failuresOf((pm) => delete pm.approvals[0]!.votes[0]!.signature)[0]).toBe(
      'gate g1 vote 1 (bob): unsigned: on a gate that required signatures — the signature was removed?',
    );
    // dropping a vote and lowering the quorum to match: the timeline's record of the gate disagrees
    expect(failuresOf((pm) => (pm.approvals[0]!.votes.pop(), (pm.approvals[0]!.quorum = 1)))).toEqual([
      'gate g1: quorum 1 of alice, bob, carol, dana, erin, but the timeline recorded quorum 2 of alice, bob, carol, dana, erin when it opened',
    ]);
  });
});

describe('decisions taken without signatures', () => {
  let h2: Harness;
  let unsigned: string;
  beforeAll(async () => {
    h2 = await startHarness({ trust: { mode: 'unauthenticated', signers: {}, slackGateway: [] } });
    unsigned = await startIncident(
      h2.client,
      { playbook: 'demo', requester: 'alice', params: { service: `unsigned-${process.pid}` } },
      { taskQueue: h2.taskQueue },
    );
    await waitForGate(h2.client, unsigned);
    expect(await decide(h2.client, { incidentId: unsigned, decision: 'approve', approver: 'bob', via: 'cli', signer: null })).toMatchObject(
      { applied: true },
    );
    await h2.client.workflow.getHandle(unsigned).result();
  });
  afterAll(async () => {
    await h2?.stop();
  });

  it('are called unauthenticated at the top of every export and of status and timeline, and never verify', async () => {
    const pm = await waitFor('the postmortem', () => buildPostmortem(h2.client, unsigned, h2.deps.store), {
      timeoutMs: 120_000,
      intervalMs: 500,
    });
    expect(pm.incident.decisions).toBe('unauthenticated');
    expect(pm.approvals[0]!.votes[0]).toMatchObject({ approver: 'bob', signer: { by: 'unauthenticated' } });
    const md = renderMarkdown(pm);
    expect(md.split('\n')[0]).toMatch(/^# Postmortem: .* — decisions unauthenticated$/);
    expect(md).toContain('> **DECISIONS UNAUTHENTICATED**: ');
    expect(md).toContain('| bob | approve |');
    expect(md).toContain('| cli | unauthenticated | — | — |');
    const html = renderHtml(pm);
    expect(html).toMatch(/<title>Postmortem: .* \(decisions unauthenticated\)<\/title>/);
    expect(html).toContain('<span class="badge unauthenticated">decisions unauthenticated</span></h1>');
    for (const command of ['status', 'timeline']) {
      const out = (await runCli(h2, command, unsigned)).stdout.split('\n');
      expect(out[1], command).toMatch(/^ {2}DECISIONS UNAUTHENTICATED: at least one gate took decisions without signatures/);
    }
    const report = verifyPostmortem(pm, keys);
    expect(report.ok).toBe(false);
    expect(report.checks[0]!.failures).toEqual([
      'gate g1 vote 1 (bob): unsigned: the gate took decisions in unauthenticated mode: nothing proves who decided',
    ]);
  });
});

/** One byte of the Ed25519 signature itself changed; the armor stays well-formed. */
function flipSignature(armored: string): string {
  const sig = parseSignature(armored);
  const bytes = new Uint8Array(sig.signature);
  bytes[20] = bytes[20]! ^ 1;
  expect(base64Decode(armored.replace(/-----[A-Z ]+-----/g, '')).length).toBeGreaterThan(64);
  return armorSignature(publicKeyFromBlob(sig.publicKey.blob), bytes, sig.namespace, sig.hashAlgorithm);
}
