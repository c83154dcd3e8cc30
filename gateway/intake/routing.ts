/**
 * Alert routing rules: which alerts start which playbook, with which params, approval policy and
 * dedup key. Rules are data (see ./routes), validated once at gateway start-up against the playbook
 * registry: a bad rule stops start-up with a message naming the rule and the field.
 *
 * The first rule whose source and `match` conditions all hold wins. Conditions compare one alert
 * field with a value, any of a list of values, or a regular expression; a missing field never matches.
 */
import { z } from 'zod';
import type { PlaybookRegistry } from '../../workflows';
import { compileExpression, compileTemplate, TemplateError, type Expression, type Template } from './route-templates';
import { compileLifecycle, lifecycleFields, personOnlyProblems, type RouteLifecycle } from './route-lifecycle';

export const INTAKE_SOURCES = ['falco', 'alertmanager', 'github', 'generic'] as const;
export type IntakeSource = (typeof INTAKE_SOURCES)[number];

/** What routing sees of an alert: its intake source and flat string fields. */
export interface RoutableAlert {
  source: IntakeSource;
  fields: Readonly<Record<string, string>>;
}

const matcherSchema = z.union([z.string(), z.array(z.string()).min(1), z.object({ regex: z.string().min(1) }).strict()]);

export const routeRuleSchema = z
  .object({
    /** part of the incident id (`inc-<name>-<hash>`): lowercase, digits, dashes */
    name: z.string().regex(/^[a-z0-9][a-z0-9-]{0,39}$/, 'lowercase letters, digits and dashes, at most 40 characters'),
    description: z.string().max(500).optional(),
    source: z.enum(INTAKE_SOURCES),
    match: z.record(z.string().min(1), matcherSchema).default({}),
    playbook: z.string().min(1),
    /** param name → template string ("{{ field | filter }}") or a literal number/boolean */
    params: z.record(z.string().min(1), z.union([z.string(), z.number(), z.boolean()])).default({}),
    /** incident title template; the playbook's own title when absent */
    title: z.string().min(1).max(300).optional(),
    /** a named policy from the worker's policy file; the playbook's default when absent */
    policy: z.string().min(1).max(100).optional(),
    mode: z.enum(['live', 'drill']).optional(),
    /** expressions whose values, with the rule name, identify "the same incident" */
    dedupKey: z.array(z.string().min(1)).min(1, 'name at least one field; alerts with equal values join one incident'),
    /** reopen, onResolved: see ./route-lifecycle */
    ...lifecycleFields,
  })
  .strict();
export type RouteRule = z.input<typeof routeRuleSchema>;

export interface RenderedRoute {
  params: Record<string, unknown>;
  title?: string;
  /** template expressions whose fields the alert lacks */
  missing: string[];
}

export interface CompiledRoute {
  name: string;
  source: IntakeSource;
  playbook: string;
  policy?: string;
  mode?: 'live' | 'drill';
  /** reopen rules and what a resolution does (./route-lifecycle) */
  lifecycle: RouteLifecycle;
  matches(alert: RoutableAlert): boolean;
  render(alert: RoutableAlert): RenderedRoute;
  /** the dedup key's values; an absent field counts as "" */
  dedupValues(alert: RoutableAlert): string[];
}

export class RouteConfigError extends Error {
  override name = 'RouteConfigError';
}

type Matcher = (value: string | undefined) => boolean;

function compileMatcher(spec: z.infer<typeof matcherSchema>): Matcher {
  if (typeof spec === 'string') return (v) => v === spec;
  if (Array.isArray(spec)) return (v) => v !== undefined && spec.includes(v);
  const re = new RegExp(spec.regex);
  return (v) => v !== undefined && re.test(v);
}

