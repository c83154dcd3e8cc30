/**
 * The worker's RBAC (deploy/kubernetes/) against the real API server: every step the three
 * Kubernetes playbooks take succeeds as the worker's ServiceAccount, and what lies outside them is
 * refused, by RBAC itself (403) or by the worker guard's admission policies (422).
 */
import {
  AppsV1Api,
  AuthorizationV1Api,
  CoreV1Api,
  NetworkingV1Api,
  PatchStrategy,
  RbacAuthorizationV1Api,
  setHeaderOptions,
  type KubeConfig,
  type V1ResourceAttributes,
  type V1RoleBinding,
} from '@kubernetes/client-node';
import { beforeAll, describe, expect, it } from 'vitest';
import { grantBinding, grantBindingName } from '../activities/kubernetes/break-glass';
import { quarantinePolicy } from '../activities/kubernetes/isolate';
import { createDeployment, createPod, rawGet, REVISION_ANNOTATION, statusOf } from './support/kube/objects';
import { useKubeSuite } from './support/kube/suite';

const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
const FORBIDDEN = 403; // RBAC
const GUARDED = 422; // refused by a ValidatingAdmissionPolicy in deploy/kubernetes/worker-guard*.yaml

const kube = useKubeSuite();
let admin: KubeConfig;
let worker: KubeConfig;
let ns: string;
beforeAll(() => {
  ({ admin, worker, ns } = kube);
});

function attributes(action: string): V1ResourceAttributes {
  const [verb, target] = action.split(' ') as [string, string];
  const [resourceAndGroup, subresource] = target.split('/') as [string, string | undefined];
  const dot = resourceAndGroup.indexOf('.');
  const resource = dot < 0 ? resourceAndGroup : resourceAndGroup.slice(0, dot);
  return { verb, resource, subresource, group: dot < 0 ? '' : resourceAndGroup.slice(dot + 1) };
}

async function workerMay(attributes: V1ResourceAttributes): Promise<boolean> {
  const review = await worker.makeApiClient(AuthorizationV1Api).createSelfSubjectAccessReview({
    body: { spec: { resourceAttributes: { namespace: ns, ...attributes } } },
  });
  return review.status?.allowed ?? false;
}

describe('the worker ServiceAccount, as deploy/kubernetes/ grants it', () => {
  // `verb resource[.group][/subresource]`, as kubectl writes them; each is asked of the real authorizer.
  it.each([
    'get pods',
    'watch pods',
    'patch pods',
    'get pods/log',
    'list events',
    'list services',
    'create networkpolicies.networking.k8s.io',
    'delete networkpolicies.networking.k8s.io',
    'patch nodes',
    'list replicasets.apps',
    'patch deployments.apps',
    'create rolebindings.rbac.authorization.k8s.io',
    'delete clusterrolebindings.rbac.authorization.k8s.io',
  ])('may %s', async (action) => {
    expect(await workerMay(attributes(action))).toBe(true);
  });

  it.each([
    'delete pods',
    'create pods',
    'create pods/exec',
    'create pods/eviction',
    'patch pods/status',
    'get secrets',
    'list secrets',
    'list configmaps',
    'create serviceaccounts/token',
    'delete deployments.apps',
    'update deployments.apps',
    'patch deployments.apps/scale',
    'create replicasets.apps',
    'delete nodes',
    'update rolebindings.rbac.authorization.k8s.io',
    'patch clusterroles.rbac.authorization.k8s.io',
    'escalate clusterroles.rbac.authorization.k8s.io',
    'impersonate users',
    'create namespaces',
  ])('may not %s', async (action) => {
    expect(await workerMay(attributes(action))).toBe(false);
  });

  it('binds only the break-glass catalogue roles', async () => {
    const bind = (name: string) => workerMay({ verb: 'bind', group: 'rbac.authorization.k8s.io', resource: 'clusterroles', name });
    expect(await bind('tourniquet-breakglass-view')).toBe(true);
    expect(await bind('tourniquet-breakglass-edit')).toBe(true);
    expect(await bind('cluster-admin')).toBe(false);
    expect(await bind('edit')).toBe(false);
  });
});

