/**
 * The decide update and the refusal audit. The validator refuses before anything is written to
 * history; the caller then reports the refusal by signal so it still lands on the timeline (see
 * client/decisions.ts). The handler checks again, because two votes may be accepted in the same
 * workflow task; its refusals reach the caller the same way and are reported the same way.
 */
import { ApplicationFailure, patched, setHandler } from '@temporalio/workflow';
import { z } from 'zod';
import { REFUSAL_CODES, type Refusal } from './approval-gate';
import { channelOf } from './approval-wait';
import { COMMAND_REFUSAL_CODES } from './commands';
import type { Incident } from './incident-state';
import type { Notifier } from './notifications';
import { decideUpdate, refusalSignal } from './messages';
import { decisionSchema, type Decision } from './request';

const refusalReportSchema = z.object({
  gateId: z.string().max(100).optional(),
  approver: z.string().max(200),
  decision: z.enum(['approve', 'deny']).optional(),
  code: z.enum([...REFUSAL_CODES, ...COMMAND_REFUSAL_CODES, 'EngineUnavailable']),
  message: z.string().max(1000),
  via: z.string().max(40),
});

function refusalFor(incident: Incident, input: unknown): { refusal?: Refusal; decision?: Decision } {
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
  const refusal = gate.check(decision, Date.now());
  return refusal ? { decision, refusal } : { decision };
}

function failure(refusal: Refusal): ApplicationFailure {
  return ApplicationFailure.nonRetryable(refusal.message, refusal.code);
}

export function registerDecisionHandlers(incident: Incident, notifier: Notifier): void {
  setHandler(
    decideUpdate,
    (input) => {
      const { refusal, decision } = refusalFor(incident, input);
      if (refusal || !decision) throw failure(refusal ?? { code: 'InvalidDecision', message: 'no decision' });
      const gate = incident.gate(decision.gateId)!;
      const now = Date.now();
      const result = gate.apply(decision, now);
      incident.timeline.append('approval.vote', decision.approver, `${decision.decision} ${gate.action.step}`, {
        gateId: gate.id,
        decision: decision.decision,
        reason: decision.reason,
        via: decision.via,
        approvalsRemaining: result.approvalsRemaining,
      });
      if (result.status !== 'open') incident.clock.mark('decided_at', now);
      else {
        notifier.send('approval.vote', `${decision.approver} approved ${gate.action.step}; ${result.approvalsRemaining} more needed`, {
          gate: gate.view(),
          ...channelOf(gate.policy),
        });
      }
      return result;
    },
    {
      validator: (input) => {
        const { refusal, decision } = refusalFor(incident, input);
        const late = decision && incident.gate(decision.gateId)?.pastDeadline(Date.now());
        if (refusal ?? late) throw failure((refusal ?? late)!);
      },
    },
  );

  setHandler(refusalSignal, (input) => {
    const parsed = refusalReportSchema.safeParse(input);
    if (!parsed.success) return;
    const report = parsed.data;
    incident.timeline.append('approval.refused', report.approver, report.message, {
      code: report.code,
      gateId: report.gateId,
      decision: report.decision,
      via: report.via,
    });
    // Added after histories were recorded without it: incidents already running replay unchanged.
    if (patched('notify-refusals')) {
      notifier.send('approval.refused', `refused ${report.approver}: ${report.code}`, { refusal: { code: report.code, actor: report.approver } });
    }
  });
}
