/**
 * The keys that may sign decisions, from an OpenSSH `allowed_signers` file (the format
 * `ssh-keygen -Y verify -f` reads, so people can check a signature with the same file), plus the
 * Slack gateway's key. Read once at start-up; a line that cannot be used stops the worker.
 */
import { readFileSync } from 'node:fs';
import { parsePublicKey, SIGNATURE_NAMESPACE, type TrustSnapshot } from '../../workflows';
import type { PolicyFile } from './policies';

export interface TrustConfig {
  mode: TrustSnapshot['mode'];
  /** identity → its `ssh-ed25519 AAAA…` keys */
  signers: Record<string, string[]>;
  /** `<identity> <key line>` → its `valid-after` / `valid-before` window (ms), as allowed_signers gives it */
  validity?: Record<string, { after?: number; before?: number }>;
  /** the Slack gateway's public keys: trusted only for the Slack users it attests */
  slackGateway: string[];
}

export class SignersFileError extends Error {
  override name = 'SignersFileError';
}

/** Splits on spaces outside double quotes (options like namespaces="a,b"). */
function fields(line: string): string[] {
  return line.match(/(?:[^\s"]+|"[^"]*")+/g) ?? [];
}

/** `YYYYMMDD[HHMM[SS]][Z]`, as ssh-keygen reads valid-after / valid-before (local time unless Z). */
function sshTime(value: string, where: string): number {
  const m = /^(\d{4})(\d{2})(\d{2})(?:(\d{2})(\d{2})(\d{2})?)?(Z)?$/.exec(value);
  if (!m) throw new SignersFileError(`${where}: bad time "${value}" (YYYYMMDD[HHMM[SS]][Z])`);
  const [, y, mo, d, h = '0', mi = '0', s = '0', z] = m;
  const args = [Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s)] as const;
  return z ? Date.UTC(...args) : new Date(...args).getTime();
}

export function parseAllowedSigners(text: string, source = 'allowed_signers'): Record<string, string[]> {
  return parseAllowedSignersWithValidity(text, source).signers;
}

export function parseAllowedSignersWithValidity(text: string, source = 'allowed_signers'): Pick<TrustConfig, 'signers' | 'validity'> {
  const signers: Record<string, string[]> = {};
  const validity: NonNullable<TrustConfig['validity']> = {};
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (!line || line.startsWith('#')) return;
    const where = `${source} line ${i + 1}`;
    const parts = fields(line);
    const principals = parts.shift()!.replace(/^"|"$/g, '').split(',');
    let keyAt = parts.findIndex((p) => p.startsWith('ssh-') || p.startsWith('ecdsa-') || p.startsWith('sk-'));
    if (keyAt < 0) throw new SignersFileError(`${where}: no public key`);
    const options = parts.slice(0, keyAt).join(',');
    if (parts[keyAt] !== 'ssh-ed25519') throw new SignersFileError(`${where}: ${parts[keyAt]} keys cannot sign decisions; use ssh-ed25519`);
    const namespaces = /namespaces="([^"]*)"/.exec(options)?.[1];
    if (namespaces && !namespaces.split(',').includes(SIGNATURE_NAMESPACE)) return; // a key for other uses
    if (/cert-authority/.test(options)) throw new SignersFileError(`${where}: cert-authority lines are not supported`);
    let key;
    try {
      key = parsePublicKey(`${parts[keyAt]} ${parts[++keyAt] ?? ''}`);
    } catch (err) {
      throw new SignersFileError(`${where}: ${(err as Error).message}`);
    }
    const after = /valid-after="?([0-9Z]+)"?/.exec(options)?.[1];
    const before = /valid-before="?([0-9Z]+)"?/.exec(options)?.[1];
    const window = { ...(after ? { after: sshTime(after, where) } : {}), ...(before ? { before: sshTime(before, where) } : {}) };
    for (const principal of principals) {
      if (after || before) validity[`${principal} ${key.line}`] = window;
      if (/[*?!]/.test(principal))
        throw new SignersFileError(`${where}: principal patterns (${principal}) are not allowed: name each identity`);
      (signers[principal] ??= []).push(key.line);
    }
  });
  return { signers, validity };
}

export function loadAllowedSigners(path: string): Record<string, string[]> {
  return loadAllowedSignersWithValidity(path).signers;
}

export function loadAllowedSignersWithValidity(path: string): Pick<TrustConfig, 'signers' | 'validity'> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new SignersFileError(`cannot read allowed signers ${path}: ${(err as Error).message}`);
  }
  return parseAllowedSignersWithValidity(text, path);
}

/** A public key given inline (`ssh-ed25519 AAAA…`) or as the path of a `.pub` file. */
export function loadPublicKey(value: string, name: string): string {
  const text = value.trim().startsWith('ssh-') ? value : readFileSync(value, 'utf8');
  try {
    return parsePublicKey(text).line;
  } catch (err) {
    throw new SignersFileError(`${name}: ${(err as Error).message}`);
  }
}

/** What a gate records: every signer's keys valid now (valid-after / valid-before), and Slack users. */
export function trustSnapshot(config: TrustConfig, people: PolicyFile['people'], now = Date.now()): TrustSnapshot {
  const slack = Object.fromEntries(Object.entries(people).map(([id, p]) => [id, p.slack]));
  const current = (id: string, line: string) => {
    const window = config.validity && Object.hasOwn(config.validity, `${id} ${line}`) ? config.validity[`${id} ${line}`]! : {};
    return (window.after === undefined || now >= window.after) && (window.before === undefined || now < window.before);
  };
  const keys = Object.fromEntries(Object.entries(config.signers).map(([id, lines]) => [id, lines.filter((line) => current(id, line))]));
  return { mode: config.mode, keys, slack, slackGateway: config.slackGateway };
}
