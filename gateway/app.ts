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

/** Why Temporal did not answer, in a few words, from the gRPC status code the SDK's error carries. */
export function unreadyReason(err: unknown): string {
  const code = (err as { code?: number })?.code ?? (err as { cause?: { code?: number } })?.cause?.code;
  switch (code) {
    case 14:
      return 'cannot connect to Temporal (not running, or a wrong TEMPORAL_ADDRESS)';
    case 4:
    case 1:
      return 'Temporal did not answer within 2 s (not running, unreachable, or overloaded)';
    case 16:
    case 7:
      return "Temporal refused the gateway's credentials (TLS certificate or API key)";
    default:
      return 'Temporal answered with an error';
  }
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
      // A probe's reader (kubectl describe, a load balancer's log) wants the reason, not gRPC text.
      res.status(503).json({ ok: false, temporal: 'unreachable', reason: unreadyReason(err) });
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
