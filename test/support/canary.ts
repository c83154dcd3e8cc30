/**
 * What the secret canary seeds and looks for: secrets of the shapes an attack review pasted into
 * titles, params, alerts and reasons; the real entry points (worker, gateway, codec server) as
 * child processes whose output is kept; and a search that names the secret it found, and where.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { projectRoot } from '../../tools/temporal-binaries';

// Assembled at runtime so no secret-shaped literal is committed.
const PEM_BODY = Array.from({ length: 24 }, (_, i) => `MIIEvQIBADANBgkqhkiG9w0BAQEFAASC${String(i).padStart(2, '0')}${'Q2FuYXJ5S2V5'.repeat(2)}Zm9v`.slice(0, 64));

export const SECRETS = {
  github: 'ghp_' + 'C4nary'.repeat(6),
  aws: 'AKIA' + 'CANARY2345ZZ' + 'Q7XZ',
  slack: ['xoxb', '2718281828', '3141592653', 'C4n4ryT0k3nXyZ'.repeat(2)].join('-'),
  pem: `-----BEGIN RSA ${'PRIVATE'} KEY-----\n${PEM_BODY.join('\n')}\n-----END RSA ${'PRIVATE'} KEY-----`,
  url: 'https://x.example/?password=hunter2hunter2',
};

/** The strings that must never appear: each secret, and every line of the key's body (any part of it surviving counts). */
export const NEEDLES: Array<[string, string]> = [
  ['github token', SECRETS.github],
  ['AWS key id', SECRETS.aws],
  ['Slack token', SECRETS.slack],
  ['URL password', 'hunter2hunter2'],
  ...PEM_BODY.map((line, i): [string, string] => [`private key line ${i + 1}`, line]),
];

/** Which secrets a text holds, by name: empty is the only good answer. */
export function secretsIn(text: string): string[] {
  return NEEDLES.filter(([, needle]) => text.includes(needle)).map(([name]) => name);
}

/** Every secret at once, as a person pastes them (a reason, a title, a description). */
export const allSecrets = (prefix: string) => `${prefix}: ${SECRETS.github} ${SECRETS.aws} ${SECRETS.slack} ${SECRETS.url}\n${SECRETS.pem}`;
/** The same without the key: for fields whose limit is under the key's length. */
export const shortSecrets = (prefix: string) => `${prefix}: ${SECRETS.github} ${SECRETS.aws} ${SECRETS.slack} ${SECRETS.url}`;

/**
 * 975 characters that redaction makes longer than the 1000 a label may have: each 20-character
 * key id becomes a 60-character fingerprint. Clipped before redaction, this label failed the
 * incident at start after the gateway had answered `202 new`.
 */
export const growingLabel = Array.from({ length: 40 }, (_, i) => `AKIA${String(i).padStart(2, '0')}CANARY23ZZQQXY`).join(' ').padEnd(975, '.');

export interface ChildOutput {
  child: ChildProcess;
  output(): string;
  /** resolves once the output contains `text` */
  waitFor(text: string, timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

/** Runs one of Tourniquet's entry points (`worker/main.ts`, `gateway/main.ts`, `cli/main.ts …`) with this environment, keeping its output. */
export function spawnEntry(args: string[], env: Record<string, string>): ChildOutput {
  const child = spawn(process.execPath, ['--import', 'tsx', ...args], { cwd: projectRoot, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (output += c.toString()));
  return {
    child,
    output: () => output,
    async waitFor(text, timeoutMs = 60_000) {
      const deadline = Date.now() + timeoutMs;
      while (!output.includes(text)) {
        if (child.exitCode !== null) throw new Error(`${args.join(' ')} exited (${child.exitCode}):\n${output}`);
        if (Date.now() > deadline) throw new Error(`${args.join(' ')} did not say "${text}" within ${timeoutMs} ms:\n${output}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Every file under a directory, with its bytes as text (latin1, so binary files search too). */
export async function filesUnder(dir: string, match: (name: string) => boolean = () => true): Promise<Array<{ path: string; text: string }>> {
  const out: Array<{ path: string; text: string }> = [];
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile() || !match(entry.name)) continue;
    const path = join(entry.parentPath, entry.name);
    out.push({ path, text: (await readFile(path)).toString('latin1') });
  }
  return out;
}