function compileRule(
  rule: z.infer<typeof routeRuleSchema>,
  playbooks: PlaybookRegistry,
  problems: string[],
  at: string,
): CompiledRoute | undefined {
  const before = problems.length;
  const attempt = <T>(where: string, fn: () => T): T | undefined => {
    try {
      return fn();
    } catch (err) {
      const message = err instanceof TemplateError || err instanceof SyntaxError ? err.message : String(err);
      problems.push(`${at}.${where}: ${message}`);
      return undefined;
    }
  };
  const playbook = playbooks[rule.playbook];
  if (!playbook) problems.push(`${at}.playbook: unknown playbook "${rule.playbook}"; known: ${Object.keys(playbooks).join(', ')}`);
  const shape = playbook && playbook.params instanceof z.ZodObject ? Object.keys(playbook.params.shape) : undefined;

  const matchers = Object.entries(rule.match).map(
    ([field, spec]) => [field, attempt(`match.${field}`, () => compileMatcher(spec))] as const,
  );
  const params: [string, Template | number | boolean | undefined][] = Object.entries(rule.params).map(([name, value]) => {
    if (shape && !shape.includes(name))
      problems.push(`${at}.params.${name}: playbook ${rule.playbook} has no param "${name}" (it has: ${shape.join(', ')})`);
    return [name, typeof value === 'string' ? attempt(`params.${name}`, () => compileTemplate(value)) : value];
  });
  // A param the playbook needs and the rule never gives would refuse every alert (422): say so now.
  if (playbook && shape) {
    const fields = (playbook.params as z.ZodObject).shape as Record<string, z.ZodType>;
    for (const name of shape) {
      if (!(name in rule.params) && !fields[name]!.safeParse(undefined).success)
        problems.push(`${at}.params: playbook ${rule.playbook} needs param "${name}", which the rule does not give`);
    }
  }
  problems.push(...personOnlyProblems(at, playbook, rule.params));
  const title = rule.title === undefined ? undefined : attempt('title', () => compileTemplate(rule.title!));
  const dedup = rule.dedupKey.map((e, i) => attempt(`dedupKey[${i}]`, () => compileExpression(e)));
  if (problems.length > before) return undefined;

  const route: CompiledRoute = {
    name: rule.name,
    source: rule.source,
    playbook: rule.playbook,
    lifecycle: compileLifecycle(rule),
    matches: (alert) => alert.source === rule.source && matchers.every(([field, m]) => m!(alert.fields[field])),
    render(alert) {
      const missing: string[] = [];
      const out: RenderedRoute = { params: {}, missing };
      for (const [name, value] of params) {
        if (typeof value !== 'object') {
          out.params[name] = value;
          continue;
        }
        const r = value!.render(alert.fields);
        missing.push(...r.missing);
        out.params[name] = r.value;
      }
      if (title) {
        const r = title.render(alert.fields);
        out.title = r.value.slice(0, 300);
      }
      return out;
    },
    dedupValues: (alert) => dedup.map((e) => (e as Expression).evaluate(alert.fields) ?? ''),
  };
  if (rule.policy) route.policy = rule.policy;
  if (rule.mode) route.mode = rule.mode;
  return route;
}

/** Validates the rules against the playbook registry; throws one RouteConfigError listing every problem. */
export function compileRoutes(rules: unknown, playbooks: PlaybookRegistry, origin = 'alert routes'): CompiledRoute[] {
  const parsed = z.array(z.unknown()).safeParse(rules);
  if (!parsed.success) throw new RouteConfigError(`invalid ${origin}: expected an array of rules`);
  const problems: string[] = [];
  const compiled: CompiledRoute[] = [];
  const seen = new Set<string>();
  parsed.data.forEach((raw, i) => {
    const name = typeof (raw as { name?: unknown })?.name === 'string' ? ` (${(raw as { name: string }).name})` : '';
    const at = `rule ${i + 1}${name}`;
    const rule = routeRuleSchema.safeParse(raw);
    if (!rule.success) {
      for (const issue of rule.error.issues) problems.push(`${at}.${issue.path.join('.') || '(rule)'}: ${issue.message}`);
      return;
    }
    if (seen.has(rule.data.name)) problems.push(`${at}.name: duplicate rule name "${rule.data.name}"`);
    seen.add(rule.data.name);
    const route = compileRule(rule.data, playbooks, problems, at);
    if (route) compiled.push(route);
  });
  if (problems.length) throw new RouteConfigError(`invalid ${origin}:\n${problems.map((p) => `  ${p}`).join('\n')}`);
  return compiled;
}

export function findRoute(routes: readonly CompiledRoute[], alert: RoutableAlert): CompiledRoute | undefined {
  return routes.find((r) => r.matches(alert));
}
