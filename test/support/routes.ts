/**
 * A route table for the suites (and the bench) that exercise alert intake itself: authentication,
 * 400/401/413/422, dedup, coalescing, storms, resolutions, metrics. Every source starts the demo
 * playbook, which needs neither Kubernetes nor GitHub, so those suites keep testing the gateway
 * whatever the shipped routes (gateway/intake/routes.ts) start. The names say "test-", so an answer
 * (`"route":"test-falco-shell"`, `inc-test-falco-shell-…`) shows which table it came from.
 *
 * The shipped routes are tested where their playbooks can run: test/alert-routing.test.ts (what
 * they match and render), test/intake.test.ts (on a stack without Kubernetes or GitHub, as
 * `npm run dev` is by default), test/isolate-pod.test.ts, test/revoke-leaked-key.test.ts and
 * test/drill.test.ts (through intake into the real playbooks).
 */
import type { RouteRule } from '../../gateway/intake/routing';

export const DEMO_ROUTES: RouteRule[] = [
  {
    name: 'test-falco-shell',
    source: 'falco',
    match: { rule: 'Terminal shell in container', priority: ['Notice', 'Warning', 'Error', 'Critical', 'Alert', 'Emergency'] },
    playbook: 'demo',
    // a fallback (??), a filter chain and a title with fallbacks: what the 422 and redaction tests need
    params: { service: '{{ k8s.pod.label.app ?? k8s.pod.name | workload | slug }}' },
    title: 'Shell in container: {{ k8s.ns.name ?? hostname }}/{{ k8s.pod.name ?? container.id }}',
    dedupKey: ['rule', 'k8s.ns.name', 'k8s.pod.label.app ?? k8s.pod.name | workload'],
    // the storm suite's repeats after a close open a new run at once; the reopen rules themselves
    // are tested in intake-lifecycle
    reopen: { quietPeriod: '0s', maxPerHour: 60 },
  },
  {
    name: 'test-am-egress',
    source: 'alertmanager',
    match: { alertname: ['SuspiciousEgressTraffic', 'CryptoMinerDetected'], severity: ['critical', 'page'] },
    playbook: 'demo',
    params: { service: '{{ service ?? app ?? job | slug }}' },
    title: '{{ alertname }}: {{ namespace ?? cluster }}/{{ service ?? app ?? job }}',
    dedupKey: ['alertname', 'namespace', 'service ?? app ?? job'],
  },
  {
    name: 'test-github-leak',
    source: 'github',
    match: { event: 'secret_scanning_alert' },
    playbook: 'demo',
    params: { service: '{{ repository.name | slug }}' },
    title: 'Leaked {{ secret_type_display_name ?? secret_type }} in {{ repository }} (alert #{{ alert.number }})',
    // a route's own policy reaches the incident's gates (quorum 2 in the harness's policy file)
    policy: 'two-person',
    dedupKey: ['repository', 'alert.number'],
    reopen: { quietPeriod: '0s', maxPerHour: 60 }, // as the shipped github-secret-leak route
  },
  {
    name: 'test-generic',
    source: 'generic',
    match: { source: 'demo' },
    playbook: 'demo',
    params: { service: '{{ service | slug }}' },
    dedupKey: ['title', 'service'],
  },
];
