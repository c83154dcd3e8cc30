/**
 * A process that starts the embedded dev server (worker/dev-server.ts) as `tourniquet dev` does,
 * says "serving" and waits: a test SIGKILLs it to leave the server behind.
 */
import { startDevServer } from '../../worker/dev-server';

const env = (name: string) =>
  process.env[name] ??
  (() => {
    throw new Error(`${name} is not set`);
  })();
await startDevServer({
  binary: env('DEV_BINARY'),
  dbFile: env('DEV_DB'),
  port: Number(env('DEV_PORT')),
  uiPort: Number(env('DEV_UI_PORT')),
  namespace: 'default',
});
console.log('serving');
setInterval(() => {}, 60_000);
