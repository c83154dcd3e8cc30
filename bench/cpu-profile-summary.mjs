#!/usr/bin/env node
/**
 * Top self-time functions of V8 CPU profiles (`node --cpu-prof`), without a profiler UI: for reading
 * where a bench's hot path spends its time (see "Profiling the intake" in docs/development.md).
 *
 *   node bench/cpu-profile-summary.mjs PROFILE.cpuprofile [more…] [--top 40] [--by file]
 *
 * Self time is the time a sample was taken inside the function itself (not its callees); `--by file`
 * adds it up per source file instead (node_modules packages by package), which shows which layer
 * costs most.
 */
import { readFileSync } from 'node:fs';
import process from 'node:process';
import console from 'node:console';

const args = process.argv.slice(2);
let top = 40;
let byFile = false;
const files = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--top') top = Number(args[++i]);
  else if (args[i] === '--by') byFile = args[++i] === 'file';
  else files.push(args[i]);
}
if (files.length === 0) {
  console.error('usage: cpu-profile-summary.mjs PROFILE.cpuprofile [more…] [--top N] [--by file]');
  process.exit(2);
}

function place(url, name) {
  // (idle), (program), (garbage collector), or a native function
  if (!url) return name.startsWith('(') ? name : `native ${name}`;
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return `npm:${pkg[1]}`;
  return url.replace(/^file:\/\//, '').replace(process.cwd() + '/', '');
}

const self = new Map();
let total = 0;
for (const file of files) {
  const profile = JSON.parse(readFileSync(file, 'utf8'));
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  // timeDeltas[i] is the time before sample i; attribute it to the sampled node
  for (let i = 0; i < profile.samples.length; i++) {
    const node = nodes.get(profile.samples[i]);
    const dt = profile.timeDeltas[i] ?? 0;
    total += dt;
    const cf = node.callFrame;
    const key = byFile
      ? place(cf.url, cf.functionName)
      : cf.url
        ? `${cf.functionName || '(anonymous)'}  ${place(cf.url, cf.functionName)}:${cf.lineNumber + 1}`
        : place(cf.url, cf.functionName);
    self.set(key, (self.get(key) ?? 0) + dt);
  }
}
const rows = [...self].sort((a, b) => b[1] - a[1]).slice(0, top);
console.log(`total sampled ${(total / 1e6).toFixed(2)} s over ${files.length} profile(s)`);
for (const [key, us] of rows)
  console.log(`${((us / total) * 100).toFixed(1).padStart(5)}%  ${(us / 1e3).toFixed(0).padStart(7)} ms  ${key}`);
