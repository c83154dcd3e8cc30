import { describe, expect, it } from 'vitest';
import { playbooks } from '../playbooks';
import { alertRoutes } from '../gateway/intake/routes';
import { compileRoutes, findRoute, RouteConfigError, type RouteRule } from '../gateway/intake/routing';
import { compileExpression, compileTemplate, FILTERS } from '../gateway/intake/route-templates';
import { falcoPayloadSchema, normalizeFalco } from '../gateway/intake/falco';
import { normalizeSecretScanning, secretScanningAlertSchema } from '../gateway/intake/github';
import { incidentIdFor } from '../gateway/intake/processor';
import { fixture } from './support/intake';

const base: RouteRule = {
  name: 'shell',
  source: 'falco',
  match: { rule: 'Terminal shell in container' },
  playbook: 'demo',
  params: { service: '{{ k8s.pod.name | workload | slug }}' },
  dedupKey: ['k8s.ns.name', 'k8s.pod.name | workload'],
};

function problems(rules: unknown): string {
  try {
    compileRoutes(rules, playbooks);
  } catch (err) {
    expect(err).toBeInstanceOf(RouteConfigError);
    return (err as Error).message;
  }
  throw new Error('expected the rules to be rejected');
}

describe('routing rules are checked at start-up', () => {
  it('accepts the shipped routes', () => {
    expect(compileRoutes(alertRoutes, playbooks).map((r) => r.name)).toEqual([
      'falco-shell',
      'am-suspicious-egress',
      'am-rollback-deploy',
      'github-secret-leak',
      'generic-demo',
    ]);
  });

  it('takes lifecycle rules, with defaults, and refuses a route that sets a param only a person may', () => {
    const [plain, tuned, never] = compileRoutes(
      [
        base,
        { ...base, name: 'tuned', reopen: { quietPeriod: '0s', maxPerHour: 10, failedRetryAfter: 'never' }, onResolved: 'withdraw' },
        { ...base, name: 'never', reopen: false },
      ],
      playbooks,
    );
    expect(plain!.lifecycle).toEqual({ reopen: { quietMs: 900_000, maxPerHour: 3, failedRetryMs: 14_400_000 }, onResolved: 'note' });
    expect(tuned!.lifecycle).toEqual({ reopen: { quietMs: 0, maxPerHour: 10, failedRetryMs: undefined }, onResolved: 'withdraw' });
    expect(never!.lifecycle.reopen).toBe(false);
    expect(compileRoutes(alertRoutes, playbooks).find((r) => r.name === 'am-rollback-deploy')!.lifecycle.onResolved).toBe('withdraw');

    const message = problems([
      { ...base, reopen: { quietPeriod: 'soon', maxPerHour: 0 } },
      { ...base, name: 'resolved', onResolved: 'forget' },
      {
        ...base,
        name: 'undo',
        source: 'alertmanager',
        match: {},
        playbook: 'rollback-deploy',
        params: { namespace: '{{ namespace }}', deployment: '{{ deployment }}', undoRollback: true },
        dedupKey: ['namespace'],
      },
    ]);
    expect(message).toContain('rule 1 (shell).reopen.quietPeriod: quietPeriod: a duration such as "0s", "90s", "15m" or "4h"');
    expect(message).toMatch(/rule 1 \(shell\)\.reopen\.maxPerHour: Too small/);
    expect(message).toMatch(/rule 2 \(resolved\)\.onResolved: Invalid option/);
    expect(message).toContain(
      'rule 3 (undo).params.undoRollback: only a person may set "undoRollback" (tourniquet start rollback-deploy --param undoRollback=…); an alert route cannot',
    );
  });

  it('names the rule and the field of every problem', () => {
    const message = problems([
      base,
      { ...base, name: 'Bad Name' },
      { ...base, name: 'nobook', playbook: 'revoke-key' },
      { ...base, name: 'filter', params: { service: '{{ k8s.pod.name | slugg }}' } },
      { ...base, name: 'braces', title: 'shell in {{ k8s.pod.name' },
      { ...base, name: 'regex', match: { rule: { regex: '(' } } },
      { ...base, name: 'param', params: { servce: 'x' } },
      { ...base, name: 'nodedup', dedupKey: [] },
      { ...base, name: 'extra', priority: 'Warning' },
      { ...base },
    ]);
    expect(message).toMatch(/^invalid alert routes:/);
    expect(message).toContain('rule 2 (Bad Name).name: lowercase letters, digits and dashes');
    expect(message).toContain('rule 3 (nobook).playbook: unknown playbook "revoke-key"; known: demo');
    expect(message).toContain('rule 4 (filter).params.service: "k8s.pod.name | slugg": unknown filter "slugg"');
    expect(message).toContain('rule 5 (braces).title: "shell in {{ k8s.pod.name": "{{" is never closed');
    expect(message).toMatch(/rule 6 \(regex\)\.match\.rule: Invalid regular expression/);
    expect(message).toContain('rule 7 (param).params.servce: playbook demo has no param "servce" (it has: service, simulateVerifyFailure)');
    expect(message).toContain('rule 8 (nodedup).dedupKey: name at least one field');
    expect(message).toMatch(/rule 9 \(extra\)\.\(rule\): Unrecognized key: "priority"/);
    expect(message).toContain('rule 10 (shell).name: duplicate rule name "shell"');
    expect(problems([{ ...base, playbook: 'isolate-pod', params: { namespace: '{{ k8s.ns.name }}' } }])).toBe(
      'invalid alert routes:\n  rule 1 (shell).params: playbook isolate-pod needs param "pod", which the rule does not give',
    );
    expect(problems({})).toMatch(/expected an array of rules/);
  });
});

