/**
 * Commands: what people may ask of a running incident besides voting on a gate — "revoke my
 * break-glass access now", "extend it by 30 minutes". A playbook declares the commands it takes;
 * the `command` update's validator refuses anything else before it reaches history (unknown
 * command, bad arguments, not accepted yet, not this person's to give), and the handler queues what
 * it accepts for the playbook to take with `ctx.commands.next()`. A command never acts by itself:
 * the playbook decides what it means, and anything destructive still goes through a gate.
 */
import { ApplicationFailure, condition } from '@temporalio/workflow';
import { z } from 'zod';
import { identitySchema, nonceSchema, signatureSchema } from './request';
import { commandStatement, type CommandClaim } from './signatures/statements';
import { authenticate, type Signer, type TrustSnapshot } from './signatures/trust';
import { FAILURE_TYPES } from './failure-types';
import { lazy } from './lazy';

export const COMMAND_REFUSAL_CODES = [
  'InvalidCommand',
  'UnknownCommand',
  'CommandNotAccepted',
  'CommandNotPermitted',
  'CommandExpired',
] as const;
export type CommandRefusalCode = (typeof COMMAND_REFUSAL_CODES)[number] | 'Unauthenticated' | 'Replayed';

export interface CommandDefinition {
  description: string;
  /** validated in the validator: bad arguments never reach history */
  args: z.ZodType<Record<string, unknown>>;
  /** who may give it: the incident's requester only, or anyone (taking access away is always welcome) */
  from: 'requester' | 'anyone';
  /**
   * Takes precedence: it closes the incident's open gates (cancelled) and goes to the front of the
   * queue, so neither a pending request nor queued ones (extend, extend…) hold it up.
   */
  closesOpenGates?: boolean;
  /** a reason is required, checked by this schema (e.g. at least 10 characters for the approvers) */
  reason?: z.ZodType<string>;
}

/** Built on first use: most incidents take no command (workflows/lazy.ts). */
export const commandInputSchema = lazy(() =>
  z.object({
    command: z.string().min(1).max(64),
    by: identitySchema,
    args: z.record(z.string(), z.unknown()).default({}),
    reason: z.string().trim().max(2000).optional(),
    via: z.string().max(40).default('api'),
    validUntil: z.iso.datetime({ offset: true }).optional(),
    nonce: nonceSchema.optional(),
    /** SSHSIG over commandStatement(): the sender's own key, or the Slack gateway's for its users */
    signature: signatureSchema.optional(),
  }),
);
export type CommandInput = z.input<ReturnType<typeof commandInputSchema>>;
type ParsedCommandInput = z.infer<ReturnType<typeof commandInputSchema>>;

export interface IncidentCommand {
  seq: number;
  command: string;
  by: string;
  args: Record<string, unknown>;
  reason?: string;
  via: string;
  at: string;
  signer?: Signer;
}

export interface CommandResult {
  seq: number;
  command: string;
  accepted: true;
}

/** The incident's command queue: closed until the playbook opens it, closed again when it ends. */
export class CommandInbox {
  private readonly queue: IncidentCommand[] = [];
  private received = 0;
  private accepting = false;
  private readonly nonces = new Set<string>();
  /** a person cancelled the incident: a playbook waiting for commands stops waiting */
  interrupted = false;

  constructor(
    private readonly definitions: Readonly<Record<string, CommandDefinition>>,
    private readonly requester: string,
    private readonly incidentId = '',
    /** the incident's latest key snapshot; undefined before its first gate, or in histories from before signing */
    private readonly trust: () => TrustSnapshot | undefined = () => undefined,
  ) {}

  /** Who signed this command, or why nobody trusted did; nothing to say where no snapshot exists. */
  authenticate(
    c: ParsedCommandInput,
    now: number | undefined,
  ): { signer?: Signer; refusal?: { code: CommandRefusalCode; message: string } } {
    const trust = this.trust();
    return trust ? authenticateCommand(trust, this.incidentId, c, now) : {};
  }

