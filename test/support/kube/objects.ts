/**
 * Objects for tests against the real API server. No controller-manager runs, so what a controller
 * would have made (a Deployment's ReplicaSets, their revision annotations and owner references, a
 * rolled-out status) is written here the way the deployment controller writes it.
 */
import {
  ApiException,
  AppsV1Api,
  CoreV1Api,
  KubeConfig,
  type V1Deployment,
  type V1Pod,
  type V1PodTemplateSpec,
  type V1ReplicaSet,
} from '@kubernetes/client-node';
import { createHash, randomBytes } from 'node:crypto';
import { request, type RequestOptions } from 'node:https';

export const REVISION_ANNOTATION = 'deployment.kubernetes.io/revision';

/** A namespace with a unique name (namespaces are never really deleted: no namespace controller runs). */
export async function createNamespace(kc: KubeConfig, prefix = 'tq'): Promise<string> {
  const name = `${prefix}-${randomBytes(4).toString('hex')}`;
  await kc.makeApiClient(CoreV1Api).createNamespace({ body: { metadata: { name } } });
  return name;
}

export interface PodOptions {
  labels?: Record<string, string>;
  image?: string;
  /** Makes the pod one of this ReplicaSet's, with its template's labels and a controller reference. */
  owner?: V1ReplicaSet;
}

/** A pod; it stays Pending (no scheduler or kubelet), which is all the playbooks look at. */
export async function createPod(kc: KubeConfig, namespace: string, name: string, options: PodOptions = {}): Promise<V1Pod> {
  const owner = options.owner;
  const template = owner?.spec?.template;
  const body: V1Pod = {
    metadata: {
      name,
      labels: { ...template?.metadata?.labels, ...options.labels },
      ownerReferences: owner
        ? [
            {
              apiVersion: 'apps/v1',
              kind: 'ReplicaSet',
              name: owner.metadata!.name!,
              uid: owner.metadata!.uid!,
              controller: true,
              blockOwnerDeletion: true,
            },
          ]
        : undefined,
    },
    spec: template?.spec ?? { containers: [{ name: 'app', image: options.image ?? 'registry.example/app:1.0' }] },
  };
  return kc.makeApiClient(CoreV1Api).createNamespacedPod({ namespace, body });
}

/** The deployment controller's pod-template-hash is an FNV hash of the template; any stable short hash does here. */
function templateHash(template: V1PodTemplateSpec): string {
  const alphabet = 'bcdfghjklmnpqrstvwxz2456789';
  const digest = createHash('sha256').update(JSON.stringify(template)).digest();
  return Array.from(digest.subarray(0, 10), (b) => alphabet[b % alphabet.length]).join('');
}

function podTemplate(app: string, image: string): V1PodTemplateSpec {
  return { metadata: { labels: { app } }, spec: { containers: [{ name: 'app', image }] } };
}

export interface DeploymentWithHistory {
  deployment: V1Deployment;
  /** One per image, oldest first; the last is the current revision and owns the replicas. */
  replicaSets: V1ReplicaSet[];
}

/**
 * A Deployment that has been rolled out once per image (oldest first), with the ReplicaSets the
 * deployment controller leaves behind: revision annotations, pod-template-hash labels, controller
 * owner references, the old ones scaled to 0. `kubectl rollout undo` works from exactly these.
 */
