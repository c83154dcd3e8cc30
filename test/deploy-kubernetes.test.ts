/**
 * deploy/kubernetes/ as written, on a real API server (test/support/kube/: etcd and kube-apiserver,
 * no kubelet): applied the way `kubectl apply --server-side -f deploy/kubernetes/` does it on an
 * empty cluster (files in name order, documents in order) with strict field validation, so a
 * misspelt or misplaced field is an error rather than a warning; applied again as
 * `--dry-run=server`; and the workloads held to the code: the image, the files the commands run,
 * the variables (the schemas read them), the ports the probes ask, and the security settings.
 */
import {
  loadAllYaml,
  type KubeConfig,
  type KubernetesObject,
  type V1CronJob,
  type V1Deployment,
  type V1PodSpec,
  type V1Service,
} from '@kubernetes/client-node';
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { request, type RequestOptions } from 'node:https';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { projectRoot } from '../tools/temporal-binaries';
import { loadConfig } from '../worker/config';
import { readProjectFile, scriptOf, unreadVariables } from './support/deploy';
import { startControlPlane, type ControlPlane } from './support/kube/control-plane';
import { MANIFEST_DIR, WORKER } from './support/kube/manifests';

interface Answer {
  status: number;
  body: { message?: string; metadata?: { name?: string } };
}

/** Each file's objects, in the order kubectl reads a directory: file names sorted, then documents. */
function kubectlOrder(): { file: string; object: KubernetesObject }[] {
  return readdirSync(MANIFEST_DIR)
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .flatMap((file) =>
      (loadAllYaml(readFileSync(join(MANIFEST_DIR, file), 'utf8')) as KubernetesObject[])
        .filter(Boolean)
        .map((object) => ({ file, object })),
    );
}

const objects = kubectlOrder();
const find = <T extends KubernetesObject>(kind: string, name: string) => {
  const found = objects.find(({ object }) => object.kind === kind && object.metadata?.name === name);
  if (!found) throw new Error(`no ${kind} ${name} in deploy/kubernetes/`);
  return found.object as T;
};
const worker = find<V1Deployment>('Deployment', 'tourniquet-worker');
const gateway = find<V1Deployment>('Deployment', 'tourniquet-gateway');
const sweep = find<V1CronJob>('CronJob', 'tourniquet-breakglass-sweep');
const workloads: [string, V1PodSpec][] = [
  ['worker', worker.spec!.template.spec!],
  ['gateway', gateway.spec!.template.spec!],
  ['sweep', sweep.spec!.jobTemplate.spec!.template.spec!],
];

let cp: ControlPlane;
let resources: Map<string, { plural: string; namespaced: boolean }>;

/** kind → its resource, from the server's own discovery (as kubectl finds it). */
async function discover(kc: KubeConfig): Promise<Map<string, { plural: string; namespaced: boolean }>> {
  const found = new Map<string, { plural: string; namespaced: boolean }>();
  const groupVersions = new Set(objects.map(({ object }) => object.apiVersion!));
  for (const gv of groupVersions) {
    const list = (await call(kc, 'GET', gv === 'v1' ? '/api/v1' : `/apis/${gv}`)).body as {
      resources: { name: string; kind: string; namespaced: boolean }[];
    };
    for (const r of list.resources) if (!r.name.includes('/')) found.set(`${gv}/${r.kind}`, { plural: r.name, namespaced: r.namespaced });
  }
  return found;
}

async function call(kc: KubeConfig, method: string, path: string, body?: string, contentType?: string): Promise<Answer> {
  const options: RequestOptions = {};
  await kc.applyToHTTPSOptions(options);
  const url = new URL(path, kc.getCurrentCluster()!.server);
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { ...options, method, headers: { ...options.headers, ...(contentType ? { 'content-type': contentType } : {}) } },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text ? (JSON.parse(text) as Answer['body']) : {} }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** `kubectl apply --server-side [--dry-run=server]` of one object, unknown fields refused. */
async function apply(object: KubernetesObject, { dryRun = false } = {}): Promise<Answer> {
  const resource = resources.get(`${object.apiVersion}/${object.kind}`);
  if (!resource) return { status: 404, body: { message: `the server has no ${object.apiVersion} ${object.kind}` } };
  const base = object.apiVersion === 'v1' ? '/api/v1' : `/apis/${object.apiVersion}`;
  const scope = resource.namespaced ? `/namespaces/${object.metadata!.namespace ?? 'default'}` : '';
  const query = `fieldManager=tourniquet-deploy-test&force=true&fieldValidation=Strict${dryRun ? '&dryRun=All' : ''}`;
  const path = `${base}${scope}/${resource.plural}/${object.metadata!.name}?${query}`;
  return call(cp.kubeConfig, 'PATCH', path, JSON.stringify(object), 'application/apply-patch+yaml');
}

