import { execFileSync } from 'node:child_process';
import { ensureKubeBinaries, KubeBinaryError } from './kube-binaries';

try {
  const started = Date.now();
  const found = ensureKubeBinaries((line) => console.error(`[setup:kube] ${line}`));
  if (process.env.CI || process.argv.includes('--verbose')) {
    const versionOf = (bin: string) => execFileSync(bin, ['--version'], { encoding: 'utf8' }).split('\n')[0];
    console.error(`[setup:kube] etcd: ${found.etcd} (${versionOf(found.etcd)})`);
    console.error(`[setup:kube] kube-apiserver: ${found.kubeApiserver} (${versionOf(found.kubeApiserver)})`);
    console.error(`[setup:kube] ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  }
} catch (err) {
  if (err instanceof KubeBinaryError) {
    console.error(`[setup:kube] ${err.message}`);
    process.exit(1);
  }
  throw err;
}
