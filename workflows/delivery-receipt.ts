/**
 * A webhook delivery's receipt: one tiny workflow per delivery, whose id is the delivery's key
 * (`delivery-github-<sha256 of the signed body>`). Temporal refuses a second start under that id
 * while the receipt runs (conflict policy FAIL) and after it completed (reuse policy
 * ALLOW_DUPLICATE_FAILED_ONLY), for as long as the namespace retains it. That refusal is the
 * durable "already received", shared by every gateway and surviving their restarts.
 *
 * The gateway starts it before the delivery takes effect. Recorded, it signals: the receipt
 * completes and the key stays taken. Not recorded (the sender is told to retry), the gateway
 * terminates it, which needs no worker and frees the key for the retry. A receipt never settled
 * (its gateway died half-way) fails after a while for the same reason: a lost alert is worse than
 * a repeated one.
 */
import { ApplicationFailure, condition, defineSignal, setHandler } from '@temporalio/workflow';
import { FAILURE_TYPES } from './failure-types';

export interface DeliveryReceipt {
  source: 'github';
  /** the sender's delivery id (X-GitHub-Delivery): not signed, so kept for the audit only */
  delivery?: string;
  event: string;
  bodySha256: string;
  /** the event's own latest time, as the signed body gives it */
  eventTime: string;
}

/** The delivery took effect: the receipt completes and keeps its key. */
export const deliveryRecordedSignal = defineSignal('deliveryRecorded');

/** How long a receipt waits for its gateway before freeing the key. */
const UNSETTLED_AFTER = '5 minutes';

export async function deliveryReceiptWorkflow(receipt: DeliveryReceipt): Promise<DeliveryReceipt> {
  let recorded = false;
  setHandler(deliveryRecordedSignal, () => {
    recorded = true;
  });
  if (await condition(() => recorded, UNSETTLED_AFTER)) return receipt;
  // Failed, not completed: ALLOW_DUPLICATE_FAILED_ONLY lets the sender's retry take the key again.
  throw ApplicationFailure.nonRetryable(
    `the gateway did not settle this delivery within ${UNSETTLED_AFTER}`,
    FAILURE_TYPES.DeliveryNotSettled,
  );
}
