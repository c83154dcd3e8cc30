/**
 * The alert intake endpoints, as one Express router the gateway mounts:
 *
 *   POST /alerts/falco          Falcosidekick webhook output            bearer token
 *   POST /alerts/alertmanager   Alertmanager webhook (version 4)        bearer token
 *   POST /alerts/github         GitHub secret_scanning_alert deliveries  X-Hub-Signature-256
 *   POST /alerts                the generic schema (./generic)          bearer token
 *   GET  /alerts/stats          counters per source and outcome
 *
 * Answers: 202 new/joined/resolved/no-open-incident/no-route; 400 with the zod issues (nothing
 * started); 401; 413; 422 when the routed playbook refuses the params; 503 when Temporal does not
 * take the alert (the sender should retry). Routes are compiled here, so a bad rule stops start-up.
 */
import type { Client } from '@temporalio/client';
import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import type { ZodType } from 'zod';
import { playbooks as registry } from '../../playbooks';
import { alertRoutes } from '../../playbooks/routes';
import { compileRoutes, type IntakeSource } from '../../playbooks/routing';
import type { AlertRef, IncidentRequestInput, PlaybookRegistry } from '../../workflows';
import type { IntakeAlert } from './alert';
import { alertmanagerPayloadSchema, normalizeAlertmanager } from './alertmanager';
import { bearerChecker, githubVerifier } from './auth';
import { Coalescer, CoalescerClosedError, type CoalescerStats } from './coalescer';
import type { IntakeConfig, TokenSource } from './config';
import { IncidentDelivery } from './delivery';
import { falcoPayloadSchema, normalizeFalco } from './falco';
import { genericAlertSchema, normalizeGeneric } from './generic';
import { normalizeSecretScanning, secretScanningAlertSchema, SECRET_SCANNING_EVENT } from './github';
import { AlertProcessor, issuesOf, type AlertResult, type IntakeLogger } from './processor';
import { IntakeCounters, type SourceCounts } from './stats';

export interface IntakeDeps {
  client: Client;
  /** the workers' task queue: incidents started here run there */
  taskQueue: string;
  config: IntakeConfig;
  /** routing rules (default: playbooks/routes.ts), validated now */
  routes?: unknown;
  playbooks?: PlaybookRegistry;
  logger?: IntakeLogger;
}

export interface IntakeStats {
  sources: Partial<Record<IntakeSource, SourceCounts>>;
  coalescer: CoalescerStats;
}

export interface IntakeRouter extends Router {
  /** delivers every coalesced repeat still pending; call after the HTTP server stopped taking requests */
  close(): Promise<{ undelivered: number }>;
  stats(): IntakeStats;
}

const silent: IntakeLogger = { info() {}, warn() {}, error() {} };
const SOURCE_BY_PATH: Record<string, IntakeSource> = { '/alerts/falco': 'falco', '/alerts/alertmanager': 'alertmanager', '/alerts/github': 'github', '/alerts': 'generic' };
const sourceOf = (req: Request): IntakeSource => SOURCE_BY_PATH[req.path.replace(/\/+$/, '') || '/'] ?? 'generic';

