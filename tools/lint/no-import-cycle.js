/**
 * ESLint rule `tourniquet/no-import-cycle`: no import cycles among the project's own modules,
 * type-only imports included. import-x/no-cycle (4.18) always skips `import type`, and a cycle of
 * types still ties modules together (the one between workflows/commands, messages and
 * incident-state was type-only), so this rule walks every import TypeScript sees: static, type-only,
 * re-exports and dynamic `import()`.
 *
 * The graph is read from disk with TypeScript's own resolution (the tsconfig's `Bundler` mode) and
 * cached per file and modification time for the lint run. An import is reported when the importing
 * file can be reached again from the module it imports; the message shows the way back.
 */
import { readFileSync, statSync } from 'node:fs';
import { dirname, relative } from 'node:path';
import ts from 'typescript';

const compilerOptions = {
  module: ts.ModuleKind.ESNext,
  moduleResolution: ts.ModuleResolutionKind.Bundler,
  resolveJsonModule: true,
};

/** file → { mtimeMs, deps: absolute paths of the project modules it imports } */
const graph = new Map();

function isProjectModule(path) {
  return /\.[cm]?[jt]sx?$/.test(path) && !path.includes('/node_modules/') && !path.endsWith('.d.ts');
}

function resolveFrom(file, specifier) {
  if (!specifier.startsWith('.')) return undefined;
  const resolved = ts.resolveModuleName(specifier, file, compilerOptions, ts.sys).resolvedModule?.resolvedFileName;
  return resolved && isProjectModule(resolved) ? resolved : undefined;
}

function depsOf(file) {
  let mtimeMs;
  try {
    mtimeMs = statSync(file).mtimeMs;
  } catch {
    return [];
  }
  const cached = graph.get(file);
  if (cached && cached.mtimeMs === mtimeMs) return cached.deps;
  const { importedFiles } = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
  const deps = [...new Set(importedFiles.map((i) => resolveFrom(file, i.fileName)).filter(Boolean))];
  graph.set(file, { mtimeMs, deps });
  return deps;
}

/** The shortest way from `start` back to `goal` through the import graph, or undefined. */
function wayBack(start, goal) {
  const previous = new Map([[start, undefined]]);
  const queue = [start];
  while (queue.length > 0) {
    const at = queue.shift();
    for (const next of depsOf(at)) {
      if (next === goal) {
        const way = [at];
        for (let p = previous.get(at); p !== undefined; p = previous.get(p)) way.unshift(p);
        return way;
      }
      if (!previous.has(next)) {
        previous.set(next, at);
        queue.push(next);
      }
    }
  }
  return undefined;
}

export const noImportCycle = {
  meta: {
    type: 'problem',
    docs: { description: 'forbid import cycles between project modules, type-only imports included' },
    schema: [],
    messages: { cycle: 'import cycle: {{way}}' },
  },
  create(context) {
    const file = context.physicalFilename;
    if (!isProjectModule(file)) return {};
    const base = context.cwd;
    const check = (node) => {
      const source = node.source;
      if (!source || source.type !== 'Literal' || typeof source.value !== 'string') return;
      const target = resolveFrom(file, source.value);
      if (!target || target === file) return;
      const way = wayBack(target, file);
      if (way)
        context.report({
          node: source,
          messageId: 'cycle',
          data: { way: [file, ...way, file].map((p) => relative(base, p) || dirname(p)).join(' → ') },
        });
    };
    return {
      ImportDeclaration: check,
      ExportNamedDeclaration: check,
      ExportAllDeclaration: check,
      ImportExpression: check,
    };
  },
};

export default { rules: { 'no-import-cycle': noImportCycle } };
