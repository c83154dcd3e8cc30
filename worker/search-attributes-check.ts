/**
 * At start-up, the worker checks that the namespace has Tourniquet's search attributes: without
 * them, the server fails every incident's first workflow task (it cannot index the state) and the
 * incidents never start. Saying so at start-up, with the command that fixes it, beats that.
 */
import type { NativeConnection } from '@temporalio/worker';
import proto from '@temporalio/proto';
import { SEARCH_ATTRIBUTES, registrationArgs } from '../workflows/search-attributes';

export class MissingSearchAttributesError extends Error {
  override name = 'MissingSearchAttributesError';
}

/**
 * Throws MissingSearchAttributesError naming what is missing and how to register it; returns the
 * reason it could not check (an API key without operator rights, say) as a warning to log.
 */
export async function checkSearchAttributes(connection: NativeConnection, namespace: string): Promise<string | undefined> {
  let custom: Record<string, proto.temporal.api.enums.v1.IndexedValueType>;
  try {
    const listed = await connection.operatorService.listSearchAttributes({ namespace });
    custom = (listed.customAttributes ?? {}) as typeof custom;
  } catch (err) {
    return `could not list the search attributes of namespace ${namespace} (${(err as Error).message}); incidents need ${SEARCH_ATTRIBUTES.map((k) => k.name).join(', ')}`;
  }
  const keyword = proto.temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD;
  const missing = SEARCH_ATTRIBUTES.filter((k) => custom[k.name] !== keyword);
  if (missing.length === 0) return undefined;
  throw new MissingSearchAttributesError(
    `namespace ${namespace} lacks Tourniquet's search attributes ${missing.map((k) => k.name).join(', ')} (Keyword); ` +
      'without them no incident can start. Register them once per namespace:\n' +
      `  temporal operator search-attribute create --namespace ${namespace} ${registrationArgs('create', missing).join(' ')}\n` +
      '(`npm run cluster`, `npm run dev` and the test servers register them themselves; see docs/production.md)',
  );
}
