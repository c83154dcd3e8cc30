/**
 * A detached guard for the control plane's processes. `process.on('exit')` does not run when the
 * test process is killed by a signal (a vitest worker torn down, Ctrl-C on a hung run), and Linux
 * gives Node no parent-death signal, so a tiny separate process watches the parent: if it goes,
 * the guard kills etcd and kube-apiserver and removes the temp dir. It exits by itself once the
 * children are gone (a normal stop).
 */
import { spawn } from 'node:child_process';

const GUARD = `
const [parent, dir, ...pids] = process.argv.slice(1).map((a, i) => (i === 1 ? a : Number(a)));
const alive = (pid) => { try { process.kill(pid, 0); return true; } catch { return false; } };
const timer = setInterval(() => {
  if (!pids.some(alive)) process.exit(0);
  if (alive(parent)) return;
  clearInterval(timer);
  for (const pid of pids) { try { process.kill(pid, 'SIGKILL'); } catch {} }
  if (!process.env.KUBE_TEST_KEEP) {
    setTimeout(() => { require('node:fs').rmSync(dir, { recursive: true, force: true }); process.exit(0); }, 500);
  } else process.exit(0);
}, 500);
`;

export function startWatchdog(dir: string, pids: number[]): void {
  const guard = spawn(process.execPath, ['-e', GUARD, String(process.pid), dir, ...pids.map(String)], {
    detached: true,
    stdio: 'ignore',
  });
  guard.unref();
}