describe('isolate-pod as the worker', () => {
  it('reads the evidence, walks the owner chain, labels the pod and quarantines it', async () => {
    const { replicaSets } = await createDeployment(admin, ns, 'shop', ['registry.example/shop:1']);
    const pod = await createPod(admin, ns, 'shop-abcde', { owner: replicaSets[0] });
    const core = worker.makeApiClient(CoreV1Api);
    const apps = worker.makeApiClient(AppsV1Api);
    const rs = await apps.readNamespacedReplicaSet({ name: pod.metadata!.ownerReferences![0]!.name, namespace: ns });
    const owner = rs.metadata!.ownerReferences![0]!;
    expect((await apps.readNamespacedDeployment({ name: owner.name, namespace: ns })).metadata?.uid).toBe(owner.uid);
    await core.listNamespacedService({ namespace: ns });
    await core.listNamespacedEvent({ namespace: ns, fieldSelector: `involvedObject.name=${pod.metadata!.name}` });
    // A pod no kubelet runs has no logs: 204 No Content, after RBAC let the request through.
    expect(await rawGet(worker, `/api/v1/namespaces/${ns}/pods/shop-abcde/log`)).toBe(204);
    expect(await rawGet(worker, `/api/v1/namespaces/${ns}/secrets`)).toBe(FORBIDDEN);

    await core.patchNamespacedPod(
      { name: 'shop-abcde', namespace: ns, body: { metadata: { labels: { 'tourniquet.io/quarantine': 'inc-1' } } } },
      mergePatch,
    );
    const net = worker.makeApiClient(NetworkingV1Api);
    const policy = quarantinePolicy('inc-1');
    await net.createNamespacedNetworkPolicy({ namespace: ns, body: policy });
    await net.patchNamespacedNetworkPolicy(
      { name: policy.metadata!.name!, namespace: ns, body: { metadata: { annotations: { 'tourniquet.io/note': 'x' } } } },
      mergePatch,
    );
    await net.deleteNamespacedNetworkPolicy({ name: policy.metadata!.name!, namespace: ns });
  });

  it('is refused a pod spec change, an unmanaged NetworkPolicy and deleting the pod', async () => {
    await createPod(admin, ns, 'victim', { image: 'registry.example/app:1' });
    const core = worker.makeApiClient(CoreV1Api);
    const image = [{ op: 'replace', path: '/spec/containers/0/image', value: 'registry.example/evil:1' }];
    expect(await statusOf(core.patchNamespacedPod({ name: 'victim', namespace: ns, body: image }))).toBe(GUARDED);
    expect(await statusOf(core.deleteNamespacedPod({ name: 'victim', namespace: ns }))).toBe(FORBIDDEN);

    const net = worker.makeApiClient(NetworkingV1Api);
    const unlabelled = { metadata: { name: 'no-label' }, spec: { podSelector: {} } };
    expect(await statusOf(net.createNamespacedNetworkPolicy({ namespace: ns, body: unlabelled }))).toBe(GUARDED);
    // A policy the team wrote: the worker must not remove or weaken it.
    await admin
      .makeApiClient(NetworkingV1Api)
      .createNamespacedNetworkPolicy({ namespace: ns, body: { metadata: { name: 'team-policy' }, spec: { podSelector: {} } } });
    expect(await statusOf(net.deleteNamespacedNetworkPolicy({ name: 'team-policy', namespace: ns }))).toBe(GUARDED);
    expect(
      await statusOf(
        net.patchNamespacedNetworkPolicy({ name: 'team-policy', namespace: ns, body: { spec: { policyTypes: [] } } }, mergePatch),
      ),
    ).toBe(GUARDED);
  });

  it('cordons the node', async () => {
    await admin.makeApiClient(CoreV1Api).createNode({ body: { metadata: { name: `node-${ns}` } } });
    const node = await worker
      .makeApiClient(CoreV1Api)
      .patchNode({ name: `node-${ns}`, body: { spec: { unschedulable: true } } }, mergePatch);
    expect(node.spec?.unschedulable).toBe(true);
  });
});

describe('rollback-deploy as the worker', () => {
  it('rolls the Deployment back to the previous ReplicaSet template, and can do nothing else to it', async () => {
    const images = ['registry.example/api:1', 'registry.example/api:2', 'registry.example/api:3'];
    const { deployment } = await createDeployment(admin, ns, 'api', images);
    const apps = worker.makeApiClient(AppsV1Api);
    const history = await apps.listNamespacedReplicaSet({ namespace: ns, labelSelector: 'app=api' });
    const previous = history.items.find((rs) => rs.metadata?.annotations?.[REVISION_ANNOTATION] === '2')!;
    // What `kubectl rollout undo` sends: the old template without the controller's hash label.
    const { 'pod-template-hash': _hash, ...labels } = previous.spec!.template!.metadata!.labels!;
    const template = { ...previous.spec!.template!, metadata: { ...previous.spec!.template!.metadata, labels } };
    const rolledBack = await apps.patchNamespacedDeployment({ name: 'api', namespace: ns, body: { spec: { template } } }, mergePatch);
    expect(rolledBack.spec?.template.spec?.containers[0]?.image).toBe('registry.example/api:2');
    expect(rolledBack.metadata?.generation).toBe((deployment.metadata?.generation ?? 0) + 1);

    expect(await statusOf(apps.deleteNamespacedDeployment({ name: 'api', namespace: ns }))).toBe(FORBIDDEN);
    expect(
      await statusOf(apps.patchNamespacedDeploymentScale({ name: 'api', namespace: ns, body: { spec: { replicas: 0 } } }, mergePatch)),
    ).toBe(FORBIDDEN);
    expect(await statusOf(apps.deleteNamespacedReplicaSet({ name: previous.metadata!.name!, namespace: ns }))).toBe(FORBIDDEN);
  });
});

