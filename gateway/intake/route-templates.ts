/**
 * The small expression language of alert routes, so rules stay data and are checked at start-up:
 *
 *   expression   k8s.pod.label.app ?? k8s.pod.name | workload | slug
 *                the first of the named alert fields that is present and not empty, through filters
 *   template     "quarantine {{ k8s.pod.name | slug }} in {{ k8s.ns.name }}"
 *                text with expressions in double braces
 *
 * Field names are the normalised alert's field keys, used verbatim (Falco's `k8s.ns.name` is one key,
 * dots included). Unknown filters and malformed braces are errors at compile time, never at alert time.
 */

const K8S_SUFFIX_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';
const REPLICASET_POD = new RegExp(`-[${K8S_SUFFIX_ALPHABET}]{6,10}-[${K8S_SUFFIX_ALPHABET}]{5}$`);
const GENERATED_SUFFIX = new RegExp(`-[${K8S_SUFFIX_ALPHABET}]{5}$`);

export const FILTERS: Record<string, (value: string) => string> = {
  /** lowercase letters, digits and dashes, at most 63 characters, no leading or trailing dash */
  slug: (v) =>
    v
      .toLowerCase()
      .replace(/[^a-z0-9-]+/g, '-')
      .replace(/-{2,}/g, '-')
      .replace(/^-+/, '')
      .slice(0, 63)
      .replace(/-+$/, ''),
  lower: (v) => v.toLowerCase(),
  upper: (v) => v.toUpperCase(),
  trim: (v) => v.trim(),
  /** a pod name without the suffixes Kubernetes generates: checkout-7d9f8b6c4-x2x9k → checkout */
  workload: (v) => (REPLICASET_POD.test(v) ? v.replace(REPLICASET_POD, '') : v.replace(GENERATED_SUFFIX, '')),
};

export class TemplateError extends Error {
  override name = 'TemplateError';
}

export interface Expression {
  source: string;
  fields: string[];
  evaluate(fields: Readonly<Record<string, string>>): string | undefined;
}

const FIELD = /^[^\s?|{}]+$/;

export function compileExpression(source: string): Expression {
  const [head = '', ...filterNames] = source.split('|').map((s) => s.trim());
  const names = head.split('??').map((s) => s.trim());
  for (const name of names) {
    if (!FIELD.test(name)) throw new TemplateError(`"${source}": "${name}" is not a field name`);
  }
  const filters = filterNames.map((f) => {
    const fn = FILTERS[f];
    if (!fn) throw new TemplateError(`"${source}": unknown filter "${f}" (known: ${Object.keys(FILTERS).join(', ')})`);
    return fn;
  });
  return {
    source,
    fields: names,
    evaluate(fields) {
      const raw = names.map((n) => fields[n]).find((v) => v !== undefined && v !== '');
      return raw === undefined ? undefined : filters.reduce((v, f) => f(v), raw);
    },
  };
}

export interface Template {
  source: string;
  /** renders the text; `missing` lists expressions whose fields were all absent */
  render(fields: Readonly<Record<string, string>>): { value: string; missing: string[] };
}

export function compileTemplate(source: string): Template {
  const parts: (string | Expression)[] = [];
  let rest = source;
  while (rest.length > 0) {
    const open = rest.indexOf('{{');
    const close = rest.indexOf('}}');
    if (open === -1) {
      if (close !== -1) throw new TemplateError(`"${source}": "}}" without "{{"`);
      parts.push(rest);
      break;
    }
    if (close !== -1 && close < open) throw new TemplateError(`"${source}": "}}" without "{{"`);
    const end = rest.indexOf('}}', open + 2);
    if (end === -1) throw new TemplateError(`"${source}": "{{" is never closed`);
    if (open > 0) parts.push(rest.slice(0, open));
    parts.push(compileExpression(rest.slice(open + 2, end).trim()));
    rest = rest.slice(end + 2);
  }
  return {
    source,
    render(fields) {
      const missing: string[] = [];
      const value = parts
        .map((p) => {
          if (typeof p === 'string') return p;
          const v = p.evaluate(fields);
          if (v === undefined) missing.push(p.source);
          return v ?? '';
        })
        .join('');
      return { value, missing };
    },
  };
}
