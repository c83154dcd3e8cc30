#!/usr/bin/env node
/**
 * Where a worker's CPU goes, by layer, over a time window of V8 CPU profiles (`node --cpu-prof`,
 * one profile per thread): the whole stack of each sample decides its layer (redaction, activities,
 * data converter, logging, the workflow VM split into the SDK and our workflow code, the core bridge,
 * the bench's own client), where cpu-profile-summary.mjs only sees the function a sample stopped in.
 *
 *   node bench/cpu-profile-layers.mjs PROFILE.cpuprofile [more…] [--from S] [--to S] [--per N] [--detail LAYER]
 *                                     [--bundle-map FILE]
 *
 * --from/--to: seconds of the monotonic clock the profiles are stamped with (on Linux that of
 * /proc/uptime), e.g. the times the bench printed the round's first and last lines; --per N divides
 * by N (incidents) to print ms per incident; --detail LAYER lists that layer's top self-time functions.
 * --bundle-map: the workflow bundle's source map (the bench writes it with BENCH_BUNDLE_MAP=FILE);
 * with it, time in the workflow sandbox is split by the source of the function it was in: the SDK's
 * workflow runtime, our workflows/ and playbooks/, and the libraries they use.
 */
import { readFileSync } from 'node:fs';
import process from 'node:process';
import console from 'node:console';
import { SourceMapConsumer } from 'source-map';

const args = process.argv.slice(2);
const files = [];
let from = -Infinity;
let to = Infinity;
let per = 0;
let detail;
let bundleMap;
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--from') from = Number(args[++i]) * 1e6;
  else if (args[i] === '--to') to = Number(args[++i]) * 1e6;
  else if (args[i] === '--per') per = Number(args[++i]);
  else if (args[i] === '--detail') detail = args[++i];
  else if (args[i] === '--bundle-map') bundleMap = args[++i];
  else files.push(args[i]);
}
if (files.length === 0) {
  console.error('usage: cpu-profile-layers.mjs PROFILE.cpuprofile [more…] [--from S] [--to S] [--per N] [--detail LAYER]');
  process.exit(2);
}

/**
 * The first rule (in this order) that any frame of a sample's stack matches names its layer: a
 * redaction called from an activity counts as redaction, a payload decoded for the workflow thread
 * as the data converter.
 */
const bundleSource = await (async () => {
  if (!bundleMap) return () => undefined;
  const consumer = await new SourceMapConsumer(JSON.parse(readFileSync(bundleMap, 'utf8')));
  const cache = new Map();
  return (cf) => {
    const key = `${cf.lineNumber}:${cf.columnNumber}`;
    if (!cache.has(key)) cache.set(key, consumer.originalPositionFor({ line: cf.lineNumber + 1, column: cf.columnNumber }).source ?? '');
    return cache.get(key);
  };
})();

