/**
 * Looking at histories as the server stores them: every payload of a fetched history, and those
 * payloads decoded through a codec server over HTTP, the way the Temporal CLI and UI do it.
 */
import type { Client } from '@temporalio/client';
import type { Payload } from '@temporalio/common';

/** Every Payload in a history (proto objects from `fetchHistory()`), wherever it sits. */
export function payloadsOf(node: unknown, out: Payload[] = [], seen = new Set<unknown>()): Payload[] {
  if (node === null || typeof node !== 'object' || seen.has(node) || ArrayBuffer.isView(node)) return out;
  seen.add(node);
  const o = node as Record<string, unknown>;
  const metadata = o.metadata as Record<string, unknown> | undefined;
  if (metadata && typeof metadata === 'object' && ArrayBuffer.isView(metadata.encoding)) {
    out.push(o as Payload);
    return out;
  }
  for (const value of Array.isArray(node) ? node : Object.values(o)) payloadsOf(value, out, seen);
  return out;
}

export const encodingOf = (p: Payload) => Buffer.from(p.metadata!.encoding!).toString('utf8');

/** POSTs payloads to `<endpoint>/<op>` as the codec-server protocol says. */
export async function codecCall(
  endpoint: string,
  op: 'decode' | 'encode',
  payloads: Payload[],
  headers: Record<string, string>,
): Promise<{ status: number; body: any }> {
  const res = await fetch(`${endpoint}/${op}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-namespace': 'default', ...headers },
    body: JSON.stringify({
      payloads: payloads.map((p) => ({
        metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v!).toString('base64')])),
        ...(p.data ? { data: Buffer.from(p.data).toString('base64') } : {}),
      })),
    }),
  });
  return { status: res.status, body: await res.json() };
}

/** The decoded payloads' data as text (JSON), one string: what a person sees through the codec. */
export function decodedText(body: { payloads: Array<{ data?: string }> }): string {
  return body.payloads.map((p) => (p.data ? Buffer.from(p.data, 'base64').toString('utf8') : '')).join('\n');
}

/** A JSON document's text plus every base64 string in it decoded (payload data as the Temporal CLI prints it). */
export function jsonText(json: string): string {
  const out = [json];
  const walk = (v: unknown): void => {
    if (typeof v === 'string') {
      if (v.length >= 8 && /^[A-Za-z0-9+/]+={0,2}$/.test(v)) out.push(Buffer.from(v, 'base64').toString('utf8'));
    } else if (v && typeof v === 'object') for (const x of Object.values(v)) walk(x);
  };
  walk(JSON.parse(json));
  return out.join('\n');
}

/** A history's payloads decoded, so a search sees what Temporal stores, not its base64. */
export async function historyText(client: Client, workflowId: string): Promise<string> {
  const history = await client.workflow.getHandle(workflowId).fetchHistory();
  // Payload bytes come as base64 (`data`) or as byte arrays, depending on how they were read.
  return JSON.stringify(history, (k, v) => {
    if (v instanceof Uint8Array) return Buffer.from(v).toString('utf8');
    if (v && v.type === 'Buffer' && Array.isArray(v.data)) return Buffer.from(v.data).toString('utf8');
    if (k === 'data' && typeof v === 'string') return Buffer.from(v, 'base64').toString('utf8');
    return v;
  });
}
