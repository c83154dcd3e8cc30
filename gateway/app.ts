/**
 * The gateway's HTTP app: health and readiness (is Temporal reachable?), metrics, the Slack app
 * and alert intake.
 */
import type { Client } from '@temporalio/client';
import express, { type Express, type Router } from 'express';
import type { Registry } from 'prom-client';
import { registerIntakeMetrics } from './intake/metrics';
import type { IntakeRouter } from './intake/router';

export interface GatewayDeps {
  client: Client;
  /** the Slack app (gateway/slack/app.ts), when Slack is configured */
  slack?: Router;
  /** alert intake (gateway/intake/router.ts): POST /alerts/… */
  intake?: IntakeRouter;
  /** served at GET /metrics (Prometheus text format) */
  metrics?: Registry;
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
  const { metrics } = deps;
  if (metrics && deps.intake) {
    const intake = deps.intake;
    registerIntakeMetrics(metrics, () => intake.stats().sources);
  }
  if (metrics) {
    app.get('/metrics', async (_req, res) => {
      res.type(metrics.contentType).send(await metrics.metrics());
    });
  }
  if (deps.slack) app.use(deps.slack);
  if (deps.intake) app.use(deps.intake);
  return app;
}
