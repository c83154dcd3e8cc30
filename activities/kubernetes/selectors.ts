/**
 * Which NetworkPolicies and Services select a pod, computed the way the API server's consumers
 * do (label selectors with matchLabels and matchExpressions; Service selectors as plain maps).
 */
import type { CoreV1Api, NetworkingV1Api, V1LabelSelector, V1NetworkPolicy, V1Service } from '@kubernetes/client-node';
import { createHash } from 'node:crypto';
import { kubeCall } from './errors';

export const QUARANTINE_LABEL = 'tourniquet.io/quarantine';
export const ORIGINAL_LABELS_ANNOTATION = 'tourniquet.io/original-labels';
export const MANAGED_BY = { 'app.kubernetes.io/managed-by': 'tourniquet' } as const;

type Labels = Record<string, string>;

/** A label value is at most 63 characters of [A-Za-z0-9_.-]; incident ids usually are one already. */
export function quarantineValue(incidentId: string): string {
  if (/^[A-Za-z0-9]([A-Za-z0-9_.-]{0,61}[A-Za-z0-9])?$/.test(incidentId)) return incidentId;
  return `inc-${createHash('sha256').update(incidentId).digest('hex').slice(0, 20)}`;
}

/** One deny-all policy per incident, named after it (policy names are DNS labels, hence the hash). */
export function quarantinePolicyName(incidentId: string): string {
  return `tourniquet-quarantine-${createHash('sha256').update(incidentId).digest('hex').slice(0, 12)}`;
}

export function selectorMatches(selector: V1LabelSelector | undefined, labels: Labels): boolean {
  if (!selector) return false;
  for (const [k, v] of Object.entries(selector.matchLabels ?? {})) if (labels[k] !== v) return false;
  for (const e of selector.matchExpressions ?? []) {
    const has = Object.hasOwn(labels, e.key);
    const values = e.values ?? [];
    const ok =
      e.operator === 'In'
        ? has && values.includes(labels[e.key]!)
        : e.operator === 'NotIn'
          ? !has || !values.includes(labels[e.key]!)
          : e.operator === 'Exists'
            ? has
            : e.operator === 'DoesNotExist'
              ? !has
              : false;
    if (!ok) return false;
  }
  return true;
}

/** A Service with no selector (manually managed endpoints) selects no pod. */
export function serviceSelects(service: V1Service, labels: Labels): boolean {
  const selector = service.spec?.selector;
  if (!selector || Object.keys(selector).length === 0) return false;
  return Object.entries(selector).every(([k, v]) => labels[k] === v);
}

export async function policiesSelecting(net: NetworkingV1Api, namespace: string, labels: Labels): Promise<V1NetworkPolicy[]> {
  const list = await kubeCall(`listing NetworkPolicies in ${namespace}`, () => net.listNamespacedNetworkPolicy({ namespace }));
  return list.items.filter((p) => selectorMatches(p.spec?.podSelector, labels));
}

export async function servicesSelecting(core: CoreV1Api, namespace: string, labels: Labels): Promise<V1Service[]> {
  const list = await kubeCall(`listing Services in ${namespace}`, () => core.listNamespacedService({ namespace }));
  return list.items.filter((s) => serviceSelects(s, labels));
}
