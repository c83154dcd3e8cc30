/**
 * Offline verification of an exported postmortem (`tourniquet verify`): from the JSON export and
 * public keys alone, with no Temporal, check that every vote is signed over exactly the decision
 * the export shows, that each gate's digest is its action's, that approved gates had their quorum,
 * and that the evidence chain holds.
 *
 * The export is the thing under suspicion, so nothing in it is trusted to vouch for itself: keys
 * come only from the files the verifier names, and each vote's signer is worked out again from
 * them (the `signer` the export records is compared, never believed). What the export alone
 * carries (the eligible set, the quorum, the identity → Slack user map unless --people is given)
 * is checked for consistency, not proven: see docs/evidence-and-postmortems.md.
 */
import { z } from 'zod';
import {
  actionDigest,
  decisionStatement,
  parsePublicKey,
  parseSignature,
  verifyChain,
  verifySignature,
  type LedgerEntry,
} from '../../workflows';
import { authenticate, slackUserOfVia, type Signer, type TrustSnapshot } from '../../workflows/signatures/trust';
import { postmortemSchema, type Postmortem } from './model';
import { signerLabel } from './signed';

type Gate = Postmortem['approvals'][number];
type Vote = Gate['votes'][number];

export interface VerifyKeys {
  /** identity → `ssh-ed25519 AAAA…` keys: the allowed signers file named on the command line */
  allowedSigners: Record<string, string[]>;
  /** the Slack gateway's public keys, named on the command line; none: no Slack vote can verify */
  slackGateway: string[];
  /** identity → Slack user from a file the verifier trusts (a policy file's `people`); else each gate's recorded map */
  people?: Record<string, string>;
}

export type CheckName = 'signatures' | 'digests' | 'quorum' | 'evidence chain';

export interface CheckResult {
  check: CheckName;
  ok: boolean;
  /** one line: what was checked, and how much of it */
  summary: string;
  /** each entry that failed, and why */
  failures: string[];
}

export interface VerifyReport {
  incidentId: string;
  ok: boolean;
  checks: CheckResult[];
}

export class ExportError extends Error {
  override name = 'ExportError';
}

/** The export, read as the versioned schema describes it; anything else cannot be verified. */
export function parseExport(text: string, source = 'export'): Postmortem {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new ExportError(`${source} is not JSON: ${(err as Error).message}`);
  }
  const parsed = postmortemSchema.safeParse(data);
  if (!parsed.success) throw new ExportError(`${source} is not a tourniquet.postmortem/v1 export:\n${z.prettifyError(parsed.error)}`);
  return parsed.data;
}

interface VoteResult {
  ok: boolean;
  signer?: Signer;
  problem?: string;
}

const own = <T>(record: Record<string, T>, key: string): T | undefined => (Object.hasOwn(record, key) ? record[key] : undefined);
const same = (a: unknown, b: unknown) => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);

function claimOf(pm: Postmortem, g: Gate, v: Vote, change: Partial<Record<'digest' | 'decision' | 'reason' | 'via', unknown>> = {}) {
  const c = { digest: g.digest, decision: v.decision, reason: v.reason, via: v.via, ...change } as {
    digest: string;
    decision: Vote['decision'];
    reason?: string;
    via: string;
  };
  return decisionStatement({
    incidentId: pm.incident.id,
    gateId: g.gate_id,
    runStartedAt: g.run_started_at,
    digest: c.digest,
    decision: c.decision,
    approver: v.approver,
    reason: c.reason,
    validUntil: v.valid_until,
    nonce: v.nonce,
    via: c.via,
  });
}

/**
 * What the timeline recorded about this vote and its gate when they happened. Also part of the
 * export, so not proof; but an edit made in one place and not the other shows exactly which field
 * moved: if the signature verifies over the timeline's value, that is the value that was signed.
 */
function timelineClaims(pm: Postmortem, g: Gate, v: Vote): Partial<Record<'digest' | 'decision' | 'reason' | 'via', unknown>> {
  const requested = pm.steps.find((s) => s.kind === 'approval.requested' && s.details?.gateId === g.gate_id);
  const voted = pm.steps.find((s) => s.kind === 'approval.vote' && s.details?.gateId === g.gate_id && s.actor === v.approver);
  const claims: Partial<Record<'digest' | 'decision' | 'reason' | 'via', unknown>> = {};
  if (requested && typeof requested.details?.digest === 'string') claims.digest = requested.details.digest;
  if (voted) {
    claims.reason = voted.details?.reason;
    if (voted.details?.decision === 'approve' || voted.details?.decision === 'deny') claims.decision = voted.details.decision;
    if (typeof voted.details?.via === 'string') claims.via = voted.details.via;
  }
  return claims;
}

