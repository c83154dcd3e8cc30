/**
 * A pass-through proxy in front of moto that records which AWS actions reached it and can answer
 * the next calls of an action with an AWS error instead (Throttling, a 503), the way AWS does, so a
 * suite sees throttling and a connection lost between two writes against the real implementation.
 * Failed calls never reach moto.
 */
import { createServer, request, type IncomingMessage, type Server } from 'node:http';

export interface ProxiedCall {
  action: string;
  status: number;
  at: number;
}

export interface AwsProxy {
  url: string;
  calls: ProxiedCall[];
  /** answer the next `times` calls of `action` with this error instead of passing them on */
  failNext(action: string, error: { status: number; code: string; message?: string }, times?: number): void;
  of(action: string, status?: number): ProxiedCall[];
  /**
   * Answer every call of a JSON-protocol `action` (CloudTrail's) here, for an API moto lacks; the
   * handler validates the request as AWS documents it and throws to refuse it (400, recorded).
   */
  serve(action: string, handler: (body: Record<string, unknown>) => unknown): void;
  /** requests a served handler refused */
  refusals: string[];
  close(): Promise<void>;
}

/** Query-protocol services (IAM, STS) name the action in the form body; JSON ones (CloudTrail) in X-Amz-Target. */
function actionOf(req: IncomingMessage, body: Buffer): string {
  const target = req.headers['x-amz-target'];
  if (typeof target === 'string') return target.split('.').at(-1)!;
  return new URLSearchParams(body.toString()).get('Action') ?? 'unknown';
}

export async function startAwsProxy(upstream: string): Promise<AwsProxy> {
  const calls: ProxiedCall[] = [];
  const faults = new Map<string, { status: number; code: string; message?: string; left: number }>();
  const served = new Map<string, (body: Record<string, unknown>) => unknown>();
  const refusals: string[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const action = actionOf(req, body);
      const fault = faults.get(action);
      if (fault && fault.left > 0) {
        fault.left -= 1;
        calls.push({ action, status: fault.status, at: Date.now() });
        const message = fault.message ?? 'Rate exceeded';
        if (req.headers['x-amz-target']) {
          res.writeHead(fault.status, { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-errortype': fault.code });
          res.end(JSON.stringify({ __type: fault.code, message }));
        } else {
          res.writeHead(fault.status, { 'content-type': 'text/xml' });
          res.end(
            `<ErrorResponse><Error><Type>Sender</Type><Code>${fault.code}</Code><Message>${message}</Message></Error><RequestId>proxy-${calls.length}</RequestId></ErrorResponse>`,
          );
        }
        return;
      }
      const handler = served.get(action);
      if (handler) {
        let status = 200;
        let answer: unknown;
        try {
          answer = handler(JSON.parse(body.toString()) as Record<string, unknown>);
        } catch (err) {
          status = 400;
          refusals.push(`${action}: ${(err as Error).message}`);
          answer = { __type: 'InvalidParameterCombinationException', message: (err as Error).message };
        }
        calls.push({ action, status, at: Date.now() });
        res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1' });
        res.end(JSON.stringify(answer));
        return;
      }
      const url = new URL(req.url ?? '/', upstream);
      const out = request(url, { method: req.method, headers: req.headers }, (up) => {
        calls.push({ action, status: up.statusCode ?? 0, at: Date.now() });
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      });
      out.on('error', (err) => {
        res.writeHead(502);
        res.end(String(err));
      });
      out.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    calls,
    failNext(action, error, times = 1) {
      faults.set(action, { ...error, left: times });
    },
    serve(action, handler) {
      served.set(action, handler);
    },
    refusals,
    of: (action, status) => calls.filter((c) => c.action === action && (status === undefined || c.status === status)),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
