/**
 * How a playbook is written. A playbook never proxies activities itself: it names them, and the
 * engine calls them through the step helpers, so a destructive activity can only ever run behind
 * an approved gate (lint forbids `@temporalio/workflow` in `playbooks/` to keep it that way).
 */
import type { z } from 'zod';
import type { GateAction } from './approval-gate';
import type {
  ActionResult,
  DestructiveActivity,
  EvidenceActivity,
  VerifyActivity,
  VerifyResult,
} from './contracts';
import type { LedgerEntry } from './evidence-ledger';
import type { IncidentMode } from './request';

type KeysOfType<A, T> = { [K in keyof A]: A[K] extends T ? K : never }[keyof A] & string;
type RequestOf<F> = F extends (req: infer R) => unknown ? R : never;
type InputOf<F> = RequestOf<F> extends { input: infer I } ? I : never;
type ArgsOf<F> = RequestOf<F> extends { args: infer I } ? I : never;

export interface DestructiveStep<A, K extends KeysOfType<A, DestructiveActivity>> {
  /** what people see on the approval request, e.g. "Quarantine pod payments/api-7f9c" */
  name: string;
  activity: K;
  target: string;
  args: ArgsOf<A[K]>;
  risk?: GateAction['risk'];
  /** a named policy for this step; the incident's or the playbook's otherwise */
  policy?: string;
}

export interface PlaybookContext<P, A> {
  readonly incidentId: string;
  readonly mode: IncidentMode;
  readonly requester: string;
  readonly params: P;
  /** Collect an artifact through an evidence activity; its reference joins the hash chain. */
  evidence<K extends KeysOfType<A, EvidenceActivity>>(name: string, activity: K, input: InputOf<A[K]>): Promise<LedgerEntry>;
  /** Open an approval gate for exactly this action; run it only once approved. Throws ApprovalDenied otherwise. */
  destructive<K extends KeysOfType<A, DestructiveActivity>>(step: DestructiveStep<A, K>): Promise<ActionResult>;
  /** Check the world is as it should be; throws VerificationFailed when not. The first pass after an action marks the incident contained. */
  verify<K extends KeysOfType<A, VerifyActivity>>(name: string, activity: K, input: InputOf<A[K]>): Promise<VerifyResult>;
  /** Register an undo, run in reverse order if a later step fails. */
  compensate(name: string, undo: () => Promise<void>): void;
  /** When what is being contained first became exposed (ISO time): the containment clock reports the exposure window. */
  exposedSince(at: string): void;
}

export interface Playbook<P = any, A = any> {
  name: string;
  title: (params: P) => string;
  description: string;
  params: z.ZodType<P>;
  /** the policy used when neither the request nor the step names one */
  defaultPolicy: string;
  run(ctx: PlaybookContext<P, A>): Promise<void>;
}

export type PlaybookRegistry = Readonly<Record<string, Playbook>>;

/** `definePlaybook<typeof myActivities>()({...})`: the activity map types the step helpers. */
export function definePlaybook<A>() {
  return <S extends z.ZodType>(def: Playbook<z.infer<S>, A> & { params: S }): Playbook<z.infer<S>, A> => def;
}