export function createIntakeRouter(deps: IntakeDeps): IntakeRouter {
  const playbooks = deps.playbooks ?? registry;
  const routes = compileRoutes(deps.routes ?? alertRoutes, playbooks);
  const logger = deps.logger ?? silent;
  const counters = new IntakeCounters();
  const delivery = new IncidentDelivery(deps.client, deps.taskQueue);
  const coalescer = new Coalescer<IncidentRequestInput, AlertRef>({
    open: (id, request, first) => delivery.open(id, request, first),
    flush: (id, request, batch) => delivery.add(id, request, batch),
    seenAt: (alert) => alert.detectedAt,
    windowMs: deps.config.coalesceMs,
    maxWindowMs: deps.config.coalesceMaxMs,
    onFlushError: (incidentId, count, err) => logger.warn({ incidentId, count, err: (err as Error).message }, 'alert batch not delivered yet; retrying next window'),
  });
  const processor = new AlertProcessor({ routes, playbooks, coalescer, delivery, counters, logger });

  const router = express.Router() as IntakeRouter;
  const body = express.raw({ type: () => true, limit: deps.config.maxBody });

  const bearer = (source: TokenSource) => {
    const check = bearerChecker(source, deps.config.tokens[source]);
    return (req: Request, res: Response, next: NextFunction) => {
      const result = check(req.get('authorization'));
      if (result.ok) return next();
      counters.count(source, 'unauthorized');
      res.status(401).set('WWW-Authenticate', 'Bearer').json({ error: 'unauthorized', message: result.message });
    };
  };

  /** The body as JSON validated by the schema, or undefined once a 400 has been sent. */
  function parse<T>(req: Request, res: Response, source: IntakeSource, schema: ZodType<T>): T | undefined {
    const text = Buffer.isBuffer(req.body) ? req.body.toString('utf8') : '';
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (err) {
      counters.count(source, 'invalid');
      res.status(400).json({ error: `invalid ${source} alert`, message: text ? `the body is not JSON: ${(err as Error).message}` : 'the body is empty', issues: [] });
      return undefined;
    }
    const parsed = schema.safeParse(json);
    if (parsed.success) return parsed.data;
    const issues = issuesOf(parsed.error);
    counters.count(source, 'invalid');
    res.status(400).json({ error: `invalid ${source} alert`, message: `${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`, issues });
    return undefined;
  }

  const code = (r: AlertResult) => (r.status === 'rejected' ? 422 : 202);

  async function answer(res: Response, source: IntakeSource, alerts: IntakeAlert[], receivedAt: Date, many: boolean): Promise<void> {
    counters.alerts(source, alerts.length);
    const results = await Promise.all(alerts.map((a) => processor.process(a, receivedAt)));
    if (!many) {
      res.status(code(results[0]!)).json(results[0]);
      return;
    }
    res.status(results.every((r) => r.status === 'rejected') ? 422 : 202).json({ results });
  }

  router.post('/alerts/falco', bearer('falco'), body, async (req, res) => {
    const receivedAt = new Date();
    const event = parse(req, res, 'falco', falcoPayloadSchema);
    if (event) await answer(res, 'falco', normalizeFalco(event), receivedAt, false);
  });

  router.post('/alerts/alertmanager', bearer('alertmanager'), body, async (req, res) => {
    const receivedAt = new Date();
    const payload = parse(req, res, 'alertmanager', alertmanagerPayloadSchema);
    if (payload) await answer(res, 'alertmanager', normalizeAlertmanager(payload, receivedAt), receivedAt, true);
  });

  const verifyGithub = githubVerifier(deps.config.githubSecrets);
  router.post('/alerts/github', body, async (req, res) => {
    const receivedAt = new Date();
    const raw = Buffer.isBuffer(req.body) ? req.body.toString('utf8') : '';
    const auth = await verifyGithub(raw, req.get('x-hub-signature-256'));
    if (!auth.ok) {
      counters.count('github', 'unauthorized');
      res.status(401).json({ error: 'unauthorized', message: auth.message });
      return;
    }
    const event = req.get('x-github-event') ?? '';
    if (event !== SECRET_SCANNING_EVENT) {
      counters.count('github', 'ignored');
      res.status(202).json({ status: 'ignored', message: `event "${event}" is not handled; only ${SECRET_SCANNING_EVENT}` });
      return;
    }
    const payload = parse(req, res, 'github', secretScanningAlertSchema);
    if (!payload) return;
    const alert = normalizeSecretScanning(payload, receivedAt);
    if (!alert) {
      counters.count('github', 'ignored');
      res.status(202).json({ status: 'ignored', message: `action "${payload.action}" neither raises nor resolves an alert` });
      return;
    }
    await answer(res, 'github', [alert], receivedAt, false);
  });

  router.post('/alerts', bearer('generic'), body, async (req, res) => {
    const receivedAt = new Date();
    const alert = parse(req, res, 'generic', genericAlertSchema);
    if (alert) await answer(res, 'generic', [normalizeGeneric(alert, receivedAt)], receivedAt, false);
  });

  router.get('/alerts/stats', (_req, res) => {
    res.json(router.stats());
  });

  router.use('/alerts', (req, res) => {
    res.status(404).json({ error: 'not found', message: `no ${req.method} ${req.originalUrl}; alerts go to POST /alerts/falco, /alerts/alertmanager, /alerts/github or /alerts` });
  });

  router.use((err: unknown, req: Request, res: Response, next: NextFunction) => {
    if (res.headersSent) return next(err);
    const source = sourceOf(req);
    const type = (err as { type?: string }).type;
    if (type === 'entity.too.large') {
      counters.count(source, 'too-large');
      res.status(413).json({ error: 'payload too large', message: `the body exceeds ${deps.config.maxBody} (TOURNIQUET_INTAKE_MAX_BODY)` });
      return;
    }
    if (type === 'request.aborted') return;
    counters.count(source, 'unavailable');
    const closing = err instanceof CoalescerClosedError;
    if (!closing) logger.error({ source, err: (err as Error).message }, 'alert not taken');
    res.status(503).set('Retry-After', '5').json({
      error: 'unavailable',
      message: closing ? 'the gateway is shutting down; retry' : `the alert was not recorded (${(err as Error).message}); retry`,
    });
  });

  const secured: string[] = (['falco', 'alertmanager', 'generic'] as const).filter((s) => deps.config.tokens[s].length > 0);
  if (deps.config.githubSecrets.length > 0) secured.push('github');
  logger.info({ routes: routes.map((r) => r.name), secured }, `alert intake ready: ${routes.length} route(s); sources without a secret refuse alerts (401)`);

  router.close = () => coalescer.close();
  router.stats = () => ({ sources: counters.snapshot(), coalescer: coalescer.stats() });
  return router;
}