/** Where a workflow bundle's function came from, by its source path in the bundle's map. */
function sandboxLayer(source) {
  if (/@temporalio\/workflow\//.test(source)) return 'workflow VM: SDK workflow runtime';
  if (/@temporalio\/common\/.*converter/.test(source)) return 'workflow VM: data converter';
  if (/@temporalio\//.test(source)) return 'workflow VM: SDK common';
  if (/node_modules\/zod\//.test(source)) return 'workflow VM: zod (our schemas)';
  if (/node_modules\//.test(source)) return 'workflow VM: other libraries';
  if (/(^|\/)(workflows|playbooks)\//.test(source)) return 'workflow VM: our workflow code';
  return source ? 'workflow VM: other bundle code' : undefined;
}

const RULES = [
  ['redaction: secretlint', (u) => u.includes('@secretlint/') || u.includes('/redaction/secretlint')],
  ['redaction: own rules', (u) => u.includes('/redaction/')],
  ['evidence store', (u) => u.includes('/activities/evidence/')],
  ['activities: notify', (u) => u.includes('/activities/notify/')],
  // the bench's probes wrap the demo world's reads and the notifier the gate-open mark comes from
  ['activities: other', (u) => u.includes('/activities/') || u.includes('/bench/probes')],
  [
    'logging (pino, the SDK logger and its metadata)',
    (u) => u.includes('/pino') || u.includes('/worker/logger') || /\/(worker|common)\/lib\/logger/.test(u),
  ],
  ['SDK: activations to and from the workflow thread', (u, n) => u.includes('/workflow/threaded-vm') || (n === 'postMessage' && !u)],
  ['data converter', (u) => /\/common\/lib\/converter\//.test(u) || u.includes('/payload-codec')],
  ['zod', (u) => u.includes('/zod/')],
  ['bench client (load generator)', (u) => u.includes('/@temporalio/client/') || u.includes('/bench/incident') || u.includes('/client/')],
  // the SDK's promise hook: a stack captured and source-mapped for every promise made in a workflow
  [
    'workflow VM: SDK promise hook (a stack per promise)',
    (u, n) => /\/workflow\/vm-shared/.test(u) && (n === 'init' || n === 'Error.prepareStackTrace'),
  ],
  ['workflow VM: bundle (no --bundle-map)', (u) => /workflow-bundle-.*\.js/.test(u)],
  ['workflow VM: SDK entry into the sandbox', (u) => u.startsWith('evalmachine')],
  ['workflow VM: other code under a VM call', (_u, n) => n === 'runInContext'],
  ['core bridge', (u) => u.includes('/@temporalio/core-bridge/')],
  ['protobuf (de)serialization', (u) => u.includes('/protobufjs/') || u.includes('/@temporalio/proto/')],
  ['SDK worker (activities, workflow threads, rxjs)', (u) => u.includes('/@temporalio/worker/') || u.includes('/rxjs/')],
  ['SDK common', (u) => u.includes('/@temporalio/common/')],
  ['grpc-js', (u) => u.includes('/@grpc/')],
  ['source maps (stack traces)', (u) => u.includes('source_map') || u.includes('/source-map/')],
];

const PROMISE_HOOK = RULES.findIndex(([name]) => name.includes('promise hook'));

const layers = new Map();
const details = new Map();
let busy = 0;
let idle = 0;
for (const file of files) {
  const profile = JSON.parse(readFileSync(file, 'utf8'));
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const layerOf = new Map();
  const classify = (id) => {
    if (layerOf.has(id)) return layerOf.get(id);
    const stack = [];
    for (let at = id; at !== undefined; at = parent.get(at)) stack.push(nodes.get(at).callFrame);
    let layer;
    // inside the sandbox, the function the sample stopped in (mapped to its source) names the layer
    const leaf0 = stack[0];
    if (/workflow-bundle-.*\.js/.test(leaf0.url)) layer = sandboxLayer(bundleSource(leaf0));
    // a VM call's own time: entering the context, and the watchdog thread Node starts and joins per call
    else if (leaf0.functionName === 'runInContext' && !leaf0.url) layer = 'workflow VM: the VM call itself (watchdog thread per call)';
    const hook = RULES[PROMISE_HOOK];
    if (!layer && stack.some((cf) => hook[1](cf.url, cf.functionName))) layer = hook[0];
    // a builtin (JSON, RegExp, …) called from sandboxed code counts where its caller came from
    const caller = layer ? undefined : stack.find((cf) => /workflow-bundle-.*\.js/.test(cf.url));
    if (caller) layer = sandboxLayer(bundleSource(caller));
    for (const [name, test] of layer ? [] : RULES) {
      if (stack.some((cf) => test(cf.url, cf.functionName))) {
        layer = name;
        break;
      }
    }
    const leaf = stack[0];
    layer ??= leaf.functionName === '(garbage collector)' ? 'GC' : leaf.functionName === '(program)' ? '(program)' : 'other';
    layerOf.set(id, layer);
    return layer;
  };
  let t = profile.startTime;
  for (let i = 0; i < profile.samples.length; i++) {
    const dt = profile.timeDeltas[i] ?? 0;
    t += dt;
    if (t < from || t > to) continue;
    const node = nodes.get(profile.samples[i]);
    if (node.callFrame.functionName === '(idle)') {
      idle += dt;
      continue;
    }
    busy += dt;
    const layer = classify(node.id);
    layers.set(layer, (layers.get(layer) ?? 0) + dt);
    if (detail && layer === detail) {
      const cf = node.callFrame;
      const where =
        /workflow-bundle-/.test(cf.url) && bundleMap ? bundleSource(cf) : `${cf.url.replace(/^.*node_modules\//, '')}:${cf.lineNumber + 1}`;
      const key = `${cf.functionName || '(anonymous)'}  ${where}`;
      details.set(key, (details.get(key) ?? 0) + dt);
    }
  }
}
const ms = (us) => (us / 1e3).toFixed(0).padStart(7);
const perInc = (us) => (per ? `  ${(us / 1e3 / per).toFixed(1).padStart(6)} ms/incident` : '');
console.log(`busy ${(busy / 1e6).toFixed(2)} s, idle ${(idle / 1e6).toFixed(2)} s over ${files.length} profile(s)${perInc(busy)}`);
for (const [layer, us] of [...layers].sort((a, b) => b[1] - a[1]))
  console.log(`${((us / busy) * 100).toFixed(1).padStart(5)}%  ${ms(us)} ms${perInc(us)}  ${layer}`);
if (detail) {
  console.log(`\n${detail}: top self time`);
  for (const [key, us] of [...details].sort((a, b) => b[1] - a[1]).slice(0, 30)) console.log(`  ${ms(us)} ms  ${key}`);
}
