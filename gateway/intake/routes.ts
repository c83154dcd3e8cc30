/**
 * The alert routes this deployment ships: which alerts open which incidents. Checked at gateway
 * start-up by compileRoutes (./routing). Order matters: the first matching rule wins.
 *
 * Falco shells start isolate-pod, GitHub secret scanning starts revoke-leaked-key, and an
 * Alertmanager alert that asks for it starts rollback-deploy: these need the worker's Kubernetes
 * and GitHub access (KUBECONFIG or the in-cluster ServiceAccount; GITHUB_TOKEN), and without it
 * their incidents fail at the first step saying what to set. am-suspicious-egress and generic-demo
 * still start the demo playbook: no real playbook answers them yet.
 * The intake suites test the gateway's mechanics with a demo route table of their own
 * (test/support/routes.ts), so these rules can change without rewriting them.
 */
import type { RouteRule } from './routing';

const FALCO_NOTICE_OR_WORSE = ['Notice', 'Warning', 'Error', 'Critical', 'Alert', 'Emergency'];
/**
 * A field Falco filled in. For what it could not fill (a container outside Kubernetes, a pod it has
 * no metadata for) it sends null, which is no field at all; older versions and some plugins send "<NA>".
 */
const FILLED = { regex: '^(?!<NA>$).' };

export const alertRoutes: RouteRule[] = [
  {
    // Only an event that names its pod matches: a shell in a container outside Kubernetes (or one
    // Falco has no metadata for) has no pod to isolate, so it is no-route (202, counted and
    // logged) rather than a 422 the sender would log as an error on every shell; a rule after
    // this one can take those. A pod name Kubernetes would refuse still gets 422, naming the param.
    name: 'falco-shell',
    description:
      'An interactive shell in a container of a pod: isolate the pod (quarantine label and deny-all NetworkPolicy), behind approval.',
    source: 'falco',
    match: { rule: 'Terminal shell in container', priority: FALCO_NOTICE_OR_WORSE, 'k8s.ns.name': FILLED, 'k8s.pod.name': FILLED },
    playbook: 'isolate-pod',
    // cordonNode stays at its default (false): taking a node out of scheduling is a person's call
    params: { namespace: '{{ k8s.ns.name }}', pod: '{{ k8s.pod.name }}' },
    title: 'Shell in container: {{ k8s.ns.name }}/{{ k8s.pod.name }}',
    // One incident per pod: isolate-pod acts on one pod, so the same pod's repeated shells join its
    // incident, and a shell in another pod (another replica of the workload, or the clean one its
    // controller starts after the isolation) opens an incident of its own, so it is never
    // counted on an incident that does not contain it.
    dedupKey: ['k8s.ns.name', 'k8s.pod.name'],
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
    description:
      'An alert whose rule carries tourniquet_playbook=rollback-deploy, about a Deployment: roll it back to its previous revision.',
    source: 'alertmanager',
    match: { tourniquet_playbook: 'rollback-deploy' },
    playbook: 'rollback-deploy',
    params: { namespace: '{{ namespace }}', deployment: '{{ deployment }}' },
    title: '{{ alertname }}: roll back deployment {{ namespace }}/{{ deployment }}',
    // one incident per Deployment: its alerts join it, and a second rollback is never started meanwhile
    dedupKey: ['namespace', 'deployment'],
    // The rollback answers a symptom: once every alert about it has cleared before anyone approved,
    // the request is withdrawn rather than left asking to roll back a Deployment that recovered.
    onResolved: 'withdraw',
  },
  {
    // created, reopened and publicly_leaked open (or join) the alert's incident; resolved is recorded
    // on it (gateway/intake/github.ts). GitHub webhooks always carry repository.owner; alert.number
    // arrives as text and the playbook's schema makes it a number.
    name: 'github-secret-leak',
    description: 'GitHub secret scanning found a secret in a repository: revoke it and resolve the alert, behind approval.',
    source: 'github',
    match: { event: 'secret_scanning_alert' },
    playbook: 'revoke-leaked-key',
    params: { owner: '{{ repository.owner }}', repo: '{{ repository.name }}', alertNumber: '{{ alert.number }}' },
    title: 'Leaked {{ secret_type_display_name ?? secret_type }} in {{ repository }} (alert #{{ alert.number }})',
    // No policy: the playbook's default (standard, one on-call approver). The secret is already
    // exposed and every minute counts on the exposure window; the revocation is risk critical, so
    // the approver types its target, and it can only ever take away a credential that leaked.
    // Rotating an Actions secret (`rotate`) is per repository, so it is for a person to ask for.
    // One incident per alert: GitHub's own unit (a secret, with all its locations).
    dedupKey: ['repository', 'alert.number'],
    // GitHub sends each event once (a retried delivery is taken once, by its receipt), so an event
    // after the incident closed (reopened, publicly leaked) is news, not a re-send: it opens a new
    // run at once. A FAILED run with the same cause still holds it back, and the hourly cap stays.
    reopen: { quietPeriod: '0s' },
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
