/**
 * The intake bench's load generator, in a worker thread so it does not share the gateway's event
 * loop: keep-alive HTTP POSTs to one loopback URL, at most `concurrency` in flight, stopping after
 * `count` requests or `maxMs`, whichever comes first. Posts back per-request latencies (ms) and a
 * tally of HTTP statuses and answer statuses.
 */
import { Buffer } from 'node:buffer';
import http from 'node:http';
import { performance } from 'node:perf_hooks';
import { URL } from 'node:url';
import { parentPort, workerData } from 'node:worker_threads';

const { url, headers, bodies, count, concurrency, maxMs } = workerData;
const target = new URL(url);
if (!['127.0.0.1', 'localhost', '[::1]'].includes(target.hostname)) throw new Error(`loopback only, not ${target.hostname}`);
const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
const latencies = new Float64Array(count);
const httpStatus = {};
const answers = {};
const incidents = new Set();
let sent = 0;
let done = 0;
let errors = 0;
const started = performance.now();

function once(i) {
  const body = bodies[i % bodies.length];
  return new Promise((resolve) => {
    const t0 = performance.now();
    const req = http.request(
      {
        agent,
        host: target.hostname,
        port: target.port,
        path: target.pathname,
        method: 'POST',
        headers: { ...headers, 'content-length': Buffer.byteLength(body) },
      },
      (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => {
          latencies[done++] = performance.now() - t0;
          httpStatus[res.statusCode] = (httpStatus[res.statusCode] ?? 0) + 1;
          try {
            const answer = JSON.parse(Buffer.concat(chunks).toString('utf8'));
            answers[answer.status] = (answers[answer.status] ?? 0) + 1;
            if (answer.incidentId) incidents.add(answer.incidentId);
          } catch {
            answers['(not json)'] = (answers['(not json)'] ?? 0) + 1;
          }
          resolve();
        });
      },
    );
    req.on('error', () => {
      errors++;
      resolve();
    });
    req.end(body);
  });
}

await Promise.all(
  Array.from({ length: concurrency }, async () => {
    while (sent < count && performance.now() - started < maxMs) await once(sent++);
  }),
);
const elapsedMs = performance.now() - started;
agent.destroy();
parentPort.postMessage({
  latencies: Array.from(latencies.subarray(0, done)),
  elapsedMs,
  httpStatus,
  answers,
  incidents: [...incidents],
  errors,
  sent,
});
