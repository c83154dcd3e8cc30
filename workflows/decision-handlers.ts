/**
 * The decide update and the refusal audit. The validator refuses before anything is written to
 * history; the caller then reports the refusal by signal so it still lands on the timeline (see
 * client/decisions.ts). The handler checks again, because two votes may be accepted in the same
 * workflow task; its refusals reach the caller the same way and are reported the same way.
 *
 * A refusal report is evidence only when it carries the refused decision (or command) itself,
 * signed: the workflow checks the signature and works out the refusal again, so a bare Temporal
 * client cannot put words in anyone's mouth. Unsigned attempts are refused by the validator and
 * logged by the worker; they never reach the timeline.
 */
import { ApplicationFailure, log, setHandler } from '@temporalio/workflow';
import { z } from 'zod';
import { REFUSAL_CODES, type Refusal } from './approval-gate';
import { channelOf, evidenceShown } from './approval-wait';
import { COMMAND_REFUSAL_CODES } from './commands';
import type { Incident } from './incident-state';
import type { NotificationQueue } from './notifications';
import { decideUpdate, refusalSignal } from './messages';
import { isPatched } from './patches';
import { lazy } from './lazy';
import { commandInputSchema, type CommandInbox } from './commands';
import { decisionSchema, type Decision } from './request';

/** The refusal reports of histories from before verified refusals; built on first use (workflows/lazy.ts). */
const refusalReportSchema = lazy(() =>
  z.object({
    gateId: z.string().max(100).optional(),
    approver: z.string().max(200),
    decision: z.enum(['approve', 'deny']).optional(),
    code: z.enum([...REFUSAL_CODES, ...COMMAND_REFUSAL_CODES, 'EngineUnavailable']),
    message: z.string().max(1000),
    via: z.string().max(40),
  }),
);

/** `now`: the validator's time rules; undefined in the handler (see ApprovalGate.check). */
function refusalFor(incident: Incident, input: unknown, now: number | undefined): { refusal?: Refusal; decision?: Decision } {
  const parsed = decisionSchema.safeParse(input);
  if (!parsed.success) return { refusal: { code: 'InvalidDecision', message: z.prettifyError(parsed.error) } };
  const decision = parsed.data;
  const gate = incident.gate(decision.gateId);
  if (!gate) {
    const open = incident.openGates.map((g) => g.id);
    return {
      decision,
      refusal: {
        code: 'GateNotFound',
        message: `incident ${incident.id} has no gate ${decision.gateId}${open.length ? ` (open: ${open.join(', ')})` : ' and no open gate'}`,
      },
    };
  }
  const refusal = gate.check(decision, now);
  return refusal ? { decision, refusal } : { decision };
}

/** Gates opened before decisions were signed have no key snapshot: nothing new is taken on them. */
function legacyGate(incident: Incident, decision: Decision | undefined): Refusal | undefined {
  const gate = decision && incident.gate(decision.gateId);
  if (!gate || gate.trust) return undefined;
  return { code: 'Unauthenticated', message: `gate ${gate.id} was opened before decisions were signed; it cannot take decisions now` };
}

function failure(refusal: Refusal): ApplicationFailure {
  return ApplicationFailure.nonRetryable(refusal.message, refusal.code);
}

