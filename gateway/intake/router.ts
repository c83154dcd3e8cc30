/**
 * The alert intake endpoints, as one Express router the gateway mounts:
 *
 *   POST /alerts/falco          Falcosidekick webhook output            bearer token
 *   POST /alerts/alertmanager   Alertmanager webhook (version 4)        bearer token
 *   POST /alerts/github         GitHub secret_scanning_alert deliveries  X-Hub-Signature-256
 *   POST /alerts                the generic schema (./generic)          bearer token
 *   GET  /alerts/stats          counters per source and outcome
 *
 * Answers: 202 new/joined/suppressed/resolved/no-open-incident/no-route; 400 with the zod issues or the reason
 * (not JSON, nested too deep; nothing started); 401; 413; 415 for a body that is not JSON; 422 when
 * the routed playbook refuses the params; 503 only when Temporal does not take the alert (the
 * sender should retry): content is never answered 5xx. Routes are compiled here, so a bad rule stops start-up.
 * A GitHub delivery takes effect at most once (./receipts.ts): a repeat is answered 202
 * `duplicate`, and one whose event is older than the window 401, since its signature never expires.
 */
import type { Client } from '@temporalio/client';
import type { IncomingMessage, ServerResponse } from 'node:http';
import express, { type Request, type Response, type Router } from 'express';
import type { ZodType } from 'zod';
import { playbooks as registry } from '../../playbooks';
import { alertRoutes } from './routes';
import { DRILL_HEADER } from '../../client/drills/run';
import { compileRoutes, type IntakeSource } from './routing';
import { LEDGER_SHARDS, type IncidentRequestInput, type PlaybookRegistry } from '../../workflows';
import type { IntakeAlert } from './alert';
import { alertmanagerPayloadSchema, normalizeAlertmanager } from './alertmanager';
import { bearerChecker, githubVerifier } from './auth';
import { BodyError, checkContentType, parseJson, parseSize, readBody } from './body';
import { Coalescer, CoalescerClosedError, type CoalescerStats } from './coalescer';
import { DEFAULT_GITHUB_MAX_AGE_MS, type IntakeConfig, type TokenSource } from './config';
import { IncidentDelivery, type IntakeItem } from './delivery';
import { ReopenGuard } from './reopen';
import { isTemporalUnavailable } from './unavailable';
import { falcoPayloadSchema, normalizeFalco, parseFalcoFast } from './falco';
import { genericAlertSchema, normalizeGeneric } from './generic';
import { eventTimeOf, normalizeSecretScanning, secretScanningAlertSchema, SECRET_SCANNING_EVENT } from './github';
import { AlertProcessor, issuesOf, type IntakeLogger } from './processor';
import { DeliveryReceipts } from './receipts';
import { IntakeCounters, type SourceCounts } from './stats';

/** Game-day drills (`tourniquet drill`) mark their alert with DRILL_HEADER: the incident runs in drill mode under its own id. */
const DRILL_RUN = /^[a-z0-9][a-z0-9-]{0,79}$/;
/** The drill run of a request being answered (set once the request passed authentication). */
const drillRuns = new WeakMap<object, string>();

export interface IntakeDeps {
  client: Client;
  /** the workers' task queue: incidents started here run there */
  taskQueue: string;
  config: IntakeConfig;
  /** routing rules (default: ./routes.ts), validated now */
  routes?: unknown;
  playbooks?: PlaybookRegistry;
  logger?: IntakeLogger;
}

export interface IntakeStats {
  sources: Partial<Record<IntakeSource, SourceCounts>>;
  coalescer: CoalescerStats;
}

export interface IntakeRouter extends Router {
  /**
   * The router as a plain Node request handler, for the server to call directly for /alerts
   * paths: the Express app in front of it costs about half the throughput of an alert storm.
   * The answers are the same either way (the router needs nothing from the app).
   */
  direct(req: IncomingMessage, res: ServerResponse, next: () => void): void;
  /** delivers every coalesced repeat still pending; call after the HTTP server stopped taking requests */
  close(): Promise<{ undelivered: number }>;
  stats(): IntakeStats;
}

const BODY_ERRORS = { 400: 'bad request', 413: 'payload too large', 415: 'unsupported media type' } as const;

const silent: IntakeLogger = { info() {}, warn() {}, error() {} };