export async function createDeployment(
  kc: KubeConfig,
  namespace: string,
  name: string,
  images: string[],
  replicas = 2,
): Promise<DeploymentWithHistory> {
  if (images.length === 0) throw new Error('createDeployment needs at least one image');
  const apps = kc.makeApiClient(AppsV1Api);
  const revision = String(images.length);
  const deployment = await apps.createNamespacedDeployment({
    namespace,
    body: {
      metadata: { name, labels: { app: name }, annotations: { [REVISION_ANNOTATION]: revision } },
      spec: { replicas, selector: { matchLabels: { app: name } }, template: podTemplate(name, images.at(-1)!) },
    },
  });
  const replicaSets: V1ReplicaSet[] = [];
  for (const [i, image] of images.entries()) {
    const template = podTemplate(name, image);
    const hash = templateHash(template);
    const labels = { app: name, 'pod-template-hash': hash };
    const current = i === images.length - 1;
    replicaSets.push(
      await apps.createNamespacedReplicaSet({
        namespace,
        body: {
          metadata: {
            name: `${name}-${hash}`,
            labels,
            annotations: {
              [REVISION_ANNOTATION]: String(i + 1),
              'deployment.kubernetes.io/desired-replicas': String(replicas),
              'deployment.kubernetes.io/max-replicas': String(replicas + 1),
            },
            ownerReferences: [
              {
                apiVersion: 'apps/v1',
                kind: 'Deployment',
                name,
                uid: deployment.metadata!.uid!,
                controller: true,
                blockOwnerDeletion: true,
              },
            ],
          },
          spec: {
            replicas: current ? replicas : 0,
            selector: { matchLabels: labels },
            template: { ...template, metadata: { labels } },
          },
        },
      }),
    );
  }
  return { deployment: await markRolledOut(kc, namespace, name), replicaSets };
}

/** Writes the status the deployment controller would once every replica is updated and available. */
export async function markRolledOut(kc: KubeConfig, namespace: string, name: string): Promise<V1Deployment> {
  const apps = kc.makeApiClient(AppsV1Api);
  const current = await apps.readNamespacedDeployment({ name, namespace });
  const replicas = current.spec?.replicas ?? 1;
  return apps.replaceNamespacedDeploymentStatus({
    name,
    namespace,
    body: {
      ...current,
      status: {
        observedGeneration: current.metadata?.generation,
        replicas,
        updatedReplicas: replicas,
        readyReplicas: replicas,
        availableReplicas: replicas,
        conditions: [{ type: 'Available', status: 'True', reason: 'MinimumReplicasAvailable', message: 'test control plane' }],
      },
    },
  });
}

/**
 * A KubeConfig that authenticates as a ServiceAccount, with a bound token from the TokenRequest
 * API (what a projected token volume gives a pod). The ServiceAccount must exist.
 */
export async function clientAs(
  admin: KubeConfig,
  namespace: string,
  serviceAccount: string,
  expirationSeconds = 3600,
): Promise<KubeConfig> {
  const token = await admin.makeApiClient(CoreV1Api).createNamespacedServiceAccountToken({
    name: serviceAccount,
    namespace,
    body: { spec: { audiences: [], expirationSeconds } },
  });
  const cluster = admin.getCurrentCluster();
  if (!cluster || !token.status?.token) throw new Error(`no token for ${namespace}/${serviceAccount}`);
  const kc = new KubeConfig();
  const user = `system:serviceaccount:${namespace}:${serviceAccount}`;
  kc.loadFromOptions({
    clusters: [cluster],
    users: [{ name: user, token: token.status.token }],
    contexts: [{ name: user, cluster: cluster.name, user, namespace }],
    currentContext: user,
  });
  return kc;
}

/** The HTTP status a call failed with (403 forbidden, 422 invalid, ...), or 200 when it succeeded. */
export async function statusOf(call: Promise<unknown>): Promise<number> {
  try {
    await call;
    return 200;
  } catch (err) {
    if (err instanceof ApiException) return err.code;
    throw err;
  }
}

/** How a call ended: 200, or the status code and the API server's message (which names the admission policy that refused it). */
export async function answerOf(call: Promise<unknown>): Promise<{ status: number; message: string }> {
  try {
    await call;
    return { status: 200, message: '' };
  } catch (err) {
    if (!(err instanceof ApiException)) throw err;
    const body: unknown = typeof err.body === 'string' ? JSON.parse(err.body) : err.body;
    return { status: err.code, message: String((body as { message?: unknown } | undefined)?.message ?? '') };
  }
}

/**
 * The status of a GET on any API path with this identity; for answers the generated client cannot
 * parse (pods/log of a pod no kubelet runs is a 204 with no body, which it throws on).
 */
export async function rawGet(kc: KubeConfig, path: string): Promise<number> {
  const options: RequestOptions = {};
  await kc.applyToHTTPSOptions(options);
  const url = new URL(path, kc.getCurrentCluster()!.server);
  return new Promise((resolve, reject) => {
    const req = request(url, { ...options, method: 'GET' }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end();
  });
}
