/**
 * Tourniquet's custom search attributes: what the incident workflow indexes so that Temporal's own
 * tools (`temporal workflow list --query "TourniquetState='awaiting-approval'"`, the UI's columns)
 * see where an incident stands, and a denied or expired incident does not pass for a resolved one
 * (Temporal shows all three as COMPLETED). Every server Tourniquet runs on must register them
 * (`registrationArgs()`); the worker checks at start-up (worker/search-attributes-check.ts).
 */
import { defineSearchAttributeKey, SearchAttributeType, type SearchAttributeUpdatePair } from '@temporalio/common';
import type { Incident } from './incident-state';

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

/** Everything indexed, as of now: set once at start, then state (and outcome at the end) on each change. */
export function searchAttributesOf(incident: Incident): SearchAttributeUpdatePair[] {
  const outcome = outcomeOf(incident);
  return [
    { key: TourniquetState, value: incident.state },
    { key: TourniquetPlaybook, value: incident.request.playbook },
    { key: TourniquetRequester, value: incident.request.requester },
    { key: TourniquetMode, value: incident.request.mode },
    // where the incident came from: the alert source that opened it, or `manual` (a person, the CLI)
    { key: TourniquetSource, value: incident.request.alerts[0]?.source ?? 'manual' },
    ...(outcome ? [{ key: TourniquetOutcome, value: outcome }] : []),
  ];
}

/** `temporal server start-dev --search-attribute …` / `temporal operator search-attribute create …` arguments. */
export function registrationArgs(flag: '--search-attribute' | 'create', keys: readonly { name: string }[] = SEARCH_ATTRIBUTES): string[] {
  return flag === '--search-attribute'
    ? keys.flatMap((k) => ['--search-attribute', `${k.name}=Keyword`])
    : keys.flatMap((k) => ['--name', k.name, '--type', 'Keyword']);
}