export function registerDecisionHandlers(incident: Incident, notifier: NotificationQueue, inbox: CommandInbox): void {
  setHandler(
    decideUpdate,
    (input) => {
      const { refusal, decision } = refusalFor(incident, input, undefined);
      if (refusal || !decision) throw failure(refusal ?? { code: 'InvalidDecision', message: 'no decision' });
      const gate = incident.gate(decision.gateId)!;
      const now = Date.now();
      const result = gate.apply(decision, now);
      const signer = gate.votes.at(-1)?.signer;
      incident.timeline.append('approval.vote', decision.approver, `${decision.decision} ${gate.action.step}`, {
        gateId: gate.id,
        decision: decision.decision,
        reason: decision.reason,
        via: decision.via,
        approvalsRemaining: result.approvalsRemaining,
        ...(signer ? { signer } : {}),
      });
      if (result.status !== 'open') incident.clock.mark('decided_at', now);
      else {
        notifier.send('approval.vote', `${decision.approver} approved ${gate.action.step}; ${result.approvalsRemaining} more needed`, {
          gate: gate.view(),
          ...evidenceShown(incident, gate),
          ...channelOf(gate.policy),
        });
      }
      return result;
    },
    {
      validator: (input) => {
        const { refusal, decision } = refusalFor(incident, input, Date.now());
        const late = decision && incident.gate(decision.gateId)?.pastDeadline(Date.now());
        const refused = refusal ?? legacyGate(incident, decision) ?? late;
        if (refused) {
          if (refused.code === 'Unauthenticated' || refused.code === 'InvalidDecision') {
            // Validators cannot write history; the worker's log is where a foreign client's attempt shows.
            log.warn('decision refused before history', {
              incidentId: incident.id,
              code: refused.code,
              claimed: decision?.approver,
              via: decision?.via,
            });
          }
          throw failure(refused);
        }
      },
    },
  );

  setHandler(refusalSignal, (input) => {
    if (isPatched('verified-refusals')) {
      recordVerifiedRefusal(incident, notifier, inbox, input);
      return;
    }
    const parsed = refusalReportSchema().safeParse(input);
    if (!parsed.success) return;
    const report = parsed.data;
    incident.timeline.append('approval.refused', report.approver, report.message, {
      code: report.code,
      gateId: report.gateId,
      decision: report.decision,
      via: report.via,
    });
    // Added after histories were recorded without it: incidents already running replay unchanged.
    if (isPatched('notify-refusals')) {
      notifier.send('approval.refused', `refused ${report.approver}: ${report.code}`, {
        refusal: { code: report.code, actor: report.approver },
      });
    }
  });
}

/** Built on first use: most incidents see no refusal (workflows/lazy.ts). */
const verifiedReportSchema = lazy(() => z.object({ decision: z.unknown().optional(), command: z.unknown().optional() }));

/** The refused decision or command, signed, checked again here; whatever cannot be proven is dropped. */
function recordVerifiedRefusal(incident: Incident, notifier: NotificationQueue, inbox: CommandInbox, input: unknown): void {
  const report = verifiedReportSchema().safeParse(input);
  if (!report.success) return;
  const now = Date.now();
  let entry:
    | { actor: string; code: string; message: string; via: string; gateId?: string; decision?: string; nonce?: string; signer: unknown }
    | undefined;
  if (report.data.decision !== undefined) {
    const parsed = decisionSchema.safeParse(report.data.decision);
    const decision = parsed.success ? parsed.data : undefined;
    const gate = decision && incident.gate(decision.gateId);
    const auth = decision && gate?.trust ? gate.authenticate(decision, now) : undefined;
    const refusal = decision && gate && auth?.signer ? (gate.check(decision, now) ?? gate.pastDeadline(now)) : undefined;
    if (decision && gate && auth?.signer && refusal) {
      entry = {
        actor: decision.approver,
        code: refusal.code,
        message: refusal.message,
        via: decision.via,
        gateId: gate.id,
        decision: decision.decision,
        signer: auth.signer,
      };
      if (decision.nonce) entry.nonce = decision.nonce;
    }
  } else if (report.data.command !== undefined) {
    const parsed = commandInputSchema().safeParse(report.data.command);
    const auth = parsed.success ? inbox.authenticate(parsed.data, now) : undefined;
    const checked = parsed.success && auth?.signer ? inbox.check(parsed.data, now) : undefined;
    const refusal = checked && ('refusal' in checked ? checked.refusal : inbox.checkInput(parsed.data));
    if (parsed.success && auth?.signer && refusal) {
      entry = {
        actor: parsed.data.by,
        code: refusal.code,
        message: `${parsed.data.command} refused: ${refusal.message}`,
        via: parsed.data.via,
        signer: auth.signer,
      };
      if (parsed.data.nonce) entry.nonce = parsed.data.nonce;
    }
  }
  // A report sent twice (a retry, or a replay by someone with Temporal access) is one refusal.
  if (!entry?.nonce || incident.auditedNonces.has(entry.nonce)) return;
  incident.auditedNonces.add(entry.nonce);
  incident.timeline.append('approval.refused', entry.actor, entry.message, {
    code: entry.code,
    gateId: entry.gateId,
    decision: entry.decision,
    via: entry.via,
    signer: entry.signer,
  });
  notifier.send('approval.refused', `refused ${entry.actor}: ${entry.code}`, { refusal: { code: entry.code, actor: entry.actor } });
}
