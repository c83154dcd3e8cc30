import { ensureMotoServer, MotoBinaryError } from './moto-binary';

try {
  const found = ensureMotoServer((line) => console.error(`[setup:moto] ${line}`));
  if (process.env.CI || process.argv.includes('--verbose'))
    console.error(`[setup:moto] moto_server: ${[found.command, ...found.args].join(' ')}`);
} catch (err) {
  if (err instanceof MotoBinaryError) {
    console.error(`[setup:moto] ${err.message}`);
    process.exit(1);
  }
  throw err;
}