describe('matching and rendering', () => {
  const routes = compileRoutes(
    [
      { ...base, name: 'warning', match: { rule: 'Terminal shell in container', priority: ['Warning', 'Critical'] } },
      { ...base, name: 'any-shell', match: { rule: { regex: '^Terminal shell' } } },
      {
        ...base,
        name: 'am',
        source: 'alertmanager',
        match: { alertname: 'X' },
        params: { service: 'fixed', simulateVerifyFailure: true },
        dedupKey: ['alertname'],
      },
    ],
    playbooks,
  );
  const fields = {
    rule: 'Terminal shell in container',
    priority: 'Notice',
    'k8s.ns.name': 'shop',
    'k8s.pod.name': 'checkout-7d9f8b6c4-x2x9k',
  };

  it('takes the first rule whose source and conditions all hold; a missing field never matches', () => {
    expect(findRoute(routes, { source: 'falco', fields })?.name).toBe('any-shell');
    expect(findRoute(routes, { source: 'falco', fields: { ...fields, priority: 'Critical' } })?.name).toBe('warning');
    expect(findRoute(routes, { source: 'falco', fields: { priority: 'Critical' } })).toBeUndefined();
    expect(findRoute(routes, { source: 'alertmanager', fields })).toBeUndefined();
    expect(findRoute(routes, { source: 'alertmanager', fields: { alertname: 'X' } })?.name).toBe('am');
  });

  it('renders params from fields, passes literals through, and reports missing fields', () => {
    const shell = routes[1]!;
    expect(shell.render({ source: 'falco', fields })).toEqual({ params: { service: 'checkout' }, missing: [] });
    expect(shell.render({ source: 'falco', fields: { rule: 'Terminal shell in container' } }).missing).toEqual([
      'k8s.pod.name | workload | slug',
    ]);
    expect(routes[2]!.render({ source: 'alertmanager', fields: {} }).params).toEqual({ service: 'fixed', simulateVerifyFailure: true });
  });

  it('derives one incident id per dedup key, whichever pod of the workload fired', () => {
    const shell = routes[1]!;
    const a = shell.dedupValues({ source: 'falco', fields });
    const b = shell.dedupValues({ source: 'falco', fields: { ...fields, 'k8s.pod.name': 'checkout-7d9f8b6c4-qq7zz' } });
    const c = shell.dedupValues({ source: 'falco', fields: { ...fields, 'k8s.ns.name': 'other' } });
    expect(a).toEqual(['shop', 'checkout']);
    expect(incidentIdFor('any-shell', a)).toBe(incidentIdFor('any-shell', b));
    expect(incidentIdFor('any-shell', a)).not.toBe(incidentIdFor('any-shell', c));
    expect(incidentIdFor('any-shell', a)).toMatch(/^inc-any-shell-[0-9a-f]{16}$/);
    expect(shell.dedupValues({ source: 'falco', fields: {} })).toEqual(['', '']);
  });
});

