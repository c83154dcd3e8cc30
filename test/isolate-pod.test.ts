/**
 * The isolate-pod playbook end to end against a real kube-apiserver (test/support/kube/), the
 * worker calling it as its own ServiceAccount with the RBAC and admission guard of
 * deploy/kubernetes/. No controller-manager or kubelet runs: pods stay Pending and no replacement
 * appears, so the tests look at labels, annotations, NetworkPolicies and Service selectors.
 * Also: a Falco shell event through the gateway's shipped route into the playbook.
 */
import { CoreV1Api, NetworkingV1Api, PatchStrategy, setHeaderOptions, type KubeConfig } from '@kubernetes/client-node';
import { WorkflowFailedError } from '@temporalio/client';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { beforeAll, describe, expect, it } from 'vitest';
import { createKubernetesActivities, ORIGINAL_LABELS_ANNOTATION, QUARANTINE_LABEL, quarantinePolicyName } from '../activities/kubernetes';
import { decide, getStatus, getTimeline, startIncident } from '../client';
import { alertRoutes } from '../gateway/intake/routes';
import { approved } from './support/github-leaks';
import type { Harness } from './support/harness';
import { bearer, fixture, post, startIntakeGateway, TOKENS } from './support/intake';
import { clientAs, createNamespace, createPod } from './support/kube/objects';
import { waitFor } from './support/wait';
import { useKubeSuite } from './support/kube/suite';
import { waitForGate } from './support/gates';

const LABELS = { app: 'shop', tier: 'web' };
const kube = useKubeSuite({ setup: shopNetwork, harness: () => ({}) });
const { open, finished } = kube;
let admin: KubeConfig;
let worker: KubeConfig;
let ns: string;
let h: Harness;
let podCount = 0;

beforeAll(() => {
  ({ admin, worker, ns, h } = kube);
});

async function shopNetwork({ admin, ns }: { admin: KubeConfig; ns: string }): Promise<void> {
  await admin.makeApiClient(CoreV1Api).createNamespacedService({
    namespace: ns,
    body: { metadata: { name: 'shop' }, spec: { selector: { app: 'shop' }, ports: [{ port: 80 }] } },
  });
  // The team's own policy lets anything reach the shop: a deny-all alone would not cut the pod off.
  await admin.makeApiClient(NetworkingV1Api).createNamespacedNetworkPolicy({
    namespace: ns,
    body: {
      metadata: { name: 'allow-shop' },
      spec: { podSelector: { matchLabels: { app: 'shop' } }, ingress: [{}], egress: [{}], policyTypes: ['Ingress', 'Egress'] },
    },
  });
}

async function newPod(): Promise<string> {
  const name = `shop-${++podCount}`;
  await createPod(admin, ns, name, { labels: LABELS });
  return name;
}

async function startIsolation(pod: string, options: { mode?: 'live' | 'drill'; waitForGate?: boolean } = {}) {
  const id = await startIncident(
    h.client,
    {
      playbook: 'isolate-pod',
      requester: 'alice',
      mode: options.mode ?? 'live',
      params: { namespace: ns, pod },
      alerts: [{ source: 'falco', title: 'shell in container' }],
    },
    { taskQueue: h.taskQueue },
  );
  open.add(id);
  const status = options.waitForGate === false ? undefined : await waitForGate(h.client, id);
  return { id, status };
}

const readPod = (name: string) => admin.makeApiClient(CoreV1Api).readNamespacedPod({ name, namespace: ns });
const policyNames = async () =>
  (await admin.makeApiClient(NetworkingV1Api).listNamespacedNetworkPolicy({ namespace: ns })).items.map((p) => p.metadata!.name!);

const quiet = { logger: new DefaultLogger('ERROR') };
const acts = () => createKubernetesActivities({ kubernetes: { kubeConfig: worker }, store: h.deps.store });