/** Why the signature is not the approver's over this decision, as precisely as the evidence allows. */
function diagnose(pm: Postmortem, g: Gate, v: Vote, keys: VerifyKeys, slack: Record<string, string>): string | undefined {
  let sig;
  try {
    sig = parseSignature(v.signature!);
  } catch (err) {
    return `malformed signature: ${(err as Error).message}`;
  }
  const fp = sig.publicKey.fingerprint;
  const matches = (line: string) => {
    try {
      return parsePublicKey(line).fingerprint === fp;
    } catch {
      return false;
    }
  };
  const ownKey = (own(keys.allowedSigners, v.approver) ?? []).find(matches);
  const gatewayKey = keys.slackGateway.find(matches);
  if (!ownKey && !gatewayKey) {
    const holders = Object.keys(keys.allowedSigners).filter((id) => keys.allowedSigners[id]!.some(matches));
    return holders.length
      ? `signed by ${fp}, the key of ${holders.join(', ')}, not of ${v.approver} — the approver was changed?`
      : `signed by ${fp}, a key the allowed signers file does not bind to ${v.approver}${keys.slackGateway.length ? ' and that is not the Slack gateway key' : ''}`;
  }
  if (!ownKey && gatewayKey) {
    const user = slackUserOfVia(v.via);
    const mapped = own(slack, v.approver);
    if (!user || (mapped !== user && v.approver !== `slack:${user}`)) {
      return `signed by the Slack gateway key, which vouches only for the Slack user in via; via is ${v.via} and ${v.approver} maps to ${mapped ? `Slack user ${mapped}` : 'no Slack user'}`;
    }
  }
  const key = ownKey ?? gatewayKey!;
  if (sig.namespace !== 'tourniquet') return `signed for namespace "${sig.namespace}", not "tourniquet"`;
  if (verifySignature(v.signature!, claimOf(pm, g, v), [key]).ok) return undefined; // the signature holds: the engine's rule failed on something else
  for (const [field, value] of Object.entries(timelineClaims(pm, g, v))) {
    const current = field === 'digest' ? g.digest : v[field as 'decision' | 'reason' | 'via'];
    if (same(value, current)) continue;
    if (verifySignature(v.signature!, claimOf(pm, g, v, { [field]: value }), [key]).ok) {
      return `signature does not match the decision — ${field} was changed: the signed ${field} is ${JSON.stringify(value ?? null)} (as the timeline records), the export says ${JSON.stringify(current ?? null)}`;
    }
  }
  return 'signature does not match the decision — the reason, decision, via, validity, nonce, gate, incident or digest was changed, or the signature itself?';
}

function checkVote(pm: Postmortem, g: Gate, v: Vote, keys: VerifyKeys): VoteResult {
  if (!v.signature) {
    const why =
      g.authentication === 'unauthenticated'
        ? 'the gate took decisions in unauthenticated mode: nothing proves who decided'
        : g.authentication === 'signed'
          ? 'on a gate that required signatures — the signature was removed?'
          : 'recorded before decisions were signed: nothing proves who decided';
    return { ok: false, problem: `unsigned: ${why}` };
  }
  if (Number.isNaN(Date.parse(v.at))) return { ok: false, problem: `its time (${v.at}) is not a time` };
  const slack = keys.people ?? g.slack_users ?? {};
  // The engine's own rule (workflows/signatures/trust.ts), with keys from the verifier's files.
  const trust: TrustSnapshot = { mode: 'signed', keys: keys.allowedSigners, slack, slackGateway: keys.slackGateway };
  const statement = claimOf(pm, g, v);
  const auth = authenticate(
    trust,
    { identity: v.approver, via: v.via, statement, signature: v.signature, validUntil: v.valid_until },
    Date.parse(v.at),
  );
  if (!auth.ok) {
    return { ok: false, problem: diagnose(pm, g, v, keys, slack) ?? auth.message };
  }
  const { signer } = auth;
  if (v.valid_until && Date.parse(v.at) > Date.parse(v.valid_until)) {
    return {
      ok: false,
      signer,
      problem: `taken at ${v.at}, after the validity the approver gave it (${v.valid_until}): the engine refuses such decisions`,
    };
  }
  // A gate in the demo mode records "unauthenticated" even when the vote happens to be signed.
  const demoSigned = g.authentication === 'unauthenticated' && v.signer?.by === 'unauthenticated';
  if (v.signer && !demoSigned && (v.signer.by !== signer.by || v.signer.key !== signer.key)) {
    return {
      ok: false,
      signer,
      problem:
        `the export says ${signerLabel(v.signer, v.via)} ${v.signer.key ?? ''} vouched for it, but it is signed by ${signerLabel(signer, v.via)} ${signer.key ?? ''}`.replace(
          / +/g,
          ' ',
        ),
    };
  }
  return { ok: true, signer };
}