const describeObject = ({ file, object }: { file: string; object: KubernetesObject }) => `${file}: ${object.kind} ${object.metadata?.name}`;

beforeAll(async () => {
  cp = await startControlPlane();
  resources = await discover(cp.kubeConfig);
}, 120_000);

afterAll(async () => {
  await cp?.stop();
});

describe('deploy/kubernetes/ on a real API server', () => {
  it('applies to an empty cluster in kubectl’s order, every field known to the server', async () => {
    const refused: string[] = [];
    for (const entry of objects) {
      const answer = await apply(entry.object);
      if (answer.status !== 200 && answer.status !== 201) refused.push(`${describeObject(entry)}: ${answer.status} ${answer.body.message}`);
    }
    expect(refused).toEqual([]);
    // every kind the brief asks for is there
    const kinds = new Set(objects.map(({ object }) => object.kind));
    for (const kind of ['Namespace', 'ServiceAccount', 'ClusterRole', 'Deployment', 'Service', 'CronJob']) expect(kinds).toContain(kind);
  });

  it('applies again as --dry-run=server: accepted, nothing changed', async () => {
    const before = await call(cp.kubeConfig, 'GET', '/apis/apps/v1/namespaces/tourniquet/deployments/tourniquet-worker');
    const refused: string[] = [];
    for (const entry of objects) {
      const answer = await apply(entry.object, { dryRun: true });
      if (answer.status !== 200) refused.push(`${describeObject(entry)}: ${answer.status} ${answer.body.message}`);
    }
    expect(refused).toEqual([]);
    const after = await call(cp.kubeConfig, 'GET', '/apis/apps/v1/namespaces/tourniquet/deployments/tourniquet-worker');
    expect(after.body.metadata).toEqual(before.body.metadata);
  });

  it('refuses a misspelt field (so the acceptance above means something)', async () => {
    const typo = structuredClone(worker) as V1Deployment & { spec: { template: { spec: Record<string, unknown> } } };
    typo.spec.template.spec.securityContxt = { runAsNonRoot: true };
    const answer = await apply(typo, { dryRun: true });
    // server-side apply answers 500 for a patch it cannot type, naming the field
    expect(answer.status).toBeGreaterThanOrEqual(400);
    expect(answer.body.message).toContain('.spec.template.spec.securityContxt: field not declared in schema');
  });

  it('selects the gateway’s pods with its Service, on the port they listen on', () => {
    const service = find<V1Service>('Service', 'tourniquet-gateway');
    const labels = gateway.spec!.template.metadata!.labels!;
    for (const [key, value] of Object.entries(service.spec!.selector!)) expect(labels[key]).toBe(value);
    const container = gateway.spec!.template.spec!.containers[0]!;
    const named = container.ports!.find((p) => p.name === service.spec!.ports![0]!.targetPort);
    expect(named?.containerPort).toBe(loadConfig(envOf(container)).gateway.port);
  });
});

/** A container's literal variables (those from the Secret are the operator's: tourniquet.env). */
function envOf(container: V1PodSpec['containers'][number]): Record<string, string> {
  return Object.fromEntries((container.env ?? []).map((e) => [e.name, e.value ?? '']));
}

