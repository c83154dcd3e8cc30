import { ensureTemporalBinaries, TemporalBinaryError } from './temporal-binaries';

try {
  const found = ensureTemporalBinaries((line) => console.error(`[setup] ${line}`));
  if (process.env.CI || process.argv.includes('--verbose')) {
    for (const [name, path] of Object.entries(found)) console.error(`[setup] ${name}: ${path}`);
  }
} catch (err) {
  if (err instanceof TemporalBinaryError) {
    console.error(`[setup] ${err.message}`);
    process.exit(1);
  }
  throw err;
}