describe('isolate-pod', () => {
  it('records the evidence, isolates the pod once approved, verifies, and a release restores it', async () => {
    const pod = await newPod();
    const { id, status } = await startIsolation(pod);
    const gate = status!.gates[0]!;
    expect(gate).toMatchObject({ action: 'kubeIsolatePod', target: `pods/${ns}/${pod}`, risk: 'high', policy: 'standard' });
    expect(gate.step).toMatch(/drops it from Services shop.*out of NetworkPolicies allow-shop/);
    const [snapshot, exposure] = status!.evidence;
    expect(snapshot!.facts).toMatchObject({ phase: 'Pending', labels: JSON.stringify(LABELS), containers: 1 });
    expect(exposure!.facts).toEqual({ policies: 'allow-shop', services: 'shop' });
    const artifact = JSON.parse((await h.deps.store.get(snapshot!.uri)).toString());
    expect(Object.keys(artifact)).toEqual(expect.arrayContaining(['pod', 'owners', 'node', 'events', 'logs']));
    expect((await readPod(pod)).metadata!.labels).toEqual(LABELS);

    await decide(h.client, { incidentId: id, decision: 'approve', approver: 'bob', via: 'test' });
    const final = await finished(id);
    expect(final.state).toBe('resolved');
    expect(final.clock.contained_at).toBeDefined();

    const isolated = await readPod(pod);
    expect(isolated.metadata!.labels).toEqual({ [QUARANTINE_LABEL]: id });
    expect(JSON.parse(isolated.metadata!.annotations![ORIGINAL_LABELS_ANNOTATION]!)).toEqual(LABELS);
    const policy = await admin
      .makeApiClient(NetworkingV1Api)
      .readNamespacedNetworkPolicy({ name: quarantinePolicyName(id), namespace: ns });
    expect(policy.metadata!.labels).toMatchObject({ 'app.kubernetes.io/managed-by': 'tourniquet' });
    expect(policy.spec).toMatchObject({ podSelector: { matchLabels: { [QUARANTINE_LABEL]: id } }, policyTypes: ['Ingress', 'Egress'] });
    expect(policy.spec!.ingress ?? []).toEqual([]);
    expect(policy.spec!.egress ?? []).toEqual([]);
    const timeline = await getTimeline(h.client, id);
    expect(timeline.find((e) => e.kind === 'verify.passed')!.summary).toMatch(
      /is isolated: only deny-all NetworkPolicy .* selects it, and no Service does/,
    );

    // Run again (a retry after a crash): nothing changes.
    const args = { namespace: ns, pod };
    const isolateEnv = new MockActivityEnvironment({ activityType: 'kubeIsolatePod' }, quiet);
    const again = await isolateEnv.run(acts().kubeIsolatePod, approved('kubeIsolatePod', `pods/${ns}/${pod}`, args, { incidentId: id }));
    expect(again).toMatchObject({ changed: false, summary: `pod ${ns}/${pod} was already isolated` });
    expect((await readPod(pod)).metadata!.resourceVersion).toBe(isolated.metadata!.resourceVersion);

    const releaseEnv = new MockActivityEnvironment({ activityType: 'kubeReleasePod' }, quiet);
    const released = await releaseEnv.run(acts().kubeReleasePod, approved('kubeReleasePod', `pods/${ns}/${pod}`, args, { incidentId: id }));
    expect(released).toMatchObject({ changed: true });
    const restored = await readPod(pod);
    expect(restored.metadata!.labels).toEqual(LABELS);
    expect(restored.metadata!.annotations?.[ORIGINAL_LABELS_ANNOTATION]).toBeUndefined();
    expect(await policyNames()).not.toContain(quarantinePolicyName(id));
    const releasedAgain = await releaseEnv.run(
      acts().kubeReleasePod,
      approved('kubeReleasePod', `pods/${ns}/${pod}`, args, { incidentId: id }),
    );
    expect(releasedAgain).toMatchObject({ changed: false });
  });

  it('leaves the pod alone when an approver denies', async () => {
    const pod = await newPod();
    const { id } = await startIsolation(pod);
    await decide(h.client, { incidentId: id, decision: 'deny', approver: 'carol', via: 'test', reason: 'known debug session' });
    const final = await finished(id);
    expect(final.state).toBe('denied');
    expect((await readPod(pod)).metadata!.labels).toEqual(LABELS);
    expect(await policyNames()).not.toContain(quarantinePolicyName(id));
  });

  it('in a drill, asks for approval, dry-runs every write on the server and changes nothing', async () => {
    const pod = await newPod();
    const { id, status } = await startIsolation(pod, { mode: 'drill' });
    expect(status!.gates[0]!.action).toBe('kubeIsolatePod');
    await decide(h.client, { incidentId: id, decision: 'approve', approver: 'bob', via: 'test' });
    await finished(id);
    const completed = (await getTimeline(h.client, id)).find((e) => e.kind === 'action.completed');
    expect(completed!.summary).toMatch(
      new RegExp(`DRILL: would isolate pod ${ns}/${pod}: replaced its labels \\(2\\).*applied deny-all NetworkPolicy`),
    );
    const untouched = await readPod(pod);
    expect(untouched.metadata!.labels).toEqual(LABELS);
    expect(untouched.metadata!.annotations?.[ORIGINAL_LABELS_ANNOTATION]).toBeUndefined();
    expect(await policyNames()).not.toContain(quarantinePolicyName(id));
  });

  it("fails with the API server's message, without retrying, when the pod does not exist (404)", async () => {
    const { id } = await startIsolation('no-such-pod', { waitForGate: false });
    await expect(h.client.workflow.getHandle(id).result()).rejects.toThrow(WorkflowFailedError);
    open.delete(id);
    const s = await getStatus(h.client, id);
    expect(s.state).toBe('failed');
    expect(s.outcome).toMatch(new RegExp(`Kubernetes refused reading pod ${ns}/no-such-pod: 404 pods "no-such-pod" not found`));
    expect(s.gates).toEqual([]);
  });

  it('after a crash between relabelling and the policy, a retry only adds the policy and keeps the original labels', async () => {
    const pod = await newPod();
    const incidentId = 'inc-isolate-pod-crashed';
    // What the first attempt left: labels replaced and originals recorded, no policy yet.
    await admin.makeApiClient(CoreV1Api).patchNamespacedPod(
      {
        name: pod,
        namespace: ns,
        body: {
          metadata: {
            labels: { app: null, tier: null, [QUARANTINE_LABEL]: incidentId },
            annotations: { [ORIGINAL_LABELS_ANNOTATION]: JSON.stringify(LABELS) },
          },
        },
      },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    const before = await readPod(pod);
    const env = new MockActivityEnvironment({ activityType: 'kubeIsolatePod' }, quiet);
    const result = await env.run(
      acts().kubeIsolatePod,
      approved('kubeIsolatePod', `pods/${ns}/${pod}`, { namespace: ns, pod }, { incidentId }),
    );
    expect(result).toMatchObject({
      changed: true,
      summary: expect.stringMatching(/^Isolate pod .*: applied deny-all NetworkPolicy tourniquet-quarantine-\w+ \(approved by bob\)$/),
    });
    const after = await readPod(pod);
    expect(after.metadata!.resourceVersion).toBe(before.metadata!.resourceVersion);
    expect(JSON.parse(after.metadata!.annotations![ORIGINAL_LABELS_ANNOTATION]!)).toEqual(LABELS);
    expect(await policyNames()).toContain(quarantinePolicyName(incidentId));
    const verifyEnv = new MockActivityEnvironment({}, quiet);
    expect(
      await verifyEnv.run(acts().kubeCheckIsolated, { incidentId, mode: 'live' as const, input: { namespace: ns, pod } }),
    ).toMatchObject({ ok: true });
  });

  it('refuses at once, saying so, when the identity lacks the RBAC (403)', async () => {
    const pod = await newPod();
    // A ServiceAccount with no grants at all (no controller makes the `default` one here).
    await admin.makeApiClient(CoreV1Api).createNamespacedServiceAccount({ namespace: ns, body: { metadata: { name: 'nobody' } } });
    const nobody = await clientAs(admin, ns, 'nobody');
    const env = new MockActivityEnvironment({}, quiet);
    const unprivileged = createKubernetesActivities({ kubernetes: { kubeConfig: nobody }, store: h.deps.store });
    const evidence = env.run(unprivileged.kubePodSnapshot, {
      incidentId: 'inc-403',
      name: 'pod',
      mode: 'live' as const,
      input: { namespace: ns, pod },
    });
    await expect(evidence).rejects.toMatchObject({
      nonRetryable: true,
      message: expect.stringMatching(
        /^Kubernetes refused reading pod .*: 403 .*forbidden.*\(check the worker has the RBAC in deploy\/kubernetes\/\)/,
      ),
    });
  });

  it('survives a worker restart while waiting for approval, and isolates the pod once', async () => {
    const pod = await newPod();
    const { id } = await startIsolation(pod);
    await h.stopWorker();
    await h.startWorker();
    await decide(h.client, { incidentId: id, decision: 'approve', approver: 'bob', via: 'test' });
    const final = await finished(id);
    expect(final.state).toBe('resolved');
    expect((await readPod(pod)).metadata!.labels).toEqual({ [QUARANTINE_LABEL]: id });
    const timeline = await getTimeline(h.client, id);
    expect(timeline.filter((e) => e.kind === 'action.completed')).toHaveLength(1);
    expect(timeline.filter((e) => e.kind === 'action.started')).toHaveLength(1);
  });

  it('fails verification when a namespace-wide policy still selects the pod, and releases it after a second approval', async () => {
    // podSelector {} selects every pod in the namespace, whatever its labels: relabelling cannot escape it.
    const wide = await createNamespace(admin);
    await admin.makeApiClient(NetworkingV1Api).createNamespacedNetworkPolicy({
      namespace: wide,
      body: { metadata: { name: 'allow-all' }, spec: { podSelector: {}, ingress: [{}], policyTypes: ['Ingress'] } },
    });
    await createPod(admin, wide, 'shop-1', { labels: LABELS });
    const id = await startIncident(
      h.client,
      { playbook: 'isolate-pod', requester: 'alice', params: { namespace: wide, pod: 'shop-1' } },
      { taskQueue: h.taskQueue },
    );
    open.add(id);
    await waitForGate(h.client, id);
    await decide(h.client, { incidentId: id, decision: 'approve', approver: 'bob', via: 'test' });
    const release = await waitFor('the release gate', async () =>
      (await getStatus(h.client, id)).gates.find((g) => g.action === 'kubeReleasePod' && g.status === 'open'),
    );
    const readWide = () => admin.makeApiClient(CoreV1Api).readNamespacedPod({ name: 'shop-1', namespace: wide });
    expect((await readWide()).metadata!.labels).toEqual({ [QUARANTINE_LABEL]: id });
    await decide(h.client, { incidentId: id, decision: 'approve', approver: 'carol', via: 'test', gateId: release.id });
    await expect(h.client.workflow.getHandle(id).result()).rejects.toThrow(WorkflowFailedError);
    open.delete(id);
    const s = await getStatus(h.client, id);
    expect(s.state).toBe('failed');
    expect(s.outcome).toMatch(/NetworkPolicies still select it: allow-all/);
    expect((await readWide()).metadata!.labels).toEqual(LABELS);
    const timeline = await getTimeline(h.client, id);
    expect(timeline.map((e) => e.kind)).toEqual(expect.arrayContaining(['verify.failed', 'compensation.completed']));
  });
});

describe('started by Falco', () => {
  it('a shell in a pod, posted to the gateway, opens isolate-pod for that pod; its repeats join; approved, the pod is isolated', async () => {
    const pod = await newPod();
    const gw = await startIntakeGateway(h.client, h.taskQueue, { routes: alertRoutes });
    try {
      // What Falcosidekick sends: the documented event, about this pod.
      const event = fixture('falco-terminal-shell.json');
      event.output_fields['k8s.ns.name'] = ns;
      event.output_fields['k8s.pod.name'] = pod;
      const shell = (body: unknown) => post(`${gw.url}/alerts/falco`, body, bearer(TOKENS.falco));
      const first = await shell(event);
      expect(first.status).toBe(202);
      expect(first.body).toMatchObject({ status: 'new', route: 'falco-shell' });
      const id: string = first.body.incidentId;
      open.add(id);

      const status = await waitForGate(h.client, id);
      expect(status).toMatchObject({
        playbook: 'isolate-pod',
        requester: 'falco',
        title: `Shell in container: ${ns}/${pod}`,
        clock: { detected_at: '2026-11-22T05:35:58.532Z' },
      });
      expect(status.gates[0]).toMatchObject({ action: 'kubeIsolatePod', target: `pods/${ns}/${pod}`, risk: 'high', policy: 'standard' });
      expect(status.evidence[0]!.facts).toMatchObject({ labels: JSON.stringify(LABELS) });

      // another shell in the same pod (Falcosidekick gives every event a new uuid) joins the incident
      const again = await shell({ ...event, uuid: 'another-shell', time: '2026-11-22T05:36:10.000000000Z' });
      expect(again.body).toEqual({ status: 'joined', incidentId: id, route: 'falco-shell' });
      await waitFor('the repeat counted', async () => (await getStatus(h.client, id)).alerts.total === 2);

      await decide(h.client, { incidentId: id, decision: 'approve', approver: 'bob', via: 'test' });
      expect((await finished(id)).state).toBe('resolved');
      expect((await readPod(pod)).metadata!.labels).toEqual({ [QUARANTINE_LABEL]: id });
      expect(await policyNames()).toContain(quarantinePolicyName(id));
    } finally {
      await gw.close();
    }
  });
});
