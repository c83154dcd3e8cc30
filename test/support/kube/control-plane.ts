/**
 * A real Kubernetes control plane for tests, started the way controller-runtime's envtest does it:
 * etcd and kube-apiserver on free loopback ports, a fresh CA, RBAC authorization and an admin
 * client certificate. No controller-manager, scheduler or kubelet run: objects are stored,
 * validated, admitted and authorized for real, but nothing reconciles them.
 */
import { KubeConfig, dumpYaml } from '@kubernetes/client-node';
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync, rmSync } from 'node:fs';
import { mkdir, mkdtemp } from 'node:fs/promises';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findKubeBinaries } from '../../../tools/kube-binaries';
import { freePort } from '../ports';
import { generateCerts, type ControlPlaneCerts } from './certs';
import { startWatchdog } from './watchdog';

export interface ControlPlane {
  /** https://127.0.0.1:<port> */
  server: string;
  kubeconfigYaml: string;
  /** The admin's KubeConfig (group system:masters). */
  kubeConfig: KubeConfig;
  caCert: string;
  /** From spawning etcd to /readyz answering ok. */
  startupMs: number;
  stop(): Promise<void>;
}

function tail(file: string, lines = 30): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

function readyz(port: number, certs: ControlPlaneCerts): Promise<number> {
  return new Promise((resolve) => {
    const req = request(
      { host: '127.0.0.1', port, path: '/readyz', ca: certs.caCert, cert: certs.adminCert, key: certs.adminKey, timeout: 5_000 },
      (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      },
    );
    req.on('error', () => resolve(0));
    req.on('timeout', () => req.destroy());
    req.end();
  });
}

function kubeconfigFor(server: string, certs: ControlPlaneCerts): string {
  const b64 = (pem: string) => Buffer.from(pem).toString('base64');
  return dumpYaml({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'tourniquet-test', cluster: { server, 'certificate-authority-data': b64(certs.caCert) } }],
    users: [{ name: 'admin', user: { 'client-certificate-data': b64(certs.adminCert), 'client-key-data': b64(certs.adminKey) } }],
    contexts: [{ name: 'admin', context: { cluster: 'tourniquet-test', user: 'admin' } }],
    'current-context': 'admin',
  });
}

async function exited(child: ChildProcess, timeoutMs: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return true;
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), timeoutMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

async function terminate(child: ChildProcess): Promise<void> {
  child.kill('SIGTERM');
  if (!(await exited(child, 15_000))) {
    child.kill('SIGKILL');
    await exited(child, 5_000);
  }
}

/**
 * Starts etcd and kube-apiserver; resolves once /readyz is ok (every post-start hook done, the RBAC
 * bootstrap roles included). Throws the set-up hint when the binaries are missing.
 */
export async function startControlPlane(options: { readyTimeoutMs?: number } = {}): Promise<ControlPlane> {
  const binaries = findKubeBinaries();
  const dir = await mkdtemp(join(tmpdir(), 'tourniquet-kube-'));
  const children: ChildProcess[] = [];
  // Also on an unexpected exit of the test process: no etcd or kube-apiserver may outlive it.
  const onExit = () => {
    for (const child of children) child.kill('SIGKILL');
    if (!process.env.KUBE_TEST_KEEP) rmSync(dir, { recursive: true, force: true });
  };
  process.once('exit', onExit);
  const started = Date.now();
  try {
    await mkdir(join(dir, 'pki'));
    const certs = await generateCerts(join(dir, 'pki'));
    const [etcdPort, peerPort, apiPort] = [await freePort(), await freePort(), await freePort()];
    const spawnLogged = (bin: string, args: string[], name: string) => {
      const fd = openSync(join(dir, `${name}.log`), 'a');
      // etcd 3.4 refuses to start on arm64 unless told it may.
      const env = process.arch === 'arm64' ? { ...process.env, ETCD_UNSUPPORTED_ARCH: 'arm64' } : process.env;
      const child = spawn(bin, args, { stdio: ['ignore', fd, fd], env });
      closeSync(fd);
      children.push(child);
      return child;
    };
    const etcdUrl = `http://127.0.0.1:${etcdPort}`;
    const peerUrl = `http://127.0.0.1:${peerPort}`;
    spawnLogged(
      binaries.etcd,
      [
        '--name=tourniquet-test',
        `--data-dir=${join(dir, 'etcd')}`,
        `--listen-client-urls=${etcdUrl}`,
        `--advertise-client-urls=${etcdUrl}`,
        `--listen-peer-urls=${peerUrl}`,
        `--initial-advertise-peer-urls=${peerUrl}`,
        `--initial-cluster=tourniquet-test=${peerUrl}`,
        '--logger=zap',
        '--log-level=warn',
      ],
      'etcd',
    );
    spawnLogged(
      binaries.kubeApiserver,
      [
        `--etcd-servers=${etcdUrl}`,
        '--bind-address=127.0.0.1',
        '--advertise-address=127.0.0.1',
        `--secure-port=${apiPort}`,
        `--cert-dir=${join(dir, 'apiserver')}`,
        `--tls-cert-file=${certs.servingCertFile}`,
        `--tls-private-key-file=${certs.servingKeyFile}`,
        `--client-ca-file=${certs.caCertFile}`,
        '--service-account-issuer=https://kubernetes.default.svc',
        `--service-account-key-file=${certs.serviceAccountPublicKeyFile}`,
        `--service-account-signing-key-file=${certs.serviceAccountKeyFile}`,
        '--service-cluster-ip-range=10.0.0.0/24',
        '--authorization-mode=RBAC',
        // No controller-manager creates service-account token Secrets; tests use the TokenRequest API.
        '--disable-admission-plugins=ServiceAccount',
        '--allow-privileged=true',
        // The default reconciler would publish 127.0.0.1 as the `kubernetes` Endpoints, which
        // validation refuses (loopback) and logs as an error every 10 s.
        '--endpoint-reconciler-type=none',
        '--profiling=false',
      ],
      'kube-apiserver',
    );
    startWatchdog(
      dir,
      children.map((c) => c.pid!),
    );

    const deadline = Date.now() + (options.readyTimeoutMs ?? 90_000);
    for (;;) {
      const dead = children.find((c) => c.exitCode !== null || c.signalCode !== null);
      if (dead) throw new Error(`${dead.spawnfile} exited during start-up (code ${dead.exitCode})`);
      if ((await readyz(apiPort, certs)) === 200) break;
      if (Date.now() > deadline) throw new Error('kube-apiserver /readyz did not answer ok in time');
      await new Promise((r) => setTimeout(r, 250));
    }
    const startupMs = Date.now() - started;
    const server = `https://127.0.0.1:${apiPort}`;
    const kubeconfigYaml = kubeconfigFor(server, certs);
    const kubeConfig = new KubeConfig();
    kubeConfig.loadFromString(kubeconfigYaml);
    const [etcd, apiserver] = children as [ChildProcess, ChildProcess];
    return {
      server,
      kubeconfigYaml,
      kubeConfig,
      caCert: certs.caCert,
      startupMs,
      async stop() {
        await terminate(apiserver);
        await terminate(etcd);
        process.removeListener('exit', onExit);
        onExit();
      },
    };
  } catch (err) {
    const logs = ['etcd', 'kube-apiserver'].map((n) => `--- ${n}.log (last lines)\n${tail(join(dir, `${n}.log`))}`);
    await Promise.all(children.map((c) => terminate(c)));
    process.removeListener('exit', onExit);
    onExit();
    throw new Error(`Kubernetes test control plane failed to start: ${(err as Error).message}\n${logs.join('\n')}`, { cause: err });
  }
}
