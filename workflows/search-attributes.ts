/**
 * Tourniquet's custom search attributes: what the incident workflow indexes so that Temporal's own
 * tools (`temporal workflow list --query "TourniquetState='awaiting-approval'"`, the UI's columns)
 * see where an incident stands, and a denied or expired incident does not pass for a resolved one
 * (Temporal shows all three as COMPLETED). Every server Tourniquet runs on must register them
 * (`registrationArgs()`); the worker checks at start-up (worker/search-attributes-check.ts).
 */
import {
  defineSearchAttributeKey,
  SearchAttributeType,
  type SearchAttributePair,
  type SearchAttributeUpdatePair,
  type TypedSearchAttributes,
} from '@temporalio/common';
import type { Incident, IncidentState } from './incident-state';
import type { IncidentRequest } from './request';
import { ENGINE_BASELINE, ENGINE_MEMO } from './patches';

export const TourniquetState = defineSearchAttributeKey('TourniquetState', SearchAttributeType.KEYWORD);
export const TourniquetOutcome = defineSearchAttributeKey('TourniquetOutcome', SearchAttributeType.KEYWORD);
export const TourniquetPlaybook = defineSearchAttributeKey('TourniquetPlaybook', SearchAttributeType.KEYWORD);
export const TourniquetRequester = defineSearchAttributeKey('TourniquetRequester', SearchAttributeType.KEYWORD);
export const TourniquetMode = defineSearchAttributeKey('TourniquetMode', SearchAttributeType.KEYWORD);
export const TourniquetSource = defineSearchAttributeKey('TourniquetSource', SearchAttributeType.KEYWORD);

export const SEARCH_ATTRIBUTES = [
  TourniquetState,
  TourniquetOutcome,
  TourniquetPlaybook,
  TourniquetRequester,
  TourniquetMode,
  TourniquetSource,
] as const;

/** How an ended incident ended: its final state, except that a gate whose deadline passed says `expired`. */
export type IncidentOutcome = 'resolved' | 'denied' | 'expired' | 'failed' | 'cancelled';

export function outcomeOf(incident: Incident): IncidentOutcome | undefined {
  switch (incident.state) {
    case 'denied':
      return incident.gates.some((g) => g.status === 'expired') ? 'expired' : 'denied';
    case 'resolved':
    case 'failed':
    case 'cancelled':
      return incident.state;
    default:
      return undefined;
  }
}

type IndexedRequest = Pick<IncidentRequest, 'playbook' | 'requester' | 'mode' | 'alerts'>;

function indexedFields(state: IncidentState, request: IndexedRequest): SearchAttributePair[] {
  return [
    { key: TourniquetState, value: state },
    { key: TourniquetPlaybook, value: request.playbook },
    { key: TourniquetRequester, value: request.requester },
    { key: TourniquetMode, value: request.mode },
    // where the incident came from: the alert source that opened it, or `manual` (a person, the CLI)
    { key: TourniquetSource, value: request.alerts[0]?.source ?? 'manual' },
  ];
}

/** Everything indexed, as of now: set once at start, then state (and outcome at the end) on each change. */
export function searchAttributesOf(incident: Incident): SearchAttributeUpdatePair[] {
  const outcome = outcomeOf(incident);
  return [...indexedFields(incident.state, incident.request), ...(outcome ? [{ key: TourniquetOutcome, value: outcome }] : [])];
}

/**
 * What a new incident records before anything happens: its memo and search attributes. A client
 * that starts the workflow with them (client/incidents.ts `startIncident`) saves the workflow two
 * upserts, two history events and two visibility writes per incident (issue 15).
 */
export function startRecord(request: IndexedRequest, title: string) {
  const state: IncidentState = 'open';
  return {
    // ENGINE_MEMO: a run started with this record takes the newest baseline without a marker (patches.ts)
    memo: { state, playbook: request.playbook, title, mode: request.mode, requester: request.requester, [ENGINE_MEMO]: ENGINE_BASELINE },
    searchAttributes: indexedFields(state, request),
  };
}

/**
 * Whether the run was started with exactly this record (its memo decoded, every attribute equal),
 * the engine baseline it declares aside: runs started before that field existed count as started
 * with their record, as they did when they ran.
 */
export function startedWith(
  record: ReturnType<typeof startRecord>,
  started: { memo?: Record<string, unknown>; typedSearchAttributes: TypedSearchAttributes },
): boolean {
  const memo = started.memo ?? {};
  return (
    Object.entries(record.memo).every(([k, v]) => k === ENGINE_MEMO || memo[k] === v) &&
    record.searchAttributes.every((pair) => started.typedSearchAttributes.get(pair.key) === pair.value)
  );
}

/** `temporal server start-dev --search-attribute …` / `temporal operator search-attribute create …` arguments. */
export function registrationArgs(flag: '--search-attribute' | 'create', keys: readonly { name: string }[] = SEARCH_ATTRIBUTES): string[] {
  return flag === '--search-attribute'
    ? keys.flatMap((k) => ['--search-attribute', `${k.name}=Keyword`])
    : keys.flatMap((k) => ['--name', k.name, '--type', 'Keyword']);
}
