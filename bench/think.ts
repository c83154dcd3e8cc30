/**
 * BENCH_THINK_MS: how long the approver takes once the approval request is in front of them (0 by
 * default: at once, the harshest case). A person takes seconds. Runs that sent the approval request
 * in a local activity inside the task that opened the gate (session 8) made an approval taken at
 * once wait for that task; the floor's request (its gateOpened activity) starts only after its task
 * completed. Applied to both sides alike, so the ratio compares the approval path itself.
 */
import { setTimeout as sleep } from 'node:timers/promises';

const thinkMs = Number(process.env.BENCH_THINK_MS ?? 0);

export function approverThinks(): Promise<void> | undefined {
  return thinkMs > 0 ? sleep(thinkMs) : undefined;
}
