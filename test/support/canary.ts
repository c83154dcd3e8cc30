/**
 * What the secret canary seeds and looks for: secrets of the shapes an attack review pasted into
 * titles, params, alerts and reasons, and a search that names the secret it found, and where. The
 * real entry points it runs as child processes are in child-process.ts.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';

// Assembled at runtime so no secret-shaped literal is committed.
const PEM_BODY = Array.from({ length: 24 }, (_, i) =>
  `MIIEvQIBADANBgkqhkiG9w0BAQEFAASC${String(i).padStart(2, '0')}${'Q2FuYXJ5S2V5'.repeat(2)}Zm9v`.slice(0, 64),
);

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
export const growingLabel = Array.from({ length: 40 }, (_, i) => `AKIA${String(i).padStart(2, '0')}CANARY23ZZQQXY`)
  .join(' ')
  .padEnd(975, '.');

/** Every file under a directory, with its bytes as text (latin1, so binary files search too). */
export async function filesUnder(
  dir: string,
  match: (name: string) => boolean = () => true,
): Promise<Array<{ path: string; text: string }>> {
  const out: Array<{ path: string; text: string }> = [];
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile() || !match(entry.name)) continue;
    const path = join(entry.parentPath, entry.name);
    out.push({ path, text: (await readFile(path)).toString('latin1') });
  }
  return out;
}
