/**
 * Finds etcd and kube-apiserver for the Kubernetes test control plane, building or installing them
 * when missing. No release binary can be downloaded on this project's machines, so:
 * - kube-apiserver is built from the Go module proxy by the wrapper module in
 *   tools/kube-apiserver/ (pinned k8s.io/kubernetes, staging modules replaced with their published
 *   builds) and cached in the git-ignored `.tools/kube/<version>/`, once per machine;
 * - etcd is Debian's `etcd-server` package, installed with apt-get when running as root.
 * Each is looked up via KUBE_APISERVER / ETCD, then PATH, then `.tools/kube/`.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from './temporal-binaries';
import { isExecutable, onPath } from './executables';

const wrapperDir = join(projectRoot, 'tools', 'kube-apiserver');

/** The k8s.io/kubernetes version pinned in the wrapper's go.mod (the one place it is written). */
export function pinnedKubernetesVersion(): string {
  const goMod = readFileSync(join(wrapperDir, 'go.mod'), 'utf8');
  const match = /^\s*(?:require\s+)?k8s\.io\/kubernetes\s+(v\d+\.\d+\.\d+)\b/m.exec(goMod);
  if (!match?.[1]) throw new KubeBinaryError(`no k8s.io/kubernetes requirement in ${wrapperDir}/go.mod`);
  return match[1];
}

export const kubeToolsDir = (): string => join(projectRoot, '.tools', 'kube', pinnedKubernetesVersion());

export class KubeBinaryError extends Error {
  override name = 'KubeBinaryError';
}

export interface KubeBinaries {
  etcd: string;
  kubeApiserver: string;
}

const SETUP_HINT = 'Run `npm run setup:kube` (CI does this in .ci/run).';

function find(envName: string, binary: string): string | undefined {
  const override = process.env[envName];
  if (override) {
    if (!isExecutable(override)) throw new KubeBinaryError(`${envName}=${override} is not an executable file`);
    return override;
  }
  const local = join(kubeToolsDir(), binary);
  return onPath(binary) ?? (isExecutable(local) ? local : undefined);
}

/** Both binaries without building or installing anything; throws the set-up hint when one is missing. */
export function findKubeBinaries(): KubeBinaries {
  const etcd = find('ETCD', 'etcd');
  const kubeApiserver = find('KUBE_APISERVER', 'kube-apiserver');
  const missing = [!etcd && 'etcd', !kubeApiserver && 'kube-apiserver'].filter(Boolean);
  if (!etcd || !kubeApiserver) {
    throw new KubeBinaryError(
      `the Kubernetes test control plane needs ${missing.join(' and ')}, not found via ETCD/KUBE_APISERVER, ` +
        `PATH or ${kubeToolsDir()}. ${SETUP_HINT}`,
    );
  }
  return { etcd, kubeApiserver };
}

function buildKubeApiserver(log: (line: string) => void): void {
  const go = process.env.GO ?? onPath('go');
  if (!go) {
    throw new KubeBinaryError(
      'cannot build kube-apiserver: no `go` on PATH (Go 1.24 or newer is needed). Install Go, or set ' +
        'KUBE_APISERVER to an existing kube-apiserver binary.',
    );
  }
  const version = pinnedKubernetesVersion();
  const [major, minor] = version.slice(1).split('.');
  const outDir = kubeToolsDir();
  mkdirSync(outDir, { recursive: true });
  const partial = join(outDir, `kube-apiserver.partial-${process.pid}`);
  // The version stamps are what `make` would set; without them /version reports v0.0.0-master.
  const ldflags = [
    '-s -w',
    `-X k8s.io/component-base/version.gitVersion=${version}`,
    `-X k8s.io/component-base/version.gitMajor=${major}`,
    `-X k8s.io/component-base/version.gitMinor=${minor}`,
  ].join(' ');
  log(
    `building kube-apiserver ${version} from the Go module proxy into ${outDir} (once per machine; ` +
      'about 8 minutes on 2 cores with an empty Go build cache)',
  );
  const started = Date.now();
  try {
    execFileSync(go, ['build', '-mod=readonly', '-trimpath', '-ldflags', ldflags, '-o', partial, 'k8s.io/kubernetes/cmd/kube-apiserver'], {
      cwd: wrapperDir,
      stdio: 'inherit',
      // GOTOOLCHAIN=local: the wrapper's `go 1.24.0` is satisfied by the installed Go; never fetch another.
      env: { ...process.env, GOTOOLCHAIN: 'local', CGO_ENABLED: '0' },
    });
  } catch (err) {
    throw new KubeBinaryError(
      `go build of kube-apiserver ${version} failed (${(err as Error).message}). Check that the Go ` +
        'module proxy is reachable, or set KUBE_APISERVER to an existing binary.',
      { cause: err },
    );
  }
  // Renamed only when complete, so an interrupted build never leaves a binary that looks usable.
  renameSync(partial, join(outDir, 'kube-apiserver'));
  log(`built kube-apiserver in ${((Date.now() - started) / 1000).toFixed(0)} s`);
}

function installEtcd(log: (line: string) => void): void {
  const apt = onPath('apt-get');
  if (!apt || process.getuid?.() !== 0) {
    throw new KubeBinaryError(
      'etcd is missing. On Debian/Ubuntu: `sudo apt-get update && sudo apt-get install -y etcd-server` ' +
        '(etcd 3.4 or newer), or set ETCD to an etcd binary.',
    );
  }
  log('installing etcd with apt-get (Debian package etcd-server)');
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const wait = ['-o', 'DPkg::Lock::Timeout=300']; // another apt-get (CI installs more) may hold the lock
  try {
    execFileSync(apt, [...wait, 'update', '-q'], { stdio: 'inherit', env });
    execFileSync(apt, [...wait, 'install', '-y', '-q', 'etcd-server'], { stdio: 'inherit', env });
  } catch (err) {
    throw new KubeBinaryError(`apt-get could not install etcd-server (${(err as Error).message}); or set ETCD.`, { cause: err });
  }
}

/** Both binaries, building kube-apiserver / installing etcd when missing. Quick when both are present. */
export function ensureKubeBinaries(log: (line: string) => void = () => {}): KubeBinaries {
  if (!find('ETCD', 'etcd')) installEtcd(log);
  if (!find('KUBE_APISERVER', 'kube-apiserver')) buildKubeApiserver(log);
  return findKubeBinaries();
}