  /**
   * Why this command must not be accepted, or the parsed command when it may. `now` undefined:
   * the handler's re-check, without the validator's time rules (see ApprovalGate.check).
   */
  check(
    input: unknown,
    now: number | undefined,
  ):
    | { refusal: { code: CommandRefusalCode; message: string } }
    | { command: Omit<IncidentCommand, 'seq' | 'at'>; definition: CommandDefinition } {
    const parsed = commandInputSchema().safeParse(input);
    if (!parsed.success) return { refusal: { code: 'InvalidCommand', message: z.prettifyError(parsed.error) } };
    const c = parsed.data;
    const auth = this.authenticate(c, now);
    if (auth.refusal) return { refusal: auth.refusal };
    if (c.nonce && this.nonces.has(c.nonce))
      return { refusal: { code: 'Replayed', message: `this "${c.command}" (nonce ${c.nonce}) was already received` } };
    const definition = Object.hasOwn(this.definitions, c.command) ? this.definitions[c.command] : undefined;
    if (!definition) {
      const known = Object.keys(this.definitions);
      return {
        refusal: {
          code: 'UnknownCommand',
          message: `this incident takes no command "${c.command}"${known.length ? ` (it takes: ${known.join(', ')})` : ''}`,
        },
      };
    }
    if (!this.accepting)
      return {
        refusal: {
          code: 'CommandNotAccepted',
          message: `"${c.command}" is not accepted now: the incident has not reached the point where it applies, or has ended`,
        },
      };
    if (definition.from === 'requester' && c.by !== this.requester) {
      return {
        refusal: { code: 'CommandNotPermitted', message: `only ${this.requester}, who requested this incident, may ask to ${c.command}` },
      };
    }
    const args = definition.args.safeParse(c.args);
    if (!args.success) return { refusal: { code: 'InvalidCommand', message: `${c.command}: ${z.prettifyError(args.error)}` } };
    const command: Omit<IncidentCommand, 'seq' | 'at'> = { command: c.command, by: c.by, args: args.data, via: c.via };
    if (c.reason) command.reason = c.reason;
    if (auth.signer) command.signer = auth.signer;
    return { command, definition };
  }

  /**
   * Input rules added after commands were first recorded: checked by the validator only, which
   * replay skips, so a command accepted before such a rule existed still replays as accepted.
   */
  checkInput(input: unknown): { code: CommandRefusalCode; message: string } | undefined {
    const parsed = commandInputSchema().safeParse(input);
    if (parsed.success && !this.trust()) {
      return {
        code: 'Unauthenticated',
        message: 'this incident has no key snapshot to check commands against (it opened no gate since decisions are signed)',
      };
    }
    const definition =
      parsed.success && Object.hasOwn(this.definitions, parsed.data.command) ? this.definitions[parsed.data.command] : undefined;
    if (!parsed.success || !definition?.reason) return undefined;
    const reason = definition.reason.safeParse(parsed.data.reason ?? '');
    if (reason.success) return undefined;
    return { code: 'InvalidCommand', message: `${parsed.data.command}: reason: ${reason.error.issues.map((i) => i.message).join('; ')}` };
  }

  open(): void {
    this.accepting = true;
  }

  /** Whether commands are taken now: once not, buttons that offered them are stale. */
  get isOpen(): boolean {
    return this.accepting;
  }

  interrupt(): void {
    this.interrupted = true;
    this.accepting = false;
  }

  close(): void {
    this.accepting = false;
  }

  accept(command: Omit<IncidentCommand, 'seq' | 'at'>, definition: CommandDefinition, now: number, nonce?: string): IncidentCommand {
    if (nonce) this.nonces.add(nonce);
    const accepted: IncidentCommand = { seq: ++this.received, ...command, at: new Date(now).toISOString() };
    if (definition.closesOpenGates) this.queue.unshift(accepted);
    else this.queue.push(accepted);
    return accepted;
  }

  get pending(): number {
    return this.queue.length;
  }

  take(): IncidentCommand | undefined {
    return this.queue.shift();
  }
}

/**
 * Waits for the next command until `untilMs` (workflow time); undefined once that time has come,
 * even with commands still queued (a grant that has run out is not extended). A durable timer:
 * restarts lose nothing.
 */
/**
 * A signed command (a playbook's, or the built-in cancel) checked against a key snapshot: who
 * signed it, or why it is refused (unauthenticated; with `now`, past its validity). `now`
 * undefined: the handler's re-check, without the validator's time rules (see ApprovalGate.check).
 */
export function authenticateCommand(
  trust: TrustSnapshot,
  incidentId: string,
  c: Omit<CommandClaim, 'incidentId'> & { signature?: string | undefined },
  now: number | undefined,
): { signer: Signer; refusal?: undefined } | { signer?: undefined; refusal: { code: CommandRefusalCode; message: string } } {
  const statement = commandStatement({ ...c, incidentId });
  const auth = authenticate(trust, { identity: c.by, via: c.via, statement, signature: c.signature, validUntil: c.validUntil }, now);
  if (!auth.ok) return { refusal: { code: 'Unauthenticated', message: auth.message } };
  if (now !== undefined && c.validUntil && now > Date.parse(c.validUntil)) {
    return {
      refusal: {
        code: 'CommandExpired',
        message: `"${c.command}" reached the engine after its validity ended (${c.validUntil}); it was not applied`,
      },
    };
  }
  return { signer: auth.signer };
}

/** Thrown where a playbook waits or starts a step once a person has cancelled the incident. */
export function incidentCancelled(): ApplicationFailure {
  return ApplicationFailure.nonRetryable('the incident was cancelled', FAILURE_TYPES.IncidentCancelled);
}

export async function nextCommand(inbox: CommandInbox, untilMs: number): Promise<IncidentCommand | undefined> {
  const wait = untilMs - Date.now();
  if (inbox.pending === 0 && wait > 0) await condition(() => inbox.pending > 0 || inbox.interrupted, wait);
  if (inbox.interrupted) throw incidentCancelled();
  if (Date.now() >= untilMs) return undefined;
  return inbox.take();
}