function checkSignatures(pm: Postmortem, keys: VerifyKeys, results: Map<Vote, VoteResult>): CheckResult {
  const failures: string[] = [];
  const nonces = new Map<string, string>();
  let votes = 0;
  let viaGateway = 0;
  for (const g of pm.approvals) {
    g.votes.forEach((v, i) => {
      const label = `gate ${g.gate_id} vote ${i + 1} (${v.approver})`;
      votes += 1;
      const result = checkVote(pm, g, v, keys);
      // A decision is taken once: the same nonce twice means one signature counted twice.
      if (result.ok && v.nonce && nonces.has(v.nonce))
        Object.assign(result, { ok: false, problem: `nonce ${v.nonce} is also on ${nonces.get(v.nonce)}: one decision counted twice` });
      if (v.nonce) nonces.set(v.nonce, label);
      if (result.signer?.by === 'slack-gateway') viaGateway += 1;
      results.set(v, result);
      if (!result.ok) failures.push(`${label}: ${result.problem}`);
    });
  }
  const mapping =
    viaGateway && !keys.people ? ' (identity → Slack user as each gate recorded it; --people checks it against a policy file)' : '';
  const summary = failures.length
    ? `${failures.length} of ${votes} vote(s) not proven`
    : `${votes} vote(s) on ${pm.approvals.length} gate(s), each signed over its exact decision by a key bound to its approver${viaGateway ? `, ${viaGateway} through the Slack gateway${mapping}` : ''}`;
  return { check: 'signatures', ok: failures.length === 0, summary, failures };
}

function checkDigests(pm: Postmortem): CheckResult {
  const failures: string[] = [];
  for (const g of pm.approvals) {
    const recomputed = actionDigest({ action: g.action, target: g.target, args: g.args });
    if (recomputed !== g.digest) {
      const missing = g.args === undefined ? ' (the export carries no args: exported before they were included?)' : '';
      failures.push(
        `gate ${g.gate_id}: the digest of its action, target and args is ${recomputed.slice(0, 16)}…, the gate's is ${g.digest.slice(0, 16)}… — the action, target or args were changed?${missing}`,
      );
    }
    const requested = pm.steps.find((s) => s.kind === 'approval.requested' && s.details?.gateId === g.gate_id);
    if (
      requested &&
      (requested.details?.digest !== g.digest || requested.details?.action !== g.action || requested.details?.target !== g.target)
    ) {
      failures.push(`gate ${g.gate_id}: step ${requested.seq} (approval.requested) records another action, target or digest than the gate`);
    }
    for (const s of pm.steps.filter((s) => s.kind === 'action.started' && s.details?.gateId === g.gate_id)) {
      if (s.details?.action !== g.action || s.details?.target !== g.target) {
        failures.push(
          `step ${s.seq} (action.started): ran ${String(s.details?.action)} on ${String(s.details?.target)}, but gate ${g.gate_id} approved ${g.action} on ${g.target}`,
        );
      }
    }
  }
  const summary = failures.length
    ? `${failures.length} problem(s)`
    : `${pm.approvals.length} gate(s): each digest is sha256 of its action, target and args`;
  return { check: 'digests', ok: failures.length === 0, summary, failures };
}

