/**
 * What every Kubernetes suite starts from: a real control plane, the worker's manifests from
 * deploy/kubernetes applied, a client acting as the worker's ServiceAccount, and a fresh namespace.
 */
import type { KubeConfig } from '@kubernetes/client-node';
import { startControlPlane, type ControlPlane } from './control-plane';
import { applyWorkerManifests } from './manifests';
import { createNamespace } from './objects';

export interface WorkerCluster {
  cp: ControlPlane;
  /** cluster-admin, for setting the scene */
  admin: KubeConfig;
  /** the worker's own identity: what playbooks run as */
  worker: KubeConfig;
  ns: string;
}

export async function startWorkerCluster(): Promise<WorkerCluster> {
  const cp = await startControlPlane();
  const admin = cp.kubeConfig;
  const worker = await applyWorkerManifests(admin);
  const ns = await createNamespace(admin);
  return { cp, admin, worker, ns };
}
