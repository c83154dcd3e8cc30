/**
 * Headless Chromium for the postmortem test (it renders the HTML export and takes a screenshot):
 * Debian's package, installed with apt-get when missing and we are root; otherwise a clear message.
 */
import { execFileSync } from 'node:child_process';
import { onPath } from './executables';

const found = onPath('chromium') ?? onPath('chromium-browser');
if (found) {
  if (process.argv.includes('--verbose')) console.error(`[setup] chromium: ${found}`);
} else if (process.getuid?.() === 0 && onPath('apt-get')) {
  console.error('[setup] installing Debian chromium (once per machine)');
  const apt = (args: string[]) =>
    execFileSync('apt-get', ['-o', 'DPkg::Lock::Timeout=300', ...args], {
      stdio: ['ignore', 'ignore', 'inherit'],
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    });
  apt(['update', '-qq']);
  apt(['install', '-y', '-qq', 'chromium']);
} else {
  console.error(
    '[setup] headless Chromium is missing: install it (Debian/Ubuntu: sudo apt-get install chromium) — the postmortem HTML test needs it',
  );
  process.exit(1);
}
