/**
 * GitHub deliveries take effect at most once, across gateway restarts and replicas, with no store
 * but Temporal: before a delivery acts, its receipt workflow is started under the delivery's key
 * (workflows/delivery-receipt.ts); a start Temporal refuses means "already received".
 *
 * The key is the sha256 of the signed body, not X-GitHub-Delivery: that header is not signed, so a
 * replayed body under a fresh GUID would pass a GUID key. GitHub's own redelivery of a delivery
 * repeats both, and is a repeat too.
 *
 * Receipts last as long as the namespace retains closed workflows; beyond that only the age check
 * protects. So the accepted age of a delivery is bounded by the retention (less the skew allowed
 * for event times ahead of our clock), and the configured window is clamped to it.
 */
import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import ms from 'ms';
import { createHash } from 'node:crypto';
import { deliveryRecordedSignal, type DeliveryReceipt } from '../../workflows';
import type { IntakeLogger } from './processor';

export const RECEIPT_WORKFLOW = 'deliveryReceiptWorkflow';
/** how far ahead of our clock an event time may be (GitHub's clock, not an attacker's: the body is signed) */
export const FUTURE_SKEW_MS = 5 * 60_000;
const RPC_DEADLINE_MS = 10_000;

export interface Claim {
  receiptId: string;
  /** the delivery took effect: the key stays taken */
  recorded(): Promise<void>;
  /** it did not (the sender is told to retry): the key is freed for the retry */
  release(reason: string): Promise<void>;
}

export type Freshness = { ok: true } | { ok: false; status: 400 | 401; message: string };

export class DeliveryReceipts {
  private effectiveMaxAge?: Promise<number>;

  constructor(
    private readonly client: Client,
    private readonly taskQueue: string,
    private readonly maxAgeMs: number,
    private readonly logger: IntakeLogger,
  ) {}

  /** The delivery's key: its receipt's workflow id, from the sha256 of the signed body. */
  static keyOf(source: 'github', body: Buffer): { receiptId: string; bodySha256: string } {
    const bodySha256 = createHash('sha256').update(body).digest('hex');
    return { receiptId: `delivery-${source}-${bodySha256}`, bodySha256 };
  }

  /** Whether an event at `eventTime` may still take effect: a signature never expires, so its age is checked here. */
  async fresh(eventTime: string | undefined, now: number): Promise<Freshness> {
    if (!eventTime)
      return {
        ok: false,
        status: 400,
        message: 'the alert carries no time (created_at, updated_at): a delivery without one could be replayed forever',
      };
    const at = Date.parse(eventTime);
    const maxAge = await this.maxAge();
    if (at > now + FUTURE_SKEW_MS)
      return {
        ok: false,
        status: 401,
        message: `stale or replayed delivery: the alert's time ${eventTime} is ahead of this gateway's clock`,
      };
    if (now - at > maxAge) {
      return {
        ok: false,
        status: 401,
        message: `stale or replayed delivery: the alert's latest time ${eventTime} is older than ${ms(maxAge)} (TOURNIQUET_GITHUB_MAX_AGE, at most the namespace retention)`,
      };
    }
    return { ok: true };
  }

  /** Takes the delivery's key, or answers undefined when it was already received (by any gateway). */
  async claim(receiptId: string, receipt: DeliveryReceipt): Promise<Claim | undefined> {
    try {
      await this.client.connection.withDeadline(Date.now() + RPC_DEADLINE_MS, () =>
        this.client.workflow.start(RECEIPT_WORKFLOW, {
          workflowId: receiptId,
          taskQueue: this.taskQueue,
          args: [receipt],
          workflowIdReusePolicy: 'ALLOW_DUPLICATE_FAILED_ONLY',
          workflowIdConflictPolicy: 'FAIL',
        }),
      );
    } catch (err) {
      if (err instanceof WorkflowExecutionAlreadyStartedError) return undefined;
      throw err;
    }
    const handle = this.client.workflow.getHandle(receiptId);
    const rpc = (what: string, fn: () => Promise<unknown>) =>
      this.client.connection.withDeadline(Date.now() + RPC_DEADLINE_MS, fn).then(
        () => undefined,
        (err: unknown) =>
          this.logger.warn({ receiptId, err: (err as Error).message }, `delivery receipt not ${what}; it settles itself in minutes`),
      );
    return {
      receiptId,
      recorded: () => rpc('marked recorded', () => handle.signal(deliveryRecordedSignal)),
      release: (reason) => rpc('released', () => handle.terminate(reason)),
    };
  }

  /** The configured window, or less when the namespace forgets receipts sooner. */
  maxAge(): Promise<number> {
    this.effectiveMaxAge ??= this.retentionMs().then(
      (retention) => {
        const bound = retention - FUTURE_SKEW_MS;
        if (retention > 0 && bound < this.maxAgeMs) {
          this.logger.warn(
            { configuredHours: this.maxAgeMs / 3_600_000, retentionHours: retention / 3_600_000 },
            'TOURNIQUET_GITHUB_MAX_AGE exceeds the namespace retention, which is how long delivery receipts last: older GitHub deliveries are refused from the retention on',
          );
          return Math.max(bound, 0);
        }
        return this.maxAgeMs;
      },
      (err: unknown) => {
        this.effectiveMaxAge = undefined; // ask again next time
        this.logger.warn(
          { err: (err as Error).message },
          'namespace retention unknown; GitHub deliveries are aged against TOURNIQUET_GITHUB_MAX_AGE alone',
        );
        return this.maxAgeMs;
      },
    );
    return this.effectiveMaxAge;
  }

  private async retentionMs(): Promise<number> {
    const { namespace } = this.client.options;
    const described = await this.client.connection.withDeadline(Date.now() + RPC_DEADLINE_MS, () =>
      this.client.workflowService.describeNamespace({ namespace }),
    );
    const ttl = described.config?.workflowExecutionRetentionTtl;
    return ttl ? Number(ttl.seconds?.toString() ?? 0) * 1000 + Math.floor((ttl.nanos ?? 0) / 1e6) : 0;
  }
}
