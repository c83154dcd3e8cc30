/**
 * The intake bench's load generator, in a worker thread so it does not share the gateway's event
 * loop: keep-alive HTTP/1.1 POSTs to one loopback URL, at most `concurrency` in flight (one per
 * connection), stopping after `count` requests or `maxMs`, whichever comes first. Posts back
 * per-request latencies (ms), a tally of HTTP statuses and answer statuses, and the CPU time its
 * own thread used (Linux; undefined elsewhere).
 *
 * It writes prebuilt request bytes on plain sockets and reads just the status line, Content-Length
 * and the JSON answer: node:http's client cost about 170 µs of CPU per request here, as much as the
 * gateway spends answering it, and the two share the machine's two cores, so a heavy generator
 * lowered the figure it measures.
 */
import { Buffer } from 'node:buffer';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import { URL } from 'node:url';
import { parentPort, workerData } from 'node:worker_threads';

const { url, headers, bodies, count, concurrency, maxMs } = workerData;
const target = new URL(url);
const host = target.hostname.replace(/^\[|\]$/g, '');
if (!['127.0.0.1', 'localhost', '::1'].includes(host)) throw new Error(`loopback only, not ${target.hostname}`);
const port = Number(target.port);
const headerText = Object.entries(headers)
  .map(([k, v]) => `${k}: ${v}\r\n`)
  .join('');
const requests = bodies.map((body) => {
  const bytes = Buffer.from(body, 'utf8');
  const head = `POST ${target.pathname} HTTP/1.1\r\nhost: ${target.host}\r\n${headerText}content-length: ${bytes.length}\r\n\r\n`;
  return Buffer.concat([Buffer.from(head, 'latin1'), bytes]);
});

const HEADER_END = Buffer.from('\r\n\r\n');
const CONTENT_LENGTH = /\r\ncontent-length:\s*(\d+)/i;
const CLOSE = /\r\nconnection:\s*close/i;

/** One keep-alive connection with at most one request in flight. */
class Connection {
  constructor() {
    this.buf = undefined;
    this.waiter = undefined;
    this.dead = false;
    this.socket = net.connect({ host, port, noDelay: true });
    this.socket.on('data', (chunk) => this.onData(chunk));
    const fail = () => {
      this.dead = true;
      const w = this.waiter;
      this.waiter = undefined;
      w?.(undefined);
    };
    this.socket.on('error', fail);
    this.socket.on('close', fail);
  }

  /** the answer's status and body, or undefined when the connection failed */
  send(request) {
    return new Promise((resolve) => {
      this.waiter = resolve;
      this.buf = undefined;
      this.socket.write(request);
    });
  }

  onData(chunk) {
    const buf = this.buf ? Buffer.concat([this.buf, chunk]) : chunk;
    const end = buf.indexOf(HEADER_END);
    if (end === -1) return void (this.buf = buf);
    const head = buf.toString('latin1', 0, end);
    const length = Number(CONTENT_LENGTH.exec(head)?.[1] ?? 0);
    const total = end + 4 + length;
    if (buf.length < total) return void (this.buf = buf);
    this.buf = undefined;
    if (CLOSE.test(head)) {
      this.dead = true;
      this.socket.end();
    }
    const w = this.waiter;
    this.waiter = undefined;
    w?.({ status: Number(head.slice(9, 12)), body: buf.toString('utf8', end + 4, total) });
  }
}

/** this thread's user + system CPU time in ms (/proc/thread-self: read synchronously, so this thread's) */
function threadCpuMs() {
  try {
    const stat = readFileSync('/proc/thread-self/stat', 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // USER_HZ
  } catch {
    return undefined;
  }
}

const latencies = new Float64Array(count);
const httpStatus = {};
const answers = {};
const incidents = new Set();
/** answer body → what it says: a storm gets the same few answers again and again */
const known = new Map();
let sent = 0;
let done = 0;
let errors = 0;
const cpu0 = threadCpuMs();
const started = performance.now();

function tally(body) {
  let seen = known.get(body);
  if (!seen) {
    try {
      const answer = JSON.parse(body);
      seen = { status: answer.status, incidentId: answer.incidentId };
    } catch {
      seen = { status: '(not json)' };
    }
    if (known.size < 10_000) known.set(body, seen);
  }
  answers[seen.status] = (answers[seen.status] ?? 0) + 1;
  if (seen.incidentId) incidents.add(seen.incidentId);
}

async function lane() {
  let conn;
  while (sent < count && performance.now() - started < maxMs) {
    const i = sent++;
    if (!conn || conn.dead) conn = new Connection();
    const t0 = performance.now();
    const answer = await conn.send(requests[i % requests.length]);
    if (!answer) {
      errors++;
      continue;
    }
    latencies[done++] = performance.now() - t0;
    httpStatus[answer.status] = (httpStatus[answer.status] ?? 0) + 1;
    tally(answer.body);
  }
  conn?.socket.end();
}

await Promise.all(Array.from({ length: concurrency }, lane));
const elapsedMs = performance.now() - started;
const cpu1 = threadCpuMs();
parentPort.postMessage({
  latencies: Array.from(latencies.subarray(0, done)),
  elapsedMs,
  cpuMs: cpu0 === undefined || cpu1 === undefined ? undefined : cpu1 - cpu0,
  httpStatus,
  answers,
  incidents: [...incidents],
  errors,
  sent,
});
