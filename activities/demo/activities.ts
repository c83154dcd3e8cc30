/**
 * Activities of the demo playbook. They touch nothing but the DemoWorld files, yet behave like the
 * real ones: evidence is redacted and stored, the destructive action needs its approval proof,
 * is idempotent, and only pretends in drill mode.
 */
import { createHash } from 'node:crypto';
import type { ActionResult, ApprovedAction, EvidenceRequest, VerifyRequest, VerifyResult } from '../../workflows/contracts';
import type { EvidenceRef } from '../../workflows/evidence-ledger';
import { approvedAction } from '../approved-action';
import { recordArtifact, type EvidenceStore } from '../evidence';
import type { DemoWorld } from './world';

export interface DemoTarget {
  service: string;
}

/** A made-up credential in the demo snapshot, so redaction has something to do. Never a real one. */
function demoToken(service: string): string {
  return `ghp_${createHash('sha256').update(`demo:${service}`).digest('base64url').replace(/[-_]/g, 'x').slice(0, 36)}`;
}

export function createDemoActivities(deps: { world: DemoWorld; store: EvidenceStore }) {
  const { world, store } = deps;
  return {
    async demoSnapshot(req: EvidenceRequest<DemoTarget>): Promise<EvidenceRef> {
      const service = await world.read(req.input.service);
      return recordArtifact(store, {
        incidentId: req.incidentId,
        name: req.name,
        content: {
          service,
          environment: { LOG_LEVEL: 'info', GITHUB_TOKEN: demoToken(service.name) },
          recentLog: `connecting with Authorization: Bearer ${demoToken(service.name)}`,
          capturedAt: new Date().toISOString(),
        },
      });
    },

    demoQuarantine: approvedAction(async (req: ApprovedAction<DemoTarget>): Promise<ActionResult> => {
      const service = await world.read(req.args.service);
      if (service.quarantined) {
        return { summary: `${service.name} was already quarantined (by ${service.quarantinedBy})`, changed: false };
      }
      if (req.dryRun) return { summary: `DRILL: would quarantine ${service.name}`, changed: false };
      await world.write(
        { ...service, quarantined: true, quarantinedBy: req.incidentId, since: new Date().toISOString() },
        'quarantine',
        req.incidentId,
      );
      return { summary: `quarantined ${service.name} (approved by ${req.approval.approvers.join(', ')})`, changed: true };
    }),

    demoRelease: approvedAction(async (req: ApprovedAction<DemoTarget>): Promise<ActionResult> => {
      const service = await world.read(req.args.service);
      if (!service.quarantined) return { summary: `${service.name} is not quarantined`, changed: false };
      if (req.dryRun) return { summary: `DRILL: would release ${service.name}`, changed: false };
      await world.write({ name: service.name, replicas: service.replicas, quarantined: false }, 'release', req.incidentId);
      return { summary: `released ${service.name}`, changed: true };
    }),

    async demoCheckQuarantined(req: VerifyRequest<DemoTarget & { expectFailure?: boolean }>): Promise<VerifyResult> {
      const service = await world.read(req.input.service);
      if (req.input.expectFailure) return { ok: false, summary: `${service.name}: simulated verification failure` };
      if (req.mode === 'drill') return { ok: true, summary: `DRILL: ${service.name} would be quarantined`, details: { dryRun: true } };
      return service.quarantined
        ? { ok: true, summary: `${service.name} is quarantined`, details: { since: service.since } }
        : { ok: false, summary: `${service.name} is still serving traffic` };
    },
  };
}
