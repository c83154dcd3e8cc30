/**
 * A one-shot for any cluster (compose's `namespace-setup` job): waits for Temporal at
 * TEMPORAL_ADDRESS, sets namespace TEMPORAL_NAMESPACE's retention (TOURNIQUET_RETENTION_DAYS, 30 by
 * default) and registers Tourniquet's search attributes, which the worker refuses to start without.
 * The Temporal CLI does the same by hand: docs/production.md.
 */
import { Connection } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time';
import proto from '@temporalio/proto';
import { SEARCH_ATTRIBUTES } from '../workflows/search-attributes';

async function main(): Promise<void> {
  const address = process.env.TEMPORAL_ADDRESS ?? '127.0.0.1:7233';
  const namespace = process.env.TEMPORAL_NAMESPACE ?? 'default';
  const days = Number(process.env.TOURNIQUET_RETENTION_DAYS ?? 30);
  const retention = msToTs(`${days} days`);
  const deadline = Date.now() + 120_000;
  for (;;) {
    try {
      const connection = await Connection.connect({ address, connectTimeout: 2_000 });
      try {
        const svc = connection.workflowService;
        const exists = await svc.describeNamespace({ namespace }).then(
          () => true,
          () => false,
        );
        if (exists) await svc.updateNamespace({ namespace, config: { workflowExecutionRetentionTtl: retention } });
        else await svc.registerNamespace({ namespace, workflowExecutionRetentionPeriod: retention });
        const keyword = proto.temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD;
        const listed = await connection.operatorService.listSearchAttributes({ namespace });
        const missing = SEARCH_ATTRIBUTES.filter((k) => !(listed.customAttributes ?? {})[k.name]);
        if (missing.length) {
          await connection.operatorService.addSearchAttributes({
            namespace,
            searchAttributes: Object.fromEntries(missing.map((k) => [k.name, keyword])),
          });
        }
        console.log(
          `namespace ${namespace} on ${address}: retention ${days} days; search attributes ${SEARCH_ATTRIBUTES.map((k) => k.name).join(', ')}`,
        );
        return;
      } finally {
        await connection.close();
      }
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 1_000));
    }
  }
}

main().catch((err: unknown) => {
  console.error(`cannot prepare the namespace: ${(err as Error).message}`);
  process.exit(1);
});
