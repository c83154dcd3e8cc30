/**
 * The alert routes this deployment ships: which alerts open which incidents. Checked at gateway
 * start-up by compileRoutes (./routing). Order matters: the first matching rule wins.
 *
 * Most still start the demo playbook: they show the shape real routes take and are what the intake
 * tests and `npm run dev` use; replace them as real playbooks land. am-rollback-deploy starts a real one.
 */
import type { RouteRule } from './routing';

const FALCO_NOTICE_OR_WORSE = ['Notice', 'Warning', 'Error', 'Critical', 'Alert', 'Emergency'];

export const alertRoutes: RouteRule[] = [
  {
    name: 'falco-shell',
    description: 'An interactive shell in a container: quarantine the workload it runs in.',
    source: 'falco',
    match: { rule: 'Terminal shell in container', priority: FALCO_NOTICE_OR_WORSE },
    playbook: 'demo',
    params: { service: '{{ k8s.pod.label.app ?? k8s.pod.name | workload | slug }}' },
    title: 'Shell in container: {{ k8s.ns.name ?? hostname }}/{{ k8s.pod.name ?? container.id }}',
    // one incident per workload, whichever of its pods the shell was in
    dedupKey: ['rule', 'k8s.ns.name', 'k8s.pod.label.app ?? k8s.pod.name | workload'],
  },
  {
    name: 'am-suspicious-egress',
    description: 'Prometheus saw a workload talk to the outside in a way it never does.',
    source: 'alertmanager',
    match: { alertname: ['SuspiciousEgressTraffic', 'CryptoMinerDetected'], severity: ['critical', 'page'] },
    playbook: 'demo',
    params: { service: '{{ service ?? app ?? job | slug }}' },
    title: '{{ alertname }}: {{ namespace ?? cluster }}/{{ service ?? app ?? job }}',
    dedupKey: ['alertname', 'namespace', 'service ?? app ?? job'],
  },
  {
    // An alerting rule asks for this by its own label, so no alert rolls anything back by accident;
    // kube-state-metrics' deployment series carry the namespace and deployment labels it needs.
    name: 'am-rollback-deploy',
    description: 'An alert whose rule carries tourniquet_playbook=rollback-deploy, about a Deployment: roll it back to its previous revision.',
    source: 'alertmanager',
    match: { tourniquet_playbook: 'rollback-deploy' },
    playbook: 'rollback-deploy',
    params: { namespace: '{{ namespace }}', deployment: '{{ deployment }}' },
    title: '{{ alertname }}: roll back deployment {{ namespace }}/{{ deployment }}',
    // one incident per Deployment: its alerts join it, and a second rollback is never started meanwhile
    dedupKey: ['namespace', 'deployment'],
  },
  {
    // PLACEHOLDER: a leaked secret "quarantines" a demo service named after the repository, to
    // exercise the whole path from GitHub to an approval. The revoke-leaked-key playbook has since
    // landed; routing to it takes playbook: 'revoke-leaked-key' and params { owner:
    // '{{ repository.owner }}', repo: '{{ repository.name }}', alertNumber: '{{ alert.number }}' },
    // once its GitHub access is configured where alerts arrive (and test/intake.test.ts follows).
    name: 'github-secret-leak',
    description: 'GitHub secret scanning found a secret in a repository (placeholder: demo playbook).',
    source: 'github',
    match: { event: 'secret_scanning_alert' },
    playbook: 'demo',
    params: { service: '{{ repository.name | slug }}' },
    title: 'Leaked {{ secret_type_display_name ?? secret_type }} in {{ repository }} (alert #{{ alert.number }})',
    policy: 'two-person',
    dedupKey: ['repository', 'alert.number'],
  },
  {
    name: 'generic-demo',
    description: 'Anything posted to /alerts with source "demo" and a service field.',
    source: 'generic',
    match: { source: 'demo' },
    playbook: 'demo',
    params: { service: '{{ service | slug }}' },
    dedupKey: ['title', 'service'],
  },
];
