import { execFileSync } from 'node:child_process';
import { AlertmanagerBinaryError, ensureAlertmanager } from './alertmanager-binary';

try {
  const started = Date.now();
  const found = ensureAlertmanager((line) => console.error(`[setup:alertmanager] ${line}`));
  if (process.env.CI || process.argv.includes('--verbose')) {
    const version = execFileSync(found, ['--version'], { encoding: 'utf8' }).split('\n')[0];
    console.error(`[setup:alertmanager] alertmanager: ${found} (${version})`);
    console.error(`[setup:alertmanager] ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  }
} catch (err) {
  if (err instanceof AlertmanagerBinaryError) {
    console.error(`[setup:alertmanager] ${err.message}`);
    process.exit(1);
  }
  throw err;
}
