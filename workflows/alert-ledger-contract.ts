/**
 * The alert ledger's contract, shared by the gateway (which records identities in it) and the
 * ledger workflow (./alert-ledger.ts). See docs/intake.md, "Bounded history".
 *
 * An incident's distinct alert identities live in LEDGER_SHARDS ledger workflows, not in the
 * incident's own history: one million identities are about 11 MB of keys, more than one history or
 * one continue-as-new input (about 2 MB) can hold. Each shard holds the keys whose first character
 * falls to it, continues as new past an event budget, and answers every record with its absolute
 * counts and a sequence number; the incident takes, per shard, the counts of the highest sequence,
 * so a retried or reordered push changes nothing.
 */
import { defineUpdate } from '@temporalio/workflow';
import type { IdentityCounts } from './alert-identities';

export const LEDGER_WORKFLOW = 'alertLedgerWorkflow';
/** 32 shards of at most LEDGER_SHARD_CAPACITY identities each: exact up to about 1.4 million per incident */
export const LEDGER_SHARDS = 32;
/** identities a shard holds exactly (about 500 KB of keys in its continue-as-new input); a sketch beyond */
export const LEDGER_SHARD_CAPACITY = 45_000;
/** the gateway's keys (AlertRef.key): 11 base64url characters, 66 bits of sha256 */
export const LEDGER_KEY = /^[A-Za-z0-9_-]{11}$/;
export const LEDGER_KEY_LENGTH = 11;
/** the most identities one record carries */
export const MAX_LEDGER_RECORD = 2000;

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/** The shard a key belongs to: its first character (6 uniform bits of a hash), modulo LEDGER_SHARDS. */
export function shardOf(key: string): number {
  return ALPHABET.indexOf(key[0] ?? 'A') % LEDGER_SHARDS;
}

/** One ledger per incident run: a new run of the same incident id counts afresh. */
export function ledgerWorkflowId(incidentId: string, runId: string, shard: number): string {
  return `${incidentId}.alerts.${runId}.${shard}`;
}

export interface LedgerStart {
  incidentId: string;
  runId: string;
  shard: number;
}

/**
 * `firing`/`resolved`: the identities' latest word. `seed`: record them as firing only where the
 * ledger lacks them (the alerts an incident was opened with; their status may have moved since).
 */
export interface LedgerRecord {
  keys: string[];
  status: 'firing' | 'resolved' | 'seed';
}

export interface ShardCounts extends IdentityCounts {
  /** how many records changed this shard, across its runs: the newest counts win */
  seq: number;
}

export interface LedgerResult {
  shard: number;
  counts: ShardCounts;
  /** identities of this record that were new, or changed status */
  fresh: number;
}

export const recordAlertsUpdate = defineUpdate<LedgerResult, [LedgerRecord]>('recordAlerts');
