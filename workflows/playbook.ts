/**
 * How a playbook is written. A playbook never proxies activities itself: it names them, and the
 * engine calls them through the step helpers, so a destructive activity can only ever run behind
 * an approved gate (lint forbids `@temporalio/workflow` in `playbooks/` to keep it that way).
 */
import type { Duration } from '@temporalio/common';
import type { z } from 'zod';
import type { GateAction } from './approval-gate';
import type { CommandDefinition, IncidentCommand } from './commands';
import type {
  ActionResult,
  CommandOffer,
  DestructiveActivity,
  EvidenceActivity,
  UndoActivity,
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
  /** epoch ms: the gate expires (denied) no later than this, e.g. before a grant it would extend runs out */
  decideBy?: number;
}

export interface UndoStep<A, K extends KeysOfType<A, UndoActivity>> {
  /** what the timeline shows, e.g. "Revoke break-glass access of alice" */
  name: string;
  activity: K;
  target: string;
  args: ArgsOf<A[K]>;
  /** why, and at whose request: the grant expired, or who asked for an early revoke */
  reason: string;
  requestedBy: string;
}

/** The commands a playbook has opened itself to (see workflows/commands.ts). */
export interface CommandQueue {
  /** from now until close() or the end of the incident, the playbook's commands are accepted */
  open(): void;
  /** no more commands: what is still queued is not taken */
  close(): void;
  /** the next command, or undefined when `untilMs` (epoch ms, workflow time) comes first; a durable timer */
  next(untilMs: number): Promise<IncidentCommand | undefined>;
}

/** For a verification that waits (e.g. for a rollout): longer than the default 2 minutes, with heartbeats. */
export interface VerifyOptions {
  /** the activity's start-to-close timeout, e.g. '11m' (default '2m') */
  timeout?: Duration;
  /** the heartbeat timeout: a worker that dies mid-wait is noticed this soon, and the wait resumes elsewhere */
  heartbeat?: Duration;
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
  verify<K extends KeysOfType<A, VerifyActivity>>(
    name: string,
    activity: K,
    input: InputOf<A[K]>,
    options?: VerifyOptions,
  ): Promise<VerifyResult>;
  /**
   * Take back what an approved step of this incident did (revoke the access it granted) without a
   * gate: it only ever removes the incident's own doing, and waiting for approval to remove access
   * would be the unsafe direction. The activity must refuse anything the incident did not create.
   */
  undo<K extends KeysOfType<A, UndoActivity>>(step: UndoStep<A, K>): Promise<ActionResult>;
  /**
   * Say something on the timeline and in the incident's thread (e.g. "access granted until 14:30"),
   * optionally offering commands the incident takes now as buttons ("Revoke access now").
   */
  announce(summary: string, details?: Record<string, unknown>, offer?: CommandOffer[]): void;
  /** Commands people may give the running incident (declared in `Playbook.commands`). */
  readonly commands: CommandQueue;
  /**
   * Register an undo, run in reverse order if a later step fails; with `onCancel`, also when the
   * incident is cancelled (only for undos that need no gate: revoking access that was granted).
   */
  compensate(name: string, undo: () => Promise<void>, options?: { onCancel?: boolean }): void;
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
  /** params only a person may set (e.g. undoing a rollback): an alert route that sets one is refused at gateway start-up */
  personOnlyParams?: readonly string[];
  /** what people may ask of a running incident of this playbook, accepted once it calls `ctx.commands.open()` */
  commands?: Readonly<Record<string, CommandDefinition>>;
  run(ctx: PlaybookContext<P, A>): Promise<void>;
}

export type PlaybookRegistry = Readonly<Record<string, Playbook>>;

/** `definePlaybook<typeof myActivities>()({...})`: the activity map types the step helpers. */
export function definePlaybook<A>() {
  return <S extends z.ZodType>(def: Playbook<z.infer<S>, A> & { params: S }): Playbook<z.infer<S>, A> => def;
}