function checkQuorum(pm: Postmortem, results: Map<Vote, VoteResult>): CheckResult {
  const failures: string[] = [];
  const proven = new Set<string>();
  for (const g of pm.approvals) {
    if (g.requester !== pm.incident.requester)
      failures.push(`gate ${g.gate_id}: requester ${g.requester}, but the incident's is ${pm.incident.requester}`);
    // Quorum and eligible set are not signed; an edit that forgot the timeline's copy shows here.
    const opened = pm.steps.find((s) => s.kind === 'approval.requested' && s.details?.gateId === g.gate_id)?.details;
    if (opened && (opened.quorum !== g.quorum || !same(opened.eligible, g.eligible))) {
      failures.push(
        `gate ${g.gate_id}: quorum ${g.quorum} of ${g.eligible.join(', ')}, but the timeline recorded quorum ${String(opened.quorum)} of ${Array.isArray(opened.eligible) ? opened.eligible.join(', ') : String(opened.eligible)} when it opened`,
      );
    }
    if (g.status !== 'approved') continue;
    const approvers = new Set(
      g.votes
        .filter(
          (v) =>
            v.decision === 'approve' &&
            results.get(v)?.ok &&
            g.eligible.includes(v.approver) &&
            v.approver !== g.requester &&
            v.approver !== pm.incident.requester,
        )
        .map((v) => v.approver),
    );
    const deny = g.votes.find((v) => v.decision === 'deny');
    const needed = Math.max(1, g.quorum);
    if (deny) failures.push(`gate ${g.gate_id}: recorded approved, yet ${deny.approver} denied it (a deny closes a gate)`);
    else if (approvers.size < needed) {
      failures.push(
        `gate ${g.gate_id}: approved with ${approvers.size} valid approval(s) from eligible approvers other than the requester; quorum is ${needed}`,
      );
    } else proven.add(g.gate_id);
  }
  // An action is only as good as its gate: each one the timeline shows must have run under a proven
  // approval. Undo steps (taking break-glass access away) need none: they only reduce what is allowed.
  const actions = pm.steps.filter((s) => s.kind === 'action.started' && s.details?.undo !== true);
  for (const s of actions) {
    const gateId = String(s.details?.gateId ?? '');
    if (!proven.has(gateId))
      failures.push(`step ${s.seq} (action.started): ran under gate ${gateId || '(none)'}, which has no proven quorum`);
  }
  const summary = failures.length
    ? `${failures.length} problem(s)`
    : `${proven.size} approved gate(s), each with its quorum of valid approvals from distinct eligible approvers (not the requester); ${actions.length} action(s), each under one`;
  return { check: 'quorum', ok: failures.length === 0, summary, failures };
}

function checkChain(pm: Postmortem): CheckResult {
  const failures: string[] = [];
  const entries: LedgerEntry[] = [];
  for (const e of pm.evidence.entries) {
    if (e.step === undefined || e.content_type === undefined || e.redactions === undefined) {
      failures.push(
        `evidence #${e.seq} (${e.name}): the export lacks the step, content_type or redactions the chain hashes (exported before they were included?)`,
      );
      continue;
    }
    const { step, content_type: contentType, redactions, facts, name, sha256, size, uri, seq, recorded_at, prev_hash, entry_hash } = e;
    entries.push({
      name,
      sha256,
      size,
      uri,
      contentType,
      redactions,
      ...(facts ? { facts } : {}),
      seq,
      step,
      recorded_at,
      prev_hash,
      entry_hash,
    });
  }
  if (!failures.length) {
    for (const p of verifyChain(entries)) {
      const e = pm.evidence.entries.find((x) => x.seq === p.seq);
      const recorded = pm.steps.find((s) => s.kind === 'evidence.recorded' && s.details?.seq === p.seq);
      const moved =
        e && recorded && recorded.details?.sha256 !== e.sha256
          ? ` — its sha256 differs from the one the timeline recorded at step ${recorded.seq} (${String(recorded.details?.sha256).slice(0, 16)}…)`
          : '';
      failures.push(`evidence #${p.seq}${e ? ` (${e.name})` : ''}: ${p.problem}${moved}`);
    }
  }
  const summary = failures.length
    ? `${failures.length} problem(s)`
    : `${entries.length} entr${entries.length === 1 ? 'y' : 'ies'} chained from genesis to ${entries.at(-1)?.entry_hash.slice(0, 16) ?? 'nothing'}… (the artifacts are not in the export: tourniquet verify-evidence checks them against the store)`;
  return { check: 'evidence chain', ok: failures.length === 0, summary, failures };
}

export function verifyPostmortem(pm: Postmortem, keys: VerifyKeys): VerifyReport {
  const results = new Map<Vote, VoteResult>();
  const checks = [checkSignatures(pm, keys, results), checkDigests(pm), checkQuorum(pm, results), checkChain(pm)];
  return { incidentId: pm.incident.id, ok: checks.every((c) => c.ok), checks };
}

export function formatVerifyReport(report: VerifyReport): string {
  const lines = report.checks.flatMap((c) => [
    `${c.ok ? 'ok  ' : 'FAIL'}  ${c.check.padEnd(15)} ${c.summary}`,
    ...c.failures.map((f) => `      ${f}`),
  ]);
  const failed = report.checks.filter((c) => !c.ok).length;
  return [`${report.incidentId}:`, ...lines, report.ok ? 'verified: every check passed' : `NOT VERIFIED: ${failed} check(s) failed`].join(
    '\n',
  );
}
