/**
 * Canonical JSON (sorted keys, no undefined) and SHA-256, in pure JS so the workflow bundle can
 * compute action digests and the evidence hash chain deterministically, and the CLI can check
 * them with exactly the same code.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js';

export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map((v) => (v === undefined ? null : sortKeys(v)));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) {
      const v = (value as Record<string, unknown>)[key];
      if (v !== undefined) out[key] = sortKeys(v);
    }
    return out;
  }
  return value;
}

export function sha256Hex(text: string | Uint8Array): string {
  return bytesToHex(sha256(typeof text === 'string' ? utf8ToBytes(text) : text));
}

/** What an approval is bound to: the action, its target and its exact arguments. */
export function actionDigest(action: { action: string; target: string; args: unknown }): string {
  return sha256Hex(canonicalJson({ action: action.action, target: action.target, args: action.args ?? null }));
}
