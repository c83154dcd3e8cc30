/**
 * Break-glass access on Kubernetes: one RoleBinding (a namespace) or ClusterRoleBinding (the
 * cluster) per incident, binding one catalogue ClusterRole to one user, labelled with the incident
 * and its expiry so anyone listing bindings sees what is temporary and until when. The workflow's
 * durable timer removes it at expiry; the labels are the record if somebody looks before that.
 *
 * Idempotent, keyed by the incident: the binding's name comes from the incident id, a create that
 * finds this incident's binding is "already granted", a delete that finds nothing is "already
 * revoked". Every write is a server-side dry run (dryRun=All) in drill mode. The worker may only
 * create bindings to catalogue roles and only delete its own (deploy/kubernetes/worker-guard.yaml).
 */
import { PatchStrategy, setHeaderOptions, type V1ClusterRoleBinding, type V1RoleBinding } from '@kubernetes/client-node';
import { ApplicationFailure } from '@temporalio/common';
import { createHash } from 'node:crypto';
import type { ActionResult, ApprovedAction, EvidenceRequest, UndoRequest, VerifyRequest, VerifyResult } from '../../workflows/contracts';
import type { EvidenceRef } from '../../workflows/evidence-ledger';
import { approvedAction } from '../approved-action';
import { recordArtifact, type EvidenceStore } from '../evidence';
import { resolveGrant, type BreakGlassCatalogueFile } from './break-glass-catalogue';
import { kubeClients, type KubeClients, type KubernetesDeps } from './client';
import { codeOf, kubeCall } from './errors';
import { MANAGED_BY, quarantineValue } from './selectors';
import { FAILURE_TYPES } from '../../workflows/failure-types';

export const INCIDENT_LABEL = 'tourniquet.io/incident';
/** unix seconds: label values cannot hold an ISO time */
export const EXPIRES_LABEL = 'tourniquet.io/expires';
export const EXPIRES_AT_ANNOTATION = 'tourniquet.io/expires-at';
const RBAC_GROUP = 'rbac.authorization.k8s.io';
const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

export function grantBindingName(incidentId: string): string {
  return `tourniquet-breakglass-${createHash('sha256').update(incidentId).digest('hex').slice(0, 12)}`;
}

export interface BreakGlassPlanInput {
  role: string;
  scope?: string;
  durationMs: number;
  requester: string;
  reason: string;
}

/** What the approvers vote on: exactly this binding, for this long after their approval. */
export interface GrantArgs {
  binding: string;
  clusterRole: string;
  user: string;
  /** absent: cluster-wide */
  namespace?: string;
  durationMs: number;
}

export interface ExtendArgs {
  binding: string;
  namespace?: string;
  /** the new expiry (ISO) */
  expiresAt: string;
}

export interface BindingRef {
  binding: string;
  namespace?: string;
}

type Binding = V1RoleBinding | V1ClusterRoleBinding;

const where = (ref: BindingRef) => (ref.namespace ? `RoleBinding ${ref.namespace}/${ref.binding}` : `ClusterRoleBinding ${ref.binding}`);

async function readBinding(k: KubeClients, ref: BindingRef): Promise<Binding | undefined> {
  try {
    return ref.namespace
      ? await k.rbac.readNamespacedRoleBinding({ name: ref.binding, namespace: ref.namespace })
      : await k.rbac.readClusterRoleBinding({ name: ref.binding });
  } catch (err) {
    if (codeOf(err) === 404) return undefined;
    return kubeCall(`reading ${where(ref)}`, () => Promise.reject(err));
  }
}

/** This incident's binding, or a refusal: the worker never touches a grant another incident (or a person) made. */
function ours(binding: Binding, ref: BindingRef, incidentId: string): Binding {
  if (binding.metadata?.labels?.[INCIDENT_LABEL] !== quarantineValue(incidentId)) {
    throw ApplicationFailure.nonRetryable(
      `${where(ref)} exists and was not made by incident ${incidentId}; left alone`,
      FAILURE_TYPES.BindingNotOurs,
    );
  }
  return binding;
}

function expiryMetadata(expiresAtMs: number) {
  return {
    labels: { [EXPIRES_LABEL]: String(Math.floor(expiresAtMs / 1000)) },
    annotations: { [EXPIRES_AT_ANNOTATION]: new Date(expiresAtMs).toISOString() },
  };
}

export function grantBinding(incidentId: string, args: GrantArgs, expiresAtMs: number, approvers: string[]): Binding {
  const expiry = expiryMetadata(expiresAtMs);
  return {
    metadata: {
      name: args.binding,
      ...(args.namespace ? { namespace: args.namespace } : {}),
      labels: { ...MANAGED_BY, [INCIDENT_LABEL]: quarantineValue(incidentId), ...expiry.labels },
      annotations: { 'tourniquet.io/incident-id': incidentId, 'tourniquet.io/approved-by': approvers.join(','), ...expiry.annotations },
    },
    roleRef: { apiGroup: RBAC_GROUP, kind: 'ClusterRole', name: args.clusterRole },
    subjects: [{ kind: 'User', apiGroup: RBAC_GROUP, name: args.user }],
  };
}

