/**
 * GitHub's official OpenAPI description (`@octokit/openapi`, api.github.com) as the fake's rule
 * book: every request is matched to an operation and its path parameters, query and JSON body are
 * validated against the operation's schemas; the fake's own answers are validated against the
 * response schemas. Loaded once per test process (13 MB of JSON, ~0.3 s); validators are compiled
 * lazily, per operation, on first use.
 *
 * The only leniency is the schema dialect: the description is OpenAPI 3.0, whose `nullable: true`
 * means "or null" even next to an `enum` or a `oneOf` without a `type`; it is rewritten to the JSON
 * Schema it means (`anyOf: [schema, {type: null}]`). Unknown keywords (`example`, `x-github`,
 * `discriminator`…) are annotations to ajv (`strict: false`).
 */
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;
const SPEC_ID = 'github.json';

export interface Parameter {
  name: string;
  in: 'path' | 'query' | 'header' | 'cookie';
  required?: boolean;
  schema?: any;
}

export interface Operation {
  id: string;
  method: string;
  template: string;
  params: Parameter[];
  requestBody?: { required?: boolean; content?: Record<string, { schema?: any }> };
  responses: Record<string, any>;
  regex: RegExp;
  pathNames: string[];
  literals: number;
}

interface Spec {
  components: { schemas: Record<string, any>; parameters: Record<string, Parameter>; responses: Record<string, any> };
  paths: Record<string, Record<string, any>>;
}

/** OpenAPI 3.0 `nullable` → JSON Schema, everywhere in a (sub)schema. */
function dialect(node: any): any {
  if (Array.isArray(node)) return node.map(dialect);
  if (node === null || typeof node !== 'object') return node;
  const out: Record<string, any> = {};
  for (const [k, v] of Object.entries(node)) {
    if (k === 'nullable' || k === 'example' || k === 'examples') continue;
    out[k] =
      k === 'properties' || k === 'patternProperties' || k === '$defs'
        ? Object.fromEntries(Object.entries(v as object).map(([p, s]) => [p, dialect(s)]))
        : dialect(v);
  }
  return node.nullable === true ? { anyOf: [out, { type: 'null' }] } : out;
}

let loaded: { spec: Spec; ajv: Ajv; operations: Operation[] } | undefined;
const validators = new Map<string, ValidateFunction>();

function load() {
  if (loaded) return loaded;
  const file = createRequire(import.meta.url).resolve('@octokit/openapi/generated/api.github.com.json');
  // Every $ref points into one document, registered under SPEC_ID.
  const spec = JSON.parse(readFileSync(file, 'utf8').replaceAll('"#/components/', `"${SPEC_ID}#/components/`)) as Spec;
  const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: true, logger: false });
  addFormats(ajv);
  ajv.addSchema({ $id: SPEC_ID, components: { schemas: dialect(spec.components.schemas) } });
  const operations: Operation[] = [];
  for (const [template, item] of Object.entries(spec.paths)) {
    for (const [method, op] of Object.entries(item)) {
      if (!op || typeof op !== 'object' || !op.operationId) continue;
      const pathNames: string[] = [];
      const pattern = template.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\\?\{([^}]+)\\?\}/g, (_m, name: string) => {
        pathNames.push(name);
        return '([^/]+)';
      });
      const params = [...(item.parameters ?? []), ...(op.parameters ?? [])].map((p: any) => resolveParam(spec, p));
      operations.push({
        id: op.operationId,
        method: method.toUpperCase(),
        template,
        params,
        requestBody: op.requestBody,
        responses: op.responses ?? {},
        regex: new RegExp(`^${pattern}$`),
        pathNames,
        literals: template.split('/').filter((s) => s && !s.startsWith('{')).length,
      });
    }
  }
  // The most literal template wins: /actions/secrets/public-key before /actions/secrets/{secret_name}.
  operations.sort((a, b) => b.literals - a.literals);
  loaded = { spec, ajv, operations };
  return loaded;
}

function resolveParam(spec: Spec, p: any): Parameter {
  const ref = typeof p.$ref === 'string' ? p.$ref.replace(`${SPEC_ID}#/components/parameters/`, '') : undefined;
  return ref ? spec.components.parameters[ref]! : p;
}

export function findOperation(method: string, path: string): { op: Operation; pathParams: Record<string, string> } | undefined {
  for (const op of load().operations) {
    if (op.method !== method) continue;
    const m = op.regex.exec(path);
    if (!m) continue;
    const pathParams = Object.fromEntries(op.pathNames.map((n, i) => [n, decodeURIComponent(m[i + 1]!)]));
    return { op, pathParams };
  }
  return undefined;
}

export function validator(key: string, schema: any): ValidateFunction {
  let v = validators.get(key);
  if (!v) {
    v = load().ajv.compile(dialect(schema));
    validators.set(key, v);
  }
  return v;
}

/** Query and path values arrive as strings: typed as the parameter's schema says, or left to fail. */
export function coerce(value: string, schema: any): unknown {
  const type = schema?.type ?? (schema?.$ref ? resolveSchema(schema.$ref)?.type : undefined);
  if ((type === 'integer' || type === 'number') && /^-?\d+(\.\d+)?$/.test(value)) return Number(value);
  if (type === 'boolean' && (value === 'true' || value === 'false')) return value === 'true';
  if (type === 'array') return value.split(',');
  return value;
}

export function resolveSchema(ref: string): any {
  return load().spec.components.schemas[ref.replace(`${SPEC_ID}#/components/schemas/`, '')];
}

export function resolveResponse(response: any): any {
  if (typeof response?.$ref === 'string')
    return load().spec.components.responses[response.$ref.replace(`${SPEC_ID}#/components/responses/`, '')];
  return response;
}

export function describeErrors(errors: ErrorObject[] | null | undefined, where: string): string {
  return (errors ?? [])
    .slice(0, 5)
    .map(
      (e) =>
        `For '${where}${e.instancePath}', ${e.message}${e.params && 'additionalProperty' in e.params ? ` (${String(e.params.additionalProperty)})` : ''}`,
    )
    .join('\n');
}

/** Loads the description now (e.g. in beforeAll), so the first request is not the slow one. */
export function preloadSpec(): number {
  return load().operations.length;
}