describe('template expressions', () => {
  it('fall back with ?? and apply filters left to right', () => {
    const e = compileExpression('k8s.pod.label.app ?? k8s.pod.name | workload | slug');
    expect(e.evaluate({ 'k8s.pod.name': 'Web_Frontend-5c6d7f8b9-x7k2p' })).toBe('web-frontend');
    expect(e.evaluate({ 'k8s.pod.label.app': 'Payments', 'k8s.pod.name': 'x' })).toBe('payments');
    expect(e.evaluate({ 'k8s.pod.label.app': '' })).toBeUndefined();
    expect(compileTemplate('{{a}}-{{ b | upper }}!').render({ a: 'x', b: 'y' })).toEqual({ value: 'x-Y!', missing: [] });
    expect(() => compileTemplate('a }} b')).toThrow(/without "\{\{"/);
  });

  it('slug and workload give names the demo playbook accepts', () => {
    expect(FILTERS.slug!('--Hello, World!!--')).toBe('hello-world');
    expect(FILTERS.slug!('a'.repeat(80))).toHaveLength(63);
    expect(FILTERS.workload!('checkout-7d9f8b6c4-x2x9k')).toBe('checkout');
    expect(FILTERS.workload!('falco-94p8w')).toBe('falco');
    expect(FILTERS.workload!('checkout-stats')).toBe('checkout-stats');
  });
});

describe('the shipped routes', () => {
  const routes = compileRoutes(alertRoutes, playbooks);
  const falco = (edit: (fields: Record<string, unknown>) => void = () => {}) => {
    const event = fixture('falco-terminal-shell.json');
    edit(event.output_fields);
    return normalizeFalco(falcoPayloadSchema.parse(event))[0]!;
  };

  it('a shell in a pod starts isolate-pod for that pod, with params its schema accepts', () => {
    const alert = falco();
    const route = findRoute(routes, alert)!;
    expect(route).toMatchObject({ name: 'falco-shell', playbook: 'isolate-pod' });
    expect(route.policy).toBeUndefined();
    const rendered = route.render(alert);
    expect(rendered).toEqual({
      params: { namespace: 'shop', pod: 'checkout-7d9f8b6c4-x2x9k' },
      title: 'Shell in container: shop/checkout-7d9f8b6c4-x2x9k',
      missing: [],
    });
    expect(playbooks['isolate-pod']!.params.parse(rendered.params)).toEqual({
      namespace: 'shop',
      pod: 'checkout-7d9f8b6c4-x2x9k',
      cordonNode: false,
    });
  });

  it('a shell Falco could not place in a pod matches no route; Informational and other rules neither', () => {
    for (const missing of [null, '<NA>', '']) {
      expect(
        findRoute(
          routes,
          falco((f) => (f['k8s.pod.name'] = missing)),
        ),
      ).toBeUndefined();
      expect(
        findRoute(
          routes,
          falco((f) => (f['k8s.ns.name'] = missing)),
        ),
      ).toBeUndefined();
    }
    expect(findRoute(routes, { ...falco(), fields: { ...falco().fields, priority: 'Informational' } })).toBeUndefined();
    expect(findRoute(routes, { ...falco(), fields: { ...falco().fields, rule: 'Write below binary dir' } })).toBeUndefined();
  });

  it("opens one incident per pod: the same pod's shells join it, another pod of the workload gets its own", () => {
    const route = findRoute(routes, falco())!;
    const id = (edit?: (f: Record<string, unknown>) => void) => incidentIdFor(route.name, route.dedupValues(falco(edit)));
    expect(id((f) => (f['proc.cmdline'] = 'bash -i'))).toBe(id());
    expect(id((f) => (f['k8s.pod.name'] = 'checkout-7d9f8b6c4-qq7zz'))).not.toBe(id());
    expect(id((f) => (f['k8s.ns.name'] = 'shop-staging'))).not.toBe(id());
  });

  it("a secret scanning alert starts revoke-leaked-key for that repository and alert, on the playbook's default policy", () => {
    const alert = normalizeSecretScanning(secretScanningAlertSchema.parse(fixture('github-secret-scanning-created.json')), new Date())!;
    const route = findRoute(routes, alert)!;
    expect(route).toMatchObject({ name: 'github-secret-leak', playbook: 'revoke-leaked-key' });
    expect(route.policy).toBeUndefined();
    const rendered = route.render(alert);
    expect(rendered).toEqual({
      params: { owner: 'octo-org', repo: 'payments-api', alertNumber: '42' },
      title: 'Leaked AWS Access Key ID in octo-org/payments-api (alert #42)',
      missing: [],
    });
    expect(playbooks['revoke-leaked-key']!.params.parse(rendered.params)).toEqual({
      owner: 'octo-org',
      repo: 'payments-api',
      alertNumber: 42,
    });
    expect(playbooks['revoke-leaked-key']!.defaultPolicy).toBe('standard');
    // without repository.owner (GitHub always sends it) the alert is refused, naming the field
    const { 'repository.owner': _, ...ownerless } = alert.fields;
    expect(route.render({ ...alert, fields: ownerless }).missing).toEqual(['repository.owner']);
  });
});
