/**
 * What the break-glass suites share: the catalogue they grant from, and the API server's own
 * answer to "may this user do that?" (a SubjectAccessReview), which is what access means.
 */
import { AuthorizationV1Api, RbacAuthorizationV1Api, type KubeConfig, type V1RoleBinding } from '@kubernetes/client-node';
import { parseBreakGlassCatalogue } from '../../../activities/kubernetes';

/** The catalogue file as a person writes it (for a worker configured from the environment). */
export function testCatalogueFile(ns: string) {
  return {
    roles: {
      'ns-edit': {
        description: 'edit workloads in the test namespace',
        clusterRole: 'tourniquet-breakglass-edit',
        namespaces: [ns],
        maxDuration: '2h',
      },
      viewer: {
        description: 'read anything',
        clusterRole: 'tourniquet-breakglass-view',
        namespaces: ['*'],
        cluster: true,
        maxDuration: '8h',
      },
    },
    users: { alice: 'alice@example.com' },
  };
}

export function testCatalogue(ns: string) {
  return parseBreakGlassCatalogue(testCatalogueFile(ns));
}

/** The API server's own authorizer: can `user` do `verb` on `resource` in `namespace`? */
export async function userMay(admin: KubeConfig, user: string, verb: string, resource: string, namespace?: string): Promise<boolean> {
  const review = await admin.makeApiClient(AuthorizationV1Api).createSubjectAccessReview({
    body: { spec: { user, resourceAttributes: { verb, resource, ...(namespace ? { namespace } : {}) } } },
  });
  return review.status?.allowed ?? false;
}

/** The namespace's RoleBindings made by Tourniquet. */
export async function grantsIn(admin: KubeConfig, namespace: string): Promise<V1RoleBinding[]> {
  const list = await admin
    .makeApiClient(RbacAuthorizationV1Api)
    .listNamespacedRoleBinding({ namespace, labelSelector: 'app.kubernetes.io/managed-by=tourniquet' });
  return list.items;
}
