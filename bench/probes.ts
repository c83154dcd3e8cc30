/**
 * The two measuring points, planted in the worker's own activity dependencies (activities run in
 * this process, so `performance.now()` is comparable with the client side):
 * - a Notifier that stamps the moment `approval.requested` reaches the people who must approve;
 * - a DemoWorld whose `read()` stamps the moment `demoQuarantine` starts work on a service. The
 *   snapshot activity reads the service too, so a service is only stamped once it is armed (just
 *   before the bench sends its approval); the first read after that is the destructive activity.
 */
import { performance } from 'node:perf_hooks';
import { DemoWorld, type DemoService } from '../activities/demo/world';
import type { Notifier } from '../activities/notify/notifier';
import type { IncidentNotification } from '../workflows';

export class BenchTimeoutError extends Error {
  override name = 'BenchTimeoutError';
}

/** One timestamp per key, recorded once, awaitable before or after it was recorded. */
export class Marks {
  private readonly at = new Map<string, number>();
  private readonly waiters = new Map<string, (t: number) => void>();

  record(key: string, t = performance.now()): void {
    if (this.at.has(key)) return;
    this.at.set(key, t);
    const waiter = this.waiters.get(key);
    this.waiters.delete(key);
    waiter?.(t);
  }

  wait(key: string, what: string, timeoutMs: number): Promise<number> {
    const seen = this.at.get(key);
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(key);
        reject(new BenchTimeoutError(`${what} (${key}) not seen within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiters.set(key, (t) => {
        clearTimeout(timer);
        resolve(t);
      });
    });
  }

  forget(key: string): void {
    this.at.delete(key);
    this.waiters.delete(key);
  }
}

export class GateOpenNotifier implements Notifier {
  name = 'bench';
  readonly gateOpened = new Marks();
  /** what the approval request showed, as a Slack button carries it: gate, digest and run */
  readonly shown = new Map<string, { gateId: string; digest: string; runStartedAt: string }>();

  async notify(event: IncidentNotification): Promise<void> {
    if (event.kind !== 'approval.requested') return;
    const { gate } = event;
    if (gate?.runStartedAt) this.shown.set(event.incident.id, { gateId: gate.id, digest: gate.digest, runStartedAt: gate.runStartedAt });
    this.gateOpened.record(event.incident.id);
  }
}

export class ActionStartWorld extends DemoWorld {
  readonly actionStarted = new Marks();
  private readonly armed = new Set<string>();

  /** The next read of `service` is the destructive activity's. */
  arm(service: string): void {
    this.armed.add(service);
  }

  override async read(name: string): Promise<DemoService> {
    if (this.armed.delete(name)) this.actionStarted.record(name);
    return super.read(name);
  }
}