describe('the workloads, held to the code', () => {
  it.each(workloads)('%s: runs this repository’s image and a file that exists', (_name, pod) => {
    const { version } = JSON.parse(readProjectFile('package.json')) as { version: string };
    for (const container of pod.containers) {
      expect(container.image).toBe(`tourniquet:${version}`);
      expect(existsSync(join(projectRoot, scriptOf(container.command!))), scriptOf(container.command!)).toBe(true);
    }
  });

  it.each(workloads)('%s: only variables the code reads, values its schemas accept, secrets from the Secret', (_name, pod) => {
    for (const container of pod.containers) {
      const unread = unreadVariables(Object.keys(envOf(container)));
      expect(unread, `${container.name} sets variables no schema reads: ${unread.join(', ')}`).toEqual([]);
      expect(() => loadConfig(envOf(container))).not.toThrow();
      expect(container.envFrom).toEqual([{ secretRef: { name: 'tourniquet' } }]);
      // nothing secret written into the manifest itself
      expect((container.env ?? []).filter((e) => /TOKEN|SECRET|KEY|PASSWORD/.test(e.name)).map((e) => e.name)).toEqual([]);
    }
  });

  it.each(workloads)('%s: non-root with a read-only root filesystem, /tmp and /data writable', (_name, pod) => {
    expect(pod.securityContext?.runAsNonRoot).toBe(true);
    // the Dockerfile's USER, which runAsNonRoot needs as a number
    const [uid] = /^USER (\d+)/m.exec(readProjectFile('Dockerfile'))!.slice(1);
    expect(pod.securityContext?.runAsUser).toBe(Number(uid));
    for (const container of pod.containers) {
      expect(container.securityContext).toMatchObject({
        allowPrivilegeEscalation: false,
        readOnlyRootFilesystem: true,
        capabilities: { drop: ['ALL'] },
      });
      const mounts = Object.fromEntries((container.volumeMounts ?? []).map((m) => [m.mountPath, m.name]));
      for (const path of ['/tmp', loadConfig(envOf(container)).dataDir]) {
        const volume = pod.volumes!.find((v) => v.name === mounts[path]);
        expect(volume?.emptyDir, `${path} on an emptyDir`).toBeDefined();
      }
      expect(container.resources?.requests?.memory).toBeDefined();
      expect(container.resources?.limits?.memory).toBeDefined();
    }
  });

  it('probes the worker on its /metrics address, which listens on the pod’s interfaces', () => {
    const container = worker.spec!.template.spec!.containers[0]!;
    const config = loadConfig(envOf(container));
    expect(config.metricsHost).toBe('0.0.0.0');
    const port = container.ports!.find((p) => p.name === 'metrics')!.containerPort;
    expect(port).toBe(config.metricsPort);
    for (const probe of [container.startupProbe, container.livenessProbe, container.readinessProbe]) {
      expect(probe?.httpGet).toEqual({ path: '/metrics', port: 'metrics' });
    }
    expect(readProjectFile('worker/metrics-server.ts')).toContain("req.url !== '/metrics'");
    // the Kubernetes playbooks act as the ServiceAccount the RBAC grants
    expect(worker.spec!.template.spec!.serviceAccountName).toBe(WORKER.serviceAccount);
    expect(worker.spec!.replicas).toBeGreaterThanOrEqual(2);
  });

  it('probes the gateway: alive on /healthz, ready on /readyz (Temporal reachable)', () => {
    const container = gateway.spec!.template.spec!.containers[0]!;
    expect(loadConfig(envOf(container)).gateway.host).toBe('0.0.0.0');
    expect(container.livenessProbe?.httpGet).toEqual({ path: '/healthz', port: 'http' });
    expect(container.readinessProbe?.httpGet).toEqual({ path: '/readyz', port: 'http' });
    const app = readProjectFile('gateway/app.ts');
    expect(app).toContain("app.get('/healthz'");
    expect(app).toContain("app.get('/readyz'");
    // it needs no Kubernetes rights: no token in its pods
    expect(gateway.spec!.template.spec!.automountServiceAccountToken).toBe(false);
  });

  it('keeps the sweep CronJob suspended while the workers’ Temporal Schedule sweeps, and runs a real command', () => {
    expect(sweep.spec!.suspend).toBe(true);
    expect(sweep.spec!.concurrencyPolicy).toBe('Forbid');
    const pod = sweep.spec!.jobTemplate.spec!.template.spec!;
    expect(pod.serviceAccountName).toBe(WORKER.serviceAccount);
    const command = pod.containers[0]!.command!;
    expect(command.slice(2)).toEqual(['breakglass', 'sweep']);
    const help = execFileSync('node', [join(projectRoot, command[1]!), ...command.slice(2), '--help'], {
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(help).toContain('delete expired grants');
    // the schedule it stands in for exists by default
    expect(loadConfig({}).breakGlassSweepMs).toBe(5 * 60_000);
  });
});
