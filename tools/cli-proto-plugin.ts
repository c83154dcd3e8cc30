/**
 * An esbuild plugin for the compiled CLI: @temporalio/proto's descriptor of every Temporal API, as a
 * JSON string without the parts no client call uses. Building protobufjs's reflection of that
 * descriptor is the largest single cost of loading the Temporal client (about 100 ms of CPU for a
 * `status` call); a third of it is the Temporal Cloud operations API, the SDK core's worker protocol
 * (`coresdk`) and the OpenAPI annotations' own types, and a 1.5 MB object literal parses slower than
 * the same JSON through JSON.parse. The root is otherwise the one the package builds: same
 * registry slot, same types, same options; cli/lazy-proto-root.ts then builds each message's fields
 * only when a call first uses that message.
 *
 * The build fails if a kept type refers into a dropped namespace (a future SDK that, say, made a
 * workflow-service call take a Cloud type), rather than the CLI failing on that call.
 */
import type { Plugin } from 'esbuild';
import { readFileSync } from 'node:fs';
import { projectRoot } from './temporal-binaries';

/** namespaces no Temporal client call reads or writes */
export const DROPPED_NAMESPACES = ['coresdk', 'temporal.api.cloud', 'grpc.gateway'] as const;

/** a namespace's JSON as protobufjs reads it; the module's top level is the root's `nested` map */
interface Descriptor {
  nested?: Record<string, Descriptor>;
  fields?: Record<string, { type: string; keyType?: string }>;
  methods?: Record<string, { requestType: string; responseType: string }>;
  [key: string]: unknown;
}

/** The object json-module.js passes to Root.addJSON, read by running the module against a stand-in for protobufjs. */
function readDescriptor(source: string, path: string): Record<string, Descriptor> {
  let descriptor: Record<string, Descriptor> | undefined;
  const protobufStandIn = {
    roots: {} as Record<string, unknown>,
    Root: class {
      addJSON(json: Record<string, Descriptor>) {
        descriptor = json;
        return this;
      }
    },
  };
  const requireStandIn = (id: string) => {
    if (id !== 'protobufjs/light') throw new Error(`${path} requires ${id}; expected only protobufjs/light`);
    return protobufStandIn;
  };
  const module = { exports: {} };
  // the package's own generated module, run at build time with a stand-in for its one dependency
  new Function('require', 'module', 'exports', source)(requireStandIn, module, module.exports);
  if (!descriptor) throw new Error(`${path} did not call Root.addJSON; @temporalio/proto changed its layout`);
  return descriptor;
}

function prune(root: Descriptor): void {
  for (const name of DROPPED_NAMESPACES) {
    const parts = name.split('.');
    const parent = parts.slice(0, -1).reduce<Descriptor | undefined>((ns, part) => ns?.nested?.[part], root);
    if (!parent?.nested?.[parts.at(-1)!]) throw new Error(`@temporalio/proto has no namespace ${name} to leave out`);
    delete parent.nested[parts.at(-1)!];
  }
  const dangling: string[] = [];
  const walk = (ns: Descriptor, path: string) => {
    const refs = [
      ...Object.values(ns.fields ?? {}).flatMap((f) => [f.type, f.keyType ?? '']),
      ...Object.values(ns.methods ?? {}).flatMap((m) => [m.requestType, m.responseType]),
    ];
    for (const ref of refs)
      if (DROPPED_NAMESPACES.some((d) => ref === d || ref.startsWith(`${d}.`) || ref.startsWith(`.${d}.`)))
        dangling.push(`${path} → ${ref}`);
    for (const [key, child] of Object.entries(ns.nested ?? {})) walk(child, path ? `${path}.${key}` : key);
  };
  walk(root, '');
  if (dangling.length) throw new Error(`@temporalio/proto types refer to namespaces the CLI leaves out:\n  ${dangling.join('\n  ')}`);
}

/** @temporalio/proto's json-module.js at `path`: its registry slot and its descriptor without DROPPED_NAMESPACES. */
export function cliTemporalDescriptor(path: string): { registry: string; descriptor: Record<string, Descriptor> } {
  const source = readFileSync(path, 'utf8');
  const registry = source.match(/\$protobuf\.roots\[("[^"]+")\]/)?.[1];
  if (!registry || !source.includes('module.exports = $root;')) throw new Error(`${path}: unexpected layout`);
  const descriptor = readDescriptor(source, path);
  prune({ nested: descriptor });
  return { registry, descriptor };
}

export function temporalProtoPlugin(): Plugin {
  return {
    name: 'temporal-proto-descriptor',
    setup(build) {
      build.onLoad({ filter: /[\\/]@temporalio[\\/]proto[\\/]protos[\\/]json-module\.js$/ }, (args) => {
        const { registry, descriptor } = cliTemporalDescriptor(args.path);
        // Added by cli/lazy-proto-root.ts, which builds each message's fields when first used.
        const contents = [
          '"use strict";',
          'var $protobuf = require("protobufjs/light");',
          'var { addJSONLazily } = require("./cli/lazy-proto-root.ts");',
          `var $root = addJSONLazily($protobuf.roots[${registry}] || ($protobuf.roots[${registry}] = new $protobuf.Root()),`,
          `  JSON.parse(${JSON.stringify(JSON.stringify(descriptor))}));`,
          'module.exports = $root;',
        ].join('\n');
        return { contents, loader: 'js', resolveDir: projectRoot };
      });
    },
  };
}