/** JSON without Express's send() (ETag, freshness): every alert of a storm is answered here. */
function send(res: Response, status: number, body: unknown): void {
  const json = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(json) });
  res.end(json);
}

export function createIntakeRouter(deps: IntakeDeps): IntakeRouter {
  const playbooks = deps.playbooks ?? registry;
  const routes = compileRoutes(deps.routes ?? alertRoutes, playbooks);
  const logger = deps.logger ?? silent;
  const counters = new IntakeCounters();
  const delivery = new IncidentDelivery(deps.client, deps.taskQueue, new ReopenGuard(deps.client, routes, playbooks), logger);
  const coalescer = new Coalescer<IncidentRequestInput, IntakeItem>({
    open: (id, request, first) => delivery.open(id, request, first),
    flush: (id, request, batch) => delivery.add(id, request, batch),
    resolve: (id, batch) => delivery.resolve(id, batch),
    keyOf: (item) => item.ref.key,
    seenAt: (item) => item.seenAt,
    truncatedOf: (item) => item.truncated,
    // one flush records its identities in the ledger's shards, at most MAX_LEDGER_RECORD per shard and record
    maxKeys: LEDGER_SHARDS * 250,
    windowMs: deps.config.coalesceMs,
    maxWindowMs: deps.config.coalesceMaxMs,
    onFlushError: (incidentId, count, err) =>
      logger.warn({ incidentId, count, err: (err as Error).message }, 'alert batch not delivered yet; retrying next window'),
  });
  const processor = new AlertProcessor({ routes, playbooks, coalescer, delivery, counters, logger });

  const router = express.Router() as IntakeRouter;
  const limit = parseSize(deps.config.maxBody);
  const limitName = `${deps.config.maxBody} (TOURNIQUET_INTAKE_MAX_BODY)`;
  const bearers = {
    falco: bearerChecker('falco', deps.config.tokens.falco),
    alertmanager: bearerChecker('alertmanager', deps.config.tokens.alertmanager),
    generic: bearerChecker('generic', deps.config.tokens.generic),
  } satisfies Record<TokenSource, unknown>;
  const verifyGithub = githubVerifier(deps.config.githubSecrets);
  const receipts = new DeliveryReceipts(deps.client, deps.taskQueue, deps.config.githubMaxAgeMs ?? DEFAULT_GITHUB_MAX_AGE_MS, logger);
  /** the POST endpoints by exact path, for `direct` */
  const posts = new Map<string, (req: Request, res: Response) => void>();
  const post = (path: string, handler: (req: Request, res: Response) => void) => {
    posts.set(path, handler);
    router.post(path, handler);
  };

  /**
   * The body as JSON validated by the schema, or undefined once a 400 has been sent. `fast`: the
   * schema's check without zod for a well-formed body (undefined: zod decides).
   */
  function parse<T>(
    res: Response,
    source: IntakeSource,
    raw: Buffer,
    schema: ZodType<T>,
    fast?: (json: unknown) => T | undefined,
  ): T | undefined {
    let json: unknown;
    try {
      json = parseJson(raw);
    } catch (err) {
      if (!(err instanceof BodyError)) throw err;
      counters.count(source, 'invalid');
      send(res, 400, { error: `invalid ${source} alert`, message: err.message, issues: [] });
      return undefined;
    }
    const checked = fast?.(json);
    if (checked !== undefined) return checked;
    const parsed = schema.safeParse(json);
    if (parsed.success) return parsed.data;
    const issues = issuesOf(parsed.error);
    counters.count(source, 'invalid');
    send(res, 400, { error: `invalid ${source} alert`, message: issues.map((i) => `${i.path}: ${i.message}`).join('; '), issues });
    return undefined;
  }

  /**
   * `many`: a notification of several alerts (Alertmanager), answered `{results}` once every one
   * of them is recorded. GitHub's deliveries are durable too (their receipt says recorded); a
   * Falco or generic repeat is answered at once (the storm path; see docs/intake.md), without
   * waiting on a promise when its incident's window is open here.
   */
  function answer(res: Response, source: IntakeSource, alerts: IntakeAlert[], receivedAt: Date, many: boolean): void | Promise<void> {
    counters.alerts(source, alerts.length);
    const drill = drillRuns.get(res);
    if (drill) for (const alert of alerts) alert.drill = drill;
    const durable = many || source === 'github';
    if (!many) {
      const routed = processor.route(alerts[0]!, receivedAt);
      const now = durable ? undefined : processor.answerNow(routed);
      if (now) return send(res, 202, now); // joined or suppressed
      return processor.complete(routed, receivedAt, durable).then((result) => send(res, result.status === 'rejected' ? 422 : 202, result));
    }
    const truncated = alerts[0]?.truncated;
    if (truncated) counters.truncated(source, truncated);
    return Promise.all(alerts.map((a) => processor.process(a, receivedAt, durable))).then((results) =>
      send(res, results.every((r) => r.status === 'rejected') ? 422 : 202, { results }),
    );
  }

  /**
   * One endpoint: bearer check (before reading the body), body, then the source's work. The
   * handler never throws and leaves no promise to reject (every failure is answered), so the server
   * can call it directly.
   */
  function endpoint(source: IntakeSource, work: (res: Response, raw: Buffer, req: Request, receivedAt: Date) => void | Promise<void>) {
    const check = source === 'github' ? undefined : bearers[source];
    return (req: Request, res: Response): void => {
      const receivedAt = new Date();
      try {
        if (check) {
          const auth = check(req.headers.authorization);
          if (!auth.ok) {
            counters.count(source, 'unauthorized');
            res.setHeader('WWW-Authenticate', 'Bearer');
            send(res, 401, { error: 'unauthorized', message: auth.message });
            return;
          }
        }
        const drill = req.headers[DRILL_HEADER];
        if (drill !== undefined) {
          if (typeof drill !== 'string' || !DRILL_RUN.test(drill)) {
            send(res, 400, {
              error: 'invalid drill marker',
              message: `${DRILL_HEADER} must be a run id of lowercase letters, digits and dashes (at most 80)`,
              issues: [],
            });
            return;
          }
          drillRuns.set(res, drill);
        }
        checkContentType(req.headers['content-type']);
      } catch (err) {
        fail(res, source, err);
        return;
      }
      // An inline callback, not a named one: a storm takes this path for every alert, and each
      // named closure costs a defineProperty under tsx (esbuild's keepNames).
      readBody(req, limit, limitName, (err, raw) => {
        if (err) return fail(res, source, err);
        try {
          work(res, raw!, req, receivedAt)?.catch((failure: unknown) => fail(res, source, failure));
        } catch (failure) {
          fail(res, source, failure);
        }
      });
    };
  }

  /**
   * 503 (with Retry-After) only when Temporal did not take the alert or the gateway is stopping:
   * whatever the content caused is answered 4xx, so no sender retries an alert that cannot succeed.
   */
  function fail(res: Response, source: IntakeSource, err: unknown): void {
    try {
      answerFailure(res, source, err);
    } catch {
      res.destroy(); // answering failed too (a broken connection): nothing left to tell the sender
    }
  }

  function answerFailure(res: Response, source: IntakeSource, err: unknown): void {
    if (res.headersSent) return;
    if (err instanceof BodyError) {
      counters.count(source, err.status === 413 ? 'too-large' : err.status === 415 ? 'unsupported' : 'invalid');
      send(res, err.status, { error: BODY_ERRORS[err.status], message: err.message });
      return;
    }
    const closing = err instanceof CoalescerClosedError;
    if (closing || isTemporalUnavailable(err)) {
      counters.count(source, 'unavailable');
      if (!closing) logger.error({ source, err: (err as Error).message }, 'alert not taken');
      res.setHeader('Retry-After', '5');
      send(res, 503, {
        error: 'unavailable',
        message: closing ? 'the gateway is shutting down; retry' : `the alert was not recorded (${(err as Error).message}); retry`,
      });
      return;
    }
    counters.count(source, 'invalid');
    logger.error({ source, err: (err as Error).message }, 'alert could not be processed');
    send(res, 400, {
      error: `invalid ${source} alert`,
      message: `the alert could not be processed: ${String((err as Error)?.message ?? err).slice(0, 300)}`,
      issues: [],
    });
  }

  post(
    '/alerts/falco',
    endpoint('falco', (res, raw, _req, receivedAt) => {
      const event = parse(res, 'falco', raw, falcoPayloadSchema, parseFalcoFast);
      if (event) return answer(res, 'falco', normalizeFalco(event), receivedAt, false);
    }),
  );

  post(
    '/alerts/alertmanager',
    endpoint('alertmanager', (res, raw, _req, receivedAt) => {
      const payload = parse(res, 'alertmanager', raw, alertmanagerPayloadSchema);
      if (payload) return answer(res, 'alertmanager', normalizeAlertmanager(payload, receivedAt), receivedAt, true);
    }),
  );

  post(
    '/alerts/github',
    endpoint('github', async (res, raw, req, receivedAt) => {
      const auth = await verifyGithub(raw.toString('utf8'), req.headers['x-hub-signature-256'] as string | undefined);
      if (!auth.ok) {
        counters.count('github', 'unauthorized');
        send(res, 401, { error: 'unauthorized', message: auth.message });
        return;
      }
      const event = req.headers['x-github-event'] ?? '';
      if (event !== SECRET_SCANNING_EVENT) {
        counters.count('github', 'ignored');
        send(res, 202, { status: 'ignored', message: `event "${String(event)}" is not handled; only ${SECRET_SCANNING_EVENT}` });
        return;
      }
      const payload = parse(res, 'github', raw, secretScanningAlertSchema);
      if (!payload) return;
      const alert = normalizeSecretScanning(payload, receivedAt);
      if (!alert) {
        counters.count('github', 'ignored');
        send(res, 202, { status: 'ignored', message: `action "${payload.action}" neither raises nor resolves an alert` });
        return;
      }
      const eventTime = eventTimeOf(payload);
      const fresh = await receipts.fresh(eventTime, receivedAt.getTime());
      if (!fresh.ok) {
        counters.count('github', 'stale');
        send(res, fresh.status, { error: fresh.status === 401 ? 'unauthorized' : 'invalid github alert', message: fresh.message });
        return;
      }
      const delivery = req.headers['x-github-delivery'];
      const { receiptId, bodySha256 } = DeliveryReceipts.keyOf('github', raw);
      const claim = await receipts.claim(receiptId, {
        source: 'github',
        event: SECRET_SCANNING_EVENT,
        bodySha256,
        eventTime: eventTime!,
        ...(typeof delivery === 'string' ? { delivery: delivery.slice(0, 100) } : {}),
      });
      if (!claim) {
        counters.count('github', 'duplicate');
        send(res, 202, { status: 'duplicate', message: 'this delivery was already received; it takes effect once' });
        return;
      }
      try {
        await answer(res, 'github', [alert], receivedAt, false);
      } catch (err) {
        await claim.release(`not recorded: ${(err as Error).message}`);
        throw err;
      }
      await claim.recorded();
    }),
  );

  post(
    '/alerts',
    endpoint('generic', (res, raw, _req, receivedAt) => {
      const alert = parse(res, 'generic', raw, genericAlertSchema);
      if (alert) return answer(res, 'generic', [normalizeGeneric(alert, receivedAt)], receivedAt, false);
    }),
  );

  router.get('/alerts/stats', (_req, res) => {
    send(res, 200, router.stats());
  });

  router.use('/alerts', (req, res) => {
    send(res, 404, {
      error: 'not found',
      message: `no ${req.method} ${req.originalUrl}; alerts go to POST /alerts/falco, /alerts/alertmanager, /alerts/github or /alerts`,
    });
  });

  const secured: string[] = (['falco', 'alertmanager', 'generic'] as const).filter((s) => deps.config.tokens[s].length > 0);
  if (deps.config.githubSecrets.length > 0) secured.push('github');
  logger.info(
    { routes: routes.map((r) => r.name), secured },
    `alert intake ready: ${routes.length} route(s); sources without a secret refuse alerts (401)`,
  );

  router.direct = (req, res, next) => {
    // the exact path of a POST endpoint (no query, no trailing slash): straight to its handler;
    // anything else through the router, which matches as Express does
    const handler = req.method === 'POST' && req.url ? posts.get(req.url) : undefined;
    if (handler) handler(req as Request, res as Response);
    else router(req as Request, res as Response, next);
  };
  router.close = async () => {
    const result = await coalescer.close();
    await delivery.close();
    if (result.undelivered > 0)
      logger.error(
        { undelivered: result.undelivered },
        'repeat alerts pending at shutdown could not be delivered; their incidents undercount them',
      );
    return result;
  };
  router.stats = () => ({ sources: counters.snapshot(), coalescer: coalescer.stats() });
  return router;
}
