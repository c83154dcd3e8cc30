/**
 * A property of the approval gate itself, the same code the update validator and handler run:
 * whatever mix of decisions arrives — forged, signed by the wrong key, replayed, self-approvals,
 * ineligible, duplicate, late, for another action, or two accepted in one workflow task — a gate
 * is approved only with a quorum of valid signatures from distinct eligible approvers who are not
 * the requester, each over exactly this gate's action.
 */
import { ed25519 } from '@noble/curves/ed25519.js';
import { describe, expect, it } from 'vitest';
import { seedSigner, type StatementSigner } from '../client/signing';
import { ApprovalGate } from '../workflows/approval-gate';
import { actionDigest, decisionStatement, verifySignature, type Decision, type TrustSnapshot } from '../workflows';

/** A small seeded generator, so a failure names the seed that reproduces it. */
function rng(seed: number) {
  let s = seed >>> 0;
  const next = () => (s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32;
  return { next, pick: <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)]! };
}

const PEOPLE = ['alice', 'bob', 'carol', 'dana', 'mallory'];
const signers: Record<string, StatementSigner> = Object.fromEntries(PEOPLE.map((p, i) => [p, seedSigner(new Uint8Array(32).fill(i + 1))]));
const gateway = seedSigner(new Uint8Array(32).fill(99));
const trust: TrustSnapshot = {
  mode: 'signed',
  keys: Object.fromEntries(PEOPLE.map((p) => [p, [signers[p]!.publicKey!.line]])),
  slack: { bob: 'U0BOB', carol: 'U0CAROL' },
  slackGateway: [gateway.publicKey!.line],
};
const ELIGIBLE = ['alice', 'bob', 'carol', 'dana'];
const INCIDENT = 'inc-prop';
const action = { step: 'Quarantine', action: 'demoQuarantine', target: 'service/x', args: { service: 'x' }, risk: 'high' as const };
const DIGEST = actionDigest(action);
const NOW = 1_800_000_000_000;
const OPENED_AT = new Date(NOW - 1000).toISOString();
const OTHER_DIGEST = actionDigest({ ...action, args: { service: 'y' } });

const KINDS = [
  'valid',
  'valid',
  'valid-slack',
  'forged',
  'wrong-key',
  'replay',
  'self',
  'ineligible',
  'late',
  'wrong-digest',
  'deny',
  'unsigned',
  'tampered-reason',
] as const;

async function make(
  kind: (typeof KINDS)[number],
  r: ReturnType<typeof rng>,
  now: number,
  accepted: Decision[],
  n: number,
): Promise<Decision> {
  if (kind === 'replay' && accepted.length > 0) return { ...r.pick(accepted) };
  const approver = kind === 'self' ? 'alice' : kind === 'ineligible' ? 'mallory' : r.pick(['bob', 'carol', 'dana']);
  const base: Decision = {
    gateId: 'g1',
    digest: kind === 'wrong-digest' ? OTHER_DIGEST : DIGEST,
    decision: kind === 'deny' ? 'deny' : 'approve',
    approver,
    via: kind === 'valid-slack' ? `slack:${trust.slack[approver] ?? 'U0NOBODY'}` : 'cli',
    validUntil: new Date(kind === 'late' ? now - 1 : now + 60_000).toISOString(),
    nonce: `nonce-${n}-${Math.floor(r.next() * 1e9)}`,
    ...(kind === 'deny' ? { reason: 'not convinced' } : {}),
  };
  if (kind === 'unsigned') return base;
  const statement = decisionStatement({ ...base, incidentId: INCIDENT, runStartedAt: OPENED_AT });
  const signer =
    kind === 'wrong-key' ? signers[r.pick(PEOPLE.filter((p) => p !== approver))]! : kind === 'valid-slack' ? gateway : signers[approver]!;
  let signature = await signer.sign(statement);
  if (kind === 'forged') {
    // a signature by a fresh key that claims to be the approver's
    signature = await seedSigner(ed25519.utils.randomSecretKey()).sign(statement);
  }
  if (kind === 'tampered-reason') return { ...base, signature, reason: 'added after signing' };
  return { ...base, signature };
}

describe('no action without a valid signed quorum', () => {
  it('holds over 400 random decision sequences', async () => {
    let approvedGates = 0;
    for (let seed = 1; seed <= 400; seed++) {
      const r = rng(seed);
      const quorum = r.pick([1, 2, 2, 3]);
      const policy = { name: 'p', approvers: ELIGIBLE, quorum, timeoutMs: 600_000, remindersMs: [], requireReasonOnApprove: false };
      const now = NOW;
      const gate = new ApprovalGate('g1', { ...action, digest: DIGEST }, policy, 'alice', now - 1000, trust, INCIDENT, OPENED_AT);
      const accepted: Decision[] = [];
      for (let n = 0; n < 8 && gate.status === 'open'; n++) {
        // two decisions validated against the same state, then applied in one task: the handler re-checks
        const batch = await Promise.all(
          Array.from({ length: r.next() < 0.3 ? 2 : 1 }, (_, k) => make(r.pick(KINDS), r, now, accepted, n * 2 + k)),
        );
        const passedValidator = batch.filter((d) => !gate.check(d, now));
        for (const d of passedValidator) {
          if (gate.check(d, undefined)) continue; // the handler's own check, without the validator's time rules
          gate.apply(d, now);
          accepted.push(d);
        }
      }
      if (gate.status !== 'approved') continue;
      approvedGates += 1;
      const approvals = gate.votes.filter((v) => v.decision === 'approve');
      const approvers = new Set(approvals.map((v) => v.approver));
      expect(approvers.size, `seed ${seed}`).toBeGreaterThanOrEqual(quorum);
      expect(approvals.length, `seed ${seed}: one vote per person`).toBe(approvers.size);
      for (const vote of approvals) {
        expect(
          ELIGIBLE.includes(vote.approver) && vote.approver !== 'alice',
          `seed ${seed}: ${vote.approver} eligible, not the requester`,
        ).toBe(true);
        const statement = decisionStatement({
          incidentId: INCIDENT,
          gateId: 'g1',
          runStartedAt: OPENED_AT,
          digest: DIGEST,
          decision: 'approve',
          approver: vote.approver,
          reason: vote.reason,
          validUntil: vote.validUntil,
          nonce: vote.nonce,
          via: vote.via,
        });
        const keys = vote.signer?.by === 'slack-gateway' ? trust.slackGateway : trust.keys[vote.approver]!;
        expect(verifySignature(vote.signature!, statement, keys).ok, `seed ${seed}: ${vote.approver}'s signature`).toBe(true);
        expect(Date.parse(vote.validUntil!) >= now, `seed ${seed}: not late`).toBe(true);
      }
    }
    // the generator must reach approval often enough for the property to say something
    expect(approvedGates).toBeGreaterThan(100);
  });
});