export function createKubeBreakGlassActivities(deps: {
  kubernetes: KubernetesDeps | undefined;
  store: EvidenceStore;
  breakGlass: BreakGlassCatalogueFile | undefined;
}) {
  const catalogue = (): BreakGlassCatalogueFile => {
    if (!deps.breakGlass) {
      throw ApplicationFailure.nonRetryable(
        'break-glass is not configured on this worker: set TOURNIQUET_BREAKGLASS to a catalogue file',
        FAILURE_TYPES.BreakGlassNotConfigured,
      );
    }
    return deps.breakGlass;
  };
  return {
    /** The request checked against the catalogue, and the role's rules as they stand: what would be granted. facts: the grant. */
    async kubeBreakGlassPlan(req: EvidenceRequest<BreakGlassPlanInput>): Promise<EvidenceRef> {
      const grant = resolveGrant(catalogue(), req.input);
      const k = kubeClients(deps.kubernetes);
      const role = await kubeCall(`reading ClusterRole ${grant.clusterRole}`, () => k.rbac.readClusterRole({ name: grant.clusterRole }));
      const binding = grantBindingName(req.incidentId);
      const recorded = await recordArtifact(deps.store, {
        incidentId: req.incidentId,
        name: req.name,
        content: {
          request: req.input,
          grant: { ...grant, binding, kind: grant.namespace ? 'RoleBinding' : 'ClusterRoleBinding' },
          clusterRole: { name: grant.clusterRole, rules: role.rules ?? [], aggregationRule: role.aggregationRule ?? null },
          fetchedAt: new Date().toISOString(),
        },
      });
      return {
        ...recorded,
        facts: {
          binding,
          clusterRole: grant.clusterRole,
          user: grant.user,
          namespace: grant.namespace ?? null,
          durationMs: grant.durationMs,
          maxDurationMs: grant.maxDurationMs,
          policy: grant.policy,
          rules: (role.rules ?? []).length,
        },
      };
    },

    kubeGrantAccess: approvedAction<GrantArgs>(async (req: ApprovedAction<GrantArgs>): Promise<ActionResult> => {
      const k = kubeClients(deps.kubernetes);
      const ref = { binding: req.args.binding, ...(req.args.namespace ? { namespace: req.args.namespace } : {}) };
      // The clock starts when the approvers said yes, so a retry after a crash grants the same window.
      const expiresAtMs = Date.parse(req.approval.decidedAt) + req.args.durationMs;
      const expiresAt = new Date(expiresAtMs).toISOString();
      const details = {
        dryRun: req.dryRun,
        binding: req.args.binding,
        namespace: req.args.namespace ?? null,
        expiresAt,
        user: req.args.user,
        clusterRole: req.args.clusterRole,
      };
      const existing = await readBinding(k, ref);
      if (existing) {
        ours(existing, ref, req.incidentId);
        return { summary: `${where(ref)} already grants ${req.args.clusterRole} to ${req.args.user}`, changed: false, details };
      }
      const body = grantBinding(req.incidentId, req.args, expiresAtMs, req.approval.approvers);
      const dryRun = req.dryRun ? 'All' : undefined;
      await kubeCall(`creating ${where(ref)}`, () =>
        ref.namespace
          ? k.rbac.createNamespacedRoleBinding({ namespace: ref.namespace, body: body as V1RoleBinding, dryRun })
          : k.rbac.createClusterRoleBinding({ body: body as V1ClusterRoleBinding, dryRun }),
      );
      const said = `grant ${req.args.clusterRole} to ${req.args.user} ${ref.namespace ? `in namespace ${ref.namespace}` : 'cluster-wide'} until ${expiresAt} (${where(ref)})`;
      return req.dryRun
        ? { summary: `DRILL: would ${said}`, changed: false, details }
        : { summary: `Granted ${said.slice('grant '.length)}, approved by ${req.approval.approvers.join(', ')}`, changed: true, details };
    }),

    kubeExtendGrant: approvedAction<ExtendArgs>(async (req: ApprovedAction<ExtendArgs>): Promise<ActionResult> => {
      const k = kubeClients(deps.kubernetes);
      const ref = { binding: req.args.binding, ...(req.args.namespace ? { namespace: req.args.namespace } : {}) };
      const details = { dryRun: req.dryRun, expiresAt: req.args.expiresAt };
      const existing = await readBinding(k, ref);
      if (!existing) {
        if (req.dryRun) return { summary: `DRILL: would extend ${where(ref)} until ${req.args.expiresAt}`, changed: false, details };
        throw ApplicationFailure.nonRetryable(
          `${where(ref)} is gone: nothing to extend (was it removed by hand?)`,
          FAILURE_TYPES.BindingMissing,
        );
      }
      ours(existing, ref, req.incidentId);
      const expiry = expiryMetadata(Date.parse(req.args.expiresAt));
      if (existing.metadata?.annotations?.[EXPIRES_AT_ANNOTATION] === req.args.expiresAt) {
        return { summary: `${where(ref)} already runs until ${req.args.expiresAt}`, changed: false, details };
      }
      // resourceVersion: a concurrent change makes this a 409, retried on a fresh read.
      const body = { metadata: { resourceVersion: existing.metadata?.resourceVersion, ...expiry } };
      const dryRun = req.dryRun ? 'All' : undefined;
      await kubeCall(`extending ${where(ref)}`, () =>
        ref.namespace
          ? k.rbac.patchNamespacedRoleBinding({ name: ref.binding, namespace: ref.namespace, body, dryRun }, mergePatch)
          : k.rbac.patchClusterRoleBinding({ name: ref.binding, body, dryRun }, mergePatch),
      );
      return req.dryRun
        ? { summary: `DRILL: would extend ${where(ref)} until ${req.args.expiresAt}`, changed: false, details }
        : {
            summary: `Extended ${where(ref)} until ${req.args.expiresAt}, approved by ${req.approval.approvers.join(', ')}`,
            changed: true,
            details,
          };
    }),

    /** Undo: no gate (it only removes this incident's own grant), retried hard by the engine. */
    async kubeRevokeGrant(req: UndoRequest<BindingRef>): Promise<ActionResult> {
      const k = kubeClients(deps.kubernetes);
      const ref = { binding: req.args.binding, ...(req.args.namespace ? { namespace: req.args.namespace } : {}) };
      const existing = await readBinding(k, ref);
      if (!existing) {
        return req.dryRun
          ? { summary: `DRILL: would delete ${where(ref)} (${req.reason})`, changed: false }
          : { summary: `${where(ref)} was already gone (${req.reason})`, changed: false };
      }
      ours(existing, ref, req.incidentId);
      const dryRun = req.dryRun ? 'All' : undefined;
      // The uid precondition: never delete a binding recreated under the same name since the read.
      const body = { preconditions: { uid: existing.metadata?.uid } };
      try {
        await (ref.namespace
          ? k.rbac.deleteNamespacedRoleBinding({ name: ref.binding, namespace: ref.namespace, dryRun, body })
          : k.rbac.deleteClusterRoleBinding({ name: ref.binding, dryRun, body }));
      } catch (err) {
        if (codeOf(err) !== 404) return kubeCall(`deleting ${where(ref)}`, () => Promise.reject(err));
      }
      return req.dryRun
        ? { summary: `DRILL: would revoke ${where(ref)} (${req.reason})`, changed: false }
        : { summary: `Revoked ${where(ref)}: ${req.reason}`, changed: true };
    },

    /** The grant is in place exactly as approved: this incident's binding, the catalogue role, the one user, an expiry. */
    async kubeCheckGrant(req: VerifyRequest<GrantArgs>): Promise<VerifyResult> {
      const ref = { binding: req.input.binding, ...(req.input.namespace ? { namespace: req.input.namespace } : {}) };
      if (req.mode === 'drill')
        return { ok: true, summary: `DRILL: ${where(ref)} was not created; it would be checked`, details: { dryRun: true } };
      const binding = await readBinding(kubeClients(deps.kubernetes), ref);
      const problems: string[] = [];
      if (!binding) problems.push('it does not exist');
      else {
        if (binding.metadata?.labels?.[INCIDENT_LABEL] !== quarantineValue(req.incidentId))
          problems.push('it is not labelled with this incident');
        if (binding.roleRef.name !== req.input.clusterRole || binding.roleRef.kind !== 'ClusterRole')
          problems.push(`it binds ${binding.roleRef.kind} ${binding.roleRef.name}`);
        const subjects = (binding.subjects ?? []).map((s) => `${s.kind}:${s.name}`);
        if (subjects.length !== 1 || subjects[0] !== `User:${req.input.user}`)
          problems.push(`its subjects are ${subjects.join(', ') || 'none'}`);
        if (!binding.metadata?.labels?.[EXPIRES_LABEL]) problems.push('it has no expiry label');
      }
      const expiresAt = binding?.metadata?.annotations?.[EXPIRES_AT_ANNOTATION];
      if (problems.length)
        return { ok: false, summary: `${where(ref)} is not as approved: ${problems.join('; ')}`, details: { expiresAt } };
      return {
        ok: true,
        summary: `${where(ref)} grants ${req.input.clusterRole} to ${req.input.user} only, until ${expiresAt}`,
        details: { expiresAt },
      };
    },
  };
}