describe('break-glass as the worker', () => {
  const rbac = () => worker.makeApiClient(RbacAuthorizationV1Api);
  // As break-glass makes them: named after the incident, labelled with it and a 30-minute expiry.
  const grant = (incident: string, role: string): V1RoleBinding => {
    const args = { binding: grantBindingName(`${incident}-${ns}`), clusterRole: role, user: 'alice', durationMs: 30 * 60_000 };
    return grantBinding(incident, args, Date.now() + args.durationMs, ['bob', 'dana']) as V1RoleBinding;
  };
  async function aliceMay(verb: string, resource: string, namespace = ns): Promise<boolean> {
    const review = await admin.makeApiClient(AuthorizationV1Api).createSubjectAccessReview({
      body: { spec: { user: 'alice', resourceAttributes: { namespace, verb, resource } } },
    });
    return review.status?.allowed ?? false;
  }

  it('grants a catalogue role for one namespace and revokes it', async () => {
    expect(await aliceMay('delete', 'pods')).toBe(false);
    const { metadata } = await rbac().createNamespacedRoleBinding({ namespace: ns, body: grant('inc-ns', 'tourniquet-breakglass-edit') });
    expect(await aliceMay('delete', 'pods')).toBe(true);
    expect(await aliceMay('delete', 'pods', 'default')).toBe(false);
    expect(await aliceMay('get', 'secrets')).toBe(false);
    await rbac().deleteNamespacedRoleBinding({ name: metadata!.name!, namespace: ns });
    expect(await aliceMay('delete', 'pods')).toBe(false);
  });

  it('grants a catalogue role cluster-wide and revokes it', async () => {
    const { metadata } = await rbac().createClusterRoleBinding({ body: grant('inc-cluster', 'tourniquet-breakglass-view') });
    expect(await aliceMay('list', 'pods', 'kube-system')).toBe(true);
    await rbac().deleteClusterRoleBinding({ name: metadata!.name! });
    expect(await aliceMay('list', 'pods', 'kube-system')).toBe(false);
  });

  it('is refused any role outside the catalogue', async () => {
    // RBAC's escalation check: the worker neither holds these roles' permissions nor may bind them.
    for (const role of ['cluster-admin', 'system:kube-controller-manager']) {
      expect(await statusOf(rbac().createClusterRoleBinding({ body: grant('inc-escalate', role) }))).toBe(FORBIDDEN);
      expect(await statusOf(rbac().createNamespacedRoleBinding({ namespace: ns, body: grant('inc-escalate', role) }))).toBe(FORBIDDEN);
    }
    // RBAC lets anyone pass on permissions they hold: the worker its own role, and `edit`, which is
    // empty here (no controller-manager aggregates its rules). The guard refuses both.
    for (const role of ['tourniquet-worker', 'edit']) {
      expect(await statusOf(rbac().createClusterRoleBinding({ body: grant('inc-pass-on', role) }))).toBe(GUARDED);
    }
  });

  it('may move a grant’s expiry, but never changes who it is for, and grants one User only', async () => {
    const granted = await rbac().createNamespacedRoleBinding({ namespace: ns, body: grant('inc-expiry', 'tourniquet-breakglass-view') });
    const name = granted.metadata!.name!;
    const expires = String(Math.floor(Date.now() / 1000) + 3600);
    const later = { metadata: { labels: { 'tourniquet.io/expires': expires } } };
    const moved = await rbac().patchNamespacedRoleBinding({ name, namespace: ns, body: later }, mergePatch);
    expect(moved.metadata!.labels!['tourniquet.io/expires']).toBe(expires);
    const more = { subjects: [...granted.subjects!, { apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: 'mallory' }] };
    expect(await statusOf(rbac().patchNamespacedRoleBinding({ name, namespace: ns, body: more }, mergePatch))).toBe(GUARDED);
    const group = {
      ...grant('inc-group', 'tourniquet-breakglass-view'),
      subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: 'system:authenticated' }],
    };
    expect(await statusOf(rbac().createNamespacedRoleBinding({ namespace: ns, body: group }))).toBe(GUARDED);
    const two = {
      ...grant('inc-two', 'tourniquet-breakglass-view'),
      subjects: [...granted.subjects!, { apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: 'mallory' }],
    };
    expect(await statusOf(rbac().createNamespacedRoleBinding({ namespace: ns, body: two }))).toBe(GUARDED);
    await rbac().deleteNamespacedRoleBinding({ name, namespace: ns });
  });

  it('is refused unmanaged bindings: creating one, or deleting a grant it did not make', async () => {
    const made = grant('inc-unmanaged', 'tourniquet-breakglass-view');
    const { 'app.kubernetes.io/managed-by': _managed, ...labels } = made.metadata!.labels!;
    const unmanaged = { ...made, metadata: { ...made.metadata, labels } };
    expect(await statusOf(rbac().createNamespacedRoleBinding({ namespace: ns, body: unmanaged }))).toBe(GUARDED);
    const team = { ...grant('inc-team', 'view'), metadata: { name: 'team-grant' } };
    await admin.makeApiClient(RbacAuthorizationV1Api).createNamespacedRoleBinding({ namespace: ns, body: team });
    expect(await statusOf(rbac().deleteNamespacedRoleBinding({ name: 'team-grant', namespace: ns }))).toBe(GUARDED);
  });
});
