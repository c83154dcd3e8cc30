/**
 * Evidence of a leaked secret: the alert (with the secret replaced by its fingerprint, and the
 * value scrubbed from everything else), how it will be revoked, and where and since when it leaked.
 * The references carry small facts the playbook decides on; none of them is the secret.
 */
import type { EvidenceRequest } from '../../workflows/contracts';
import type { EvidenceRef } from '../../workflows/evidence-ledger';
import { recordArtifact, type EvidenceStore } from '../evidence';
import { fetchAlert, scrubbedAlert, type AlertTarget } from './alerts';
import { requireGitHub, revokerExtras, scrub, type GitHubDeps } from './deps';
import { leakLocations } from './locations';
import { noRevokerMessage, revokerFor, RevokerRefusal, type RevokePlan } from './revokers';

type Facts = NonNullable<EvidenceRef['facts']>;

export function createGitHubEvidenceActivities(deps: { github: GitHubDeps | undefined; store: EvidenceStore }) {
  return {
    /** facts: secretType, fingerprint, state, resolution, validity, pushProtectionBypassed, publiclyLeaked, revoker, revokeRef, revokePlan */
    async githubSecretAlert(req: EvidenceRequest<AlertTarget>): Promise<EvidenceRef> {
      const github = requireGitHub(deps.github);
      const fetched = await fetchAlert(github.clients, req.input);
      const { alert, leak } = fetched;
      const revoker = revokerFor(github.revokers, leak.secretType);
      let plan: RevokePlan | undefined;
      let problem: string | undefined;
      if (!revoker) problem = noRevokerMessage(leak.secretType);
      else {
        try {
          plan = await revoker.plan(leak, { github: github.clients, dryRun: true, incidentId: req.incidentId, ...revokerExtras(github) });
        } catch (err) {
          if (!(err instanceof RevokerRefusal)) throw err;
          problem = err.message;
        }
      }
      const revocation = plan && revoker ? { revoker: revoker.name, plan: plan.description } : { problem };
      const ref = await recordArtifact(deps.store, {
        incidentId: req.incidentId,
        name: req.name,
        content: { alert: scrubbedAlert(fetched), revocation, fetchedAt: new Date().toISOString() },
        redact: { known: [leak.secret] },
      });
      const facts: Facts = {
        secretType: leak.secretType,
        fingerprint: leak.fingerprint,
        state: alert.state ?? null,
        resolution: alert.resolution ?? null,
        validity: alert.validity ?? null,
        pushProtectionBypassed: alert.push_protection_bypassed ?? null,
        publiclyLeaked: alert.publicly_leaked ?? null,
        revoker: plan && revoker ? revoker.name : null,
        revokeRef: plan?.ref ?? null,
        revokePlan: scrub(plan?.description ?? problem ?? '', leak.secret),
      };
      // The `secret` field, replaced by its fingerprint before redaction saw it, counts too.
      return { ...ref, redactions: ref.redactions + 1, facts };
    },

    /** facts: firstCommitAt (null when no leaking commit could be dated), locations, commits, undatedCommits */
    async githubSecretLocations(req: EvidenceRequest<AlertTarget>): Promise<EvidenceRef> {
      const github = requireGitHub(deps.github);
      // Fetched again only to know exactly what to scrub (a commit message may quote the secret).
      const { leak } = await fetchAlert(github.clients, req.input);
      const where = await leakLocations(github.clients, req.input, [leak.secret]);
      const ref = await recordArtifact(deps.store, {
        incidentId: req.incidentId,
        name: req.name,
        content: {
          alert: { number: leak.alertNumber, secret_type: leak.secretType, fingerprint: leak.fingerprint },
          firstCommitAt: where.firstCommitAt ?? null,
          locations: where.locations,
          commits: where.commits,
        },
        redact: { known: [leak.secret] },
      });
      return {
        ...ref,
        facts: {
          firstCommitAt: where.firstCommitAt ?? null,
          locations: where.locations.length,
          commits: where.commits.length,
          undatedCommits: where.commits.filter((c) => !c.found).length,
        },
      };
    },
  };
}
