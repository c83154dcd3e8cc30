/**
 * `npm run dev` killed with SIGKILL leaves its detached Temporal dev server running; the next start
 * must stop that one (found by its pid file, checked by its command line) instead of failing on a
 * taken port — and must never stop a process that merely has the pid.
 */
import { spawn } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, inject } from 'vitest';
import { projectRoot } from '../tools/temporal-binaries';
import { startDevServer, type DevServer } from '../worker/dev-server';
import { isOurServer, pidFileFor } from '../worker/dev-server-leftover';
import { freePort } from './support/ports';

const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
  });
}

async function setup() {
  const dir = await mkdtemp(join(tmpdir(), 'tourniquet-dev-'));
  cleanup.push(() => rm(dir, { recursive: true, force: true }));
  return { dbFile: join(dir, 'temporal.db'), port: await freePort(), uiPort: await freePort(), binary: inject('temporalCli') };
}

describe('the embedded dev server', () => {
  it('should stop the server a SIGKILLed stack left behind and start again on the same port, but not while that stack runs', async () => {
    const o = await setup();
    const stack = spawn(process.execPath, ['--import', 'tsx', 'test/support/dev-server-process.ts'], {
      cwd: projectRoot,
      env: { ...process.env, DEV_BINARY: o.binary, DEV_DB: o.dbFile, DEV_PORT: String(o.port), DEV_UI_PORT: String(o.uiPort) },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    await new Promise<void>((resolve, reject) => {
      stack.stdout!.on('data', (c: Buffer) => c.toString().includes('serving') && resolve());
      stack.once('exit', (code) => reject(new Error(`the stack exited (${code}) before serving`)));
    });
    // while its stack runs, the server is in use: a second start is refused, and stops nothing
    await expect(startDevServer({ ...o, namespace: 'default' })).rejects.toThrow(
      `another \`tourniquet dev\` (pid ${stack.pid}) is running on ${o.dbFile}`,
    );
    expect(await listening(o.port)).toBe(true);

    const exited = new Promise((r) => stack.once('exit', r));
    stack.kill('SIGKILL');
    await exited;
    expect(await listening(o.port)).toBe(true); // the leftover: what used to make the next start fail

    const server: DevServer = await startDevServer({ ...o, namespace: 'default' });
    cleanup.push(() => server.stop());
    expect(server.address).toBe(`127.0.0.1:${o.port}`);
    expect(existsSync(pidFileFor(o.dbFile))).toBe(true);
    await server.stop();
    expect(existsSync(pidFileFor(o.dbFile))).toBe(false);
  });

  it('should leave alone a process whose pid the pid file names but which is not that server', async () => {
    const o = await setup();
    const bystander = spawn('sleep', ['120'], { stdio: 'ignore' });
    cleanup.push(async () => bystander.kill('SIGKILL'));
    writeFileSync(pidFileFor(o.dbFile), JSON.stringify({ pid: bystander.pid }));

    const server = await startDevServer({ ...o, namespace: 'default' });
    cleanup.push(() => server.stop());
    expect(bystander.exitCode).toBeNull();
    expect(bystander.signalCode).toBeNull();
  });

  it('should recognise only that binary serving that database file', () => {
    const args = ['/opt/temporal', 'server', 'start-dev', '--db-filename', '/data/temporal.db', '--port', '7233'];
    expect(isOurServer(args, '/opt/temporal', '/data/temporal.db')).toBe(true);
    expect(isOurServer(args, '/opt/temporal', '/other/temporal.db')).toBe(false);
    expect(isOurServer(args, '/usr/bin/temporal', '/data/temporal.db')).toBe(false);
    expect(isOurServer(['/usr/bin/sleep', '120'], '/opt/temporal', '/data/temporal.db')).toBe(false);
    expect(isOurServer(undefined, '/opt/temporal', '/data/temporal.db')).toBe(false);
  });
});
