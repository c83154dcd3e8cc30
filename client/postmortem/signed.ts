/**
 * How the renderers (and the CLI) say who vouched for a decision: the same words everywhere, so a
 * reader of the Markdown, the HTML page and `tourniquet status` sees the same claim.
 */
// the module itself: `tourniquet status` formats with this and need not load the workflows index
import { base64Encode, parseSignature } from '../../workflows/signatures/sshsig';
import type { Postmortem } from './model';

type Vote = Postmortem['approvals'][number]['votes'][number];
type Signer = NonNullable<Vote['signer']>;

export const UNAUTHENTICATED_BANNER = 'decisions unauthenticated';
export const UNAUTHENTICATED_EXPLANATION =
  'at least one gate took decisions without signatures (the engine ran in its unauthenticated demo mode, or the gate predates signed decisions): who decided is what the caller claimed, not proven';

/** `person` / `Slack gateway for U…` / `unauthenticated`; `unsigned` for votes from before signing. */
export function signerLabel(signer: Signer | undefined, via: string): string {
  if (!signer) return 'unsigned';
  if (signer.by === 'person') return 'person';
  if (signer.by === 'slack-gateway') return `Slack gateway for ${via.replace(/^slack:/, '')}`;
  return 'unauthenticated';
}

/**
 * A short form of the signature for tables: the first 16 base64 characters of the raw Ed25519
 * signature (the armor's start is the same for every signature by a key, so it tells nothing).
 */
export function shortSignature(armored: string | undefined): string {
  if (!armored) return '—';
  try {
    return `${base64Encode(parseSignature(armored).signature, false).slice(0, 16)}…`;
  } catch {
    return 'malformed';
  }
}

/** Gates opened in the unauthenticated demo mode, or before signing existed (no `authentication`), proved nothing. */
export function anyGateUnauthenticated(gates: readonly { authentication?: 'signed' | 'unauthenticated' | undefined }[]): boolean {
  return gates.some((g) => g.authentication !== 'signed');
}

/** True when any gate took decisions without proof: every export says so at the top. */
export function decisionsUnauthenticated(pm: Pick<Postmortem, 'incident'>): boolean {
  return pm.incident.decisions === 'unauthenticated';
}

/** The signed votes, labelled `g1 vote 2 (bob)`, for the signatures appendix. */
export function signedVotes(pm: Postmortem): { label: string; vote: Vote & { signature: string } }[] {
  return pm.approvals.flatMap((g) =>
    g.votes.flatMap((vote, i) =>
      vote.signature ? [{ label: `${g.gate_id} vote ${i + 1} (${vote.approver})`, vote: vote as Vote & { signature: string } }] : [],
    ),
  );
}
