import { execFileSync } from 'node:child_process';
import { ensureMinio, MinioBinaryError } from './minio-binary';

try {
  const started = Date.now();
  const found = ensureMinio((line) => console.error(`[setup:minio] ${line}`));
  if (process.env.CI || process.argv.includes('--verbose')) {
    const version = execFileSync(found, ['--version'], { encoding: 'utf8' }).split('\n')[0];
    console.error(`[setup:minio] minio: ${found} (${version})`);
    console.error(`[setup:minio] ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  }
} catch (err) {
  if (err instanceof MinioBinaryError) {
    console.error(`[setup:minio] ${err.message}`);
    process.exit(1);
  }
  throw err;
}
