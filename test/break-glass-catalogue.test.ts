/** The break-glass catalogue: what may be asked for, checked when the worker starts and on every request. */
import { describe, expect, it } from 'vitest';
import { testTrust } from './support/keys';
import { join } from 'node:path';
import { loadPolicyFile, PolicyBook } from '../activities/approvals/policies';
import { checkCataloguePolicies, loadBreakGlassCatalogue, parseBreakGlassCatalogue, resolveGrant } from '../activities/kubernetes';
import { projectRoot } from '../tools/temporal-binaries';
import { buildActivityDeps } from '../worker/worker';
import { TEST_POLICIES } from './support/harness';
import { parsePolicyFile } from '../activities/approvals/policies';

const catalogue = parseBreakGlassCatalogue({
  roles: {
    'db-admin': {
      description: 'edit payments',
      clusterRole: 'tourniquet-breakglass-edit',
      namespaces: ['payments', 'orders'],
      maxDuration: '4h',
    },
    viewer: { description: 'read', clusterRole: 'tourniquet-breakglass-view', cluster: true },
  },
  users: { alice: 'alice@example.com' },
});
const ask = (role: string, scope: string | undefined, minutes: number, requester = 'alice') =>
  resolveGrant(catalogue, { role, ...(scope ? { scope } : {}), durationMs: minutes * 60_000, requester });

describe('break-glass catalogue', () => {
  it('resolves a request to one binding for one user, mapped to the Kubernetes user name', () => {
    expect(ask('db-admin', 'orders', 30)).toEqual({
      role: 'db-admin',
      clusterRole: 'tourniquet-breakglass-edit',
      user: 'alice@example.com',
      namespace: 'orders',
      durationMs: 30 * 60_000,
      maxDurationMs: 4 * 60 * 60_000,
      policy: 'two-person',
    });
    expect(ask('viewer', undefined, 60, 'bob')).toMatchObject({ user: 'bob', clusterRole: 'tourniquet-breakglass-view' });
    expect(ask('viewer', undefined, 60).namespace).toBeUndefined();
  });

  it('refuses, saying why, what the catalogue does not allow', () => {
    expect(() => ask('cluster-admin', undefined, 30)).toThrow(
      '"cluster-admin" is not in the break-glass catalogue; it has: db-admin, viewer',
    );
    expect(() => ask('db-admin', undefined, 30)).toThrow('db-admin needs a scope: payments, orders');
    expect(() => ask('db-admin', 'kube-system', 30)).toThrow(
      'db-admin cannot be granted in namespace kube-system; allowed: payments, orders',
    );
    expect(() => ask('db-admin', 'cluster', 30)).toThrow('db-admin cannot be granted cluster-wide');
    expect(() => ask('db-admin', 'payments', 300)).toThrow('db-admin is granted for at most 240 min; asked for 300 min');
    expect(() => ask('constructor', undefined, 30)).toThrow('"constructor" is not in the break-glass catalogue');
  });

  it('refuses a catalogue file that could grant anything else', () => {
    expect(() => parseBreakGlassCatalogue({ roles: { admin: { description: 'x', clusterRole: 'cluster-admin', cluster: true } } })).toThrow(
      'catalogue roles are the tourniquet-breakglass-* ClusterRoles',
    );
    expect(() => parseBreakGlassCatalogue({ roles: { nowhere: { description: 'x', clusterRole: 'tourniquet-breakglass-view' } } })).toThrow(
      'a role needs namespaces, or cluster: true',
    );
  });

  it('stops start-up when a role could be granted by one person, or names no policy', () => {
    const book = new PolicyBook(parsePolicyFile(TEST_POLICIES));
    const quorum = (name: string) =>
      book.has(name) ? book.resolve({ playbook: 'break-glass', step: 'check', policy: name }).quorum : undefined;
    const withPolicy = (policy: string) =>
      parseBreakGlassCatalogue({ roles: { r: { description: 'x', clusterRole: 'tourniquet-breakglass-view', cluster: true, policy } } });
    expect(() => checkCataloguePolicies(withPolicy('standard'), quorum)).toThrow(
      'r: policy "standard" needs 1 approver(s); break-glass needs two',
    );
    expect(() => checkCataloguePolicies(withPolicy('nope'), quorum)).toThrow('r: no approval policy "nope"');
    expect(() => checkCataloguePolicies(withPolicy('two-person'), quorum)).not.toThrow();
    expect(() =>
      buildActivityDeps({
        policies: parsePolicyFile(TEST_POLICIES),
        evidenceDir: '/tmp/x',
        demoWorld: '/tmp/y',
        notifiers: [],
        trust: testTrust(),
        breakGlass: withPolicy('standard'),
      }),
    ).toThrow('break-glass needs two');
  });

  it('ships a catalogue that passes those checks against the shipped policies', () => {
    const shipped = loadBreakGlassCatalogue(join(projectRoot, 'config/break-glass.json'));
    const book = new PolicyBook(loadPolicyFile(join(projectRoot, 'config/policies.json')));
    expect(() =>
      checkCataloguePolicies(shipped, (n) =>
        book.has(n) ? book.resolve({ playbook: 'break-glass', step: 'check', policy: n }).quorum : undefined,
      ),
    ).not.toThrow();
    expect(Object.keys(shipped.roles)).toEqual(['db-admin', 'viewer']);
  });
});
