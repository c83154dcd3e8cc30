/**
 * BENCH_THINK_MS: how long the approver takes once the approval request is in front of them (0 by
 * default: at once, the harshest case). A person takes seconds. Taken at once, Tourniquet's
 * approval lands while the workflow task that opened the gate is still finishing (the request goes
 * out in a local activity inside that task, workflows/notifications.ts), and the Update waits for
 * it; the floor's request (its gateOpened activity) starts only after its task completed. Applied
 * to both sides alike, so the ratio compares the approval path itself.
 */
import { setTimeout as sleep } from 'node:timers/promises';

const thinkMs = Number(process.env.BENCH_THINK_MS ?? 0);

export function approverThinks(): Promise<void> | undefined {
  return thinkMs > 0 ? sleep(thinkMs) : undefined;
}
