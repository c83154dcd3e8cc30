#!/usr/bin/env node
/**
 * What evaluating the workflow bundle's modules costs, from the workflow thread's V8 CPU profile
 * (`node --cpu-prof`; the profile whose `--by file` summary shows `workflow-bundle-*.js`). The SDK
 * evaluates every module not preloaded (worker/worker.ts, SHARED_WORKFLOW_MODULES) once per new
 * workflow, so this is a per-incident cost: divide by the workflows the run created.
 *
 *   node bench/workflow-module-cost.mjs WORKFLOW-THREAD.cpuprofile [--top 40]
 *
 * Webpack names each module's factory after its path (`./workflows/request.ts`). "inclusive" is the
 * time under a module's factory, the modules it imports included; "own" is the time whose nearest
 * module factory is this one: its top-level code and the library calls it makes (zod's schema
 * construction shows up as the own time of the module that builds the schema).
 */
import { readFileSync } from 'node:fs';
import process from 'node:process';
import console from 'node:console';

const args = process.argv.slice(2);
let top = 40;
const files = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--top') top = Number(args[++i]);
  else files.push(args[i]);
}
if (files.length !== 1) {
  console.error('usage: workflow-module-cost.mjs WORKFLOW-THREAD.cpuprofile [--top N]');
  process.exit(2);
}

const profile = JSON.parse(readFileSync(files[0], 'utf8'));
const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
const parentOf = new Map();
for (const n of profile.nodes) for (const c of n.children ?? []) parentOf.set(c, n.id);
const isModuleFactory = (n) => /^\.\.?\//.test(n.callFrame.functionName) && n.callFrame.url.includes('workflow-bundle');

const inclusive = new Map();
const own = new Map();
let busy = 0;
for (let i = 0; i < profile.samples.length; i++) {
  const dt = profile.timeDeltas[i] ?? 0;
  const leaf = nodes.get(profile.samples[i]);
  if (leaf.callFrame.functionName === '(idle)') continue;
  busy += dt;
  const seen = new Set();
  let nearest = true;
  for (let id = leaf.id; id !== undefined; id = parentOf.get(id)) {
    const n = nodes.get(id);
    if (!isModuleFactory(n)) continue;
    const name = n.callFrame.functionName.replace(/^(\.\.\/)+[^/]+\/node_modules\//, 'npm:');
    if (nearest) own.set(name, (own.get(name) ?? 0) + dt);
    nearest = false;
    if (!seen.has(name)) inclusive.set(name, (inclusive.get(name) ?? 0) + dt);
    seen.add(name);
  }
}

const ms = (us) => (us / 1e3).toFixed(0).padStart(7);
const evaluated = [...own.values()].reduce((a, b) => a + b, 0);
console.log(`workflow thread busy ${ms(busy).trim()} ms; in module factories ${ms(evaluated).trim()} ms`);
console.log(`${'inclusive'.padStart(10)} ${'own'.padStart(10)}  module`);
for (const [name, us] of [...inclusive].sort((a, b) => b[1] - a[1]).slice(0, top))
  console.log(`${ms(us)} ms ${ms(own.get(name) ?? 0)} ms  ${name}`);
