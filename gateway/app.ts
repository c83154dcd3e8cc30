/**
 * The gateway's HTTP app. For now: health and readiness (is Temporal reachable?). Alert intake
 * and the Slack app mount here.
 */
import type { Client } from '@temporalio/client';
import express, { type Express, type Router } from 'express';
import type { IntakeRouter } from './intake/router';

export interface GatewayDeps {
  client: Client;
  /** the Slack app (gateway/slack/app.ts), when Slack is configured */
  slack?: Router;
  /** alert intake (gateway/intake/router.ts): POST /alerts/… */
  intake?: IntakeRouter;
}

export function createGatewayApp(deps: GatewayDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.get('/healthz', (_req, res) => {
    res.json({ ok: true });
  });
  app.get('/readyz', async (_req, res) => {
    try {
      await deps.client.connection.withDeadline(Date.now() + 2_000, () => deps.client.workflowService.getSystemInfo({}));
      res.json({ ok: true, temporal: 'reachable' });
    } catch (err) {
      res.status(503).json({ ok: false, temporal: 'unreachable', error: (err as Error).message });
    }
  });
  if (deps.slack) app.use(deps.slack);
  if (deps.intake) app.use(deps.intake);
  return app;
}
