/**
 * The worker's Kubernetes access: a KubeConfig from KUBECONFIG (or ~/.kube/config) outside a
 * cluster, the pod's ServiceAccount inside one. Tests hand in a KubeConfig of their own.
 */
import { ApplicationFailure } from '@temporalio/common';
import { AppsV1Api, CoreV1Api, KubeConfig, NetworkingV1Api, RbacAuthorizationV1Api } from '@kubernetes/client-node';
import { FAILURE_TYPES } from '../../workflows/failure-types';

export interface KubernetesDeps {
  kubeConfig: KubeConfig;
}

export interface KubeClients {
  core: CoreV1Api;
  apps: AppsV1Api;
  net: NetworkingV1Api;
  rbac: RbacAuthorizationV1Api;
  kubeConfig: KubeConfig;
}

/** `loadFromDefault` reads KUBECONFIG, then ~/.kube/config, then the in-cluster ServiceAccount. */
export function kubeConfigFromEnvironment(): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromDefault();
  return kc;
}

/** The activities exist on every worker; without Kubernetes configured they fail, saying what to set. */
export function kubeClients(deps: KubernetesDeps | undefined): KubeClients {
  if (!deps) {
    throw ApplicationFailure.nonRetryable(
      'Kubernetes is not configured on this worker: run it in the cluster with the deploy/kubernetes/ ServiceAccount, or set KUBECONFIG',
      FAILURE_TYPES.KubernetesNotConfigured,
    );
  }
  const kc = deps.kubeConfig;
  return {
    core: kc.makeApiClient(CoreV1Api),
    apps: kc.makeApiClient(AppsV1Api),
    net: kc.makeApiClient(NetworkingV1Api),
    rbac: kc.makeApiClient(RbacAuthorizationV1Api),
    kubeConfig: kc,
  };
}
