import { DefaultLogger, Runtime } from '@temporalio/worker';
Runtime.install({ logger: new DefaultLogger('ERROR') });
import { performance } from 'node:perf_hooks';
import { decide, startIncident } from '../client';
import { runRound } from './incident';
import { startStack } from './stack';

const stack = await startStack(console.error);
await runRound(stack, 'w', 5, 1);
for (let k = 0; k < 2; k++) {
  const service = `diag-${k}`;
  const t0 = Date.now();
  const id = await startIncident(stack.client, { playbook: 'demo', requester: 'alice', params: { service } }, { taskQueue: stack.taskQueue });
  const tStarted = Date.now();
  const g = await stack.notifier.gateOpened.wait(id, 'gate', 30000);
  const tGate = Date.now();
  stack.world.arm(service);
  const td = Date.now();
  await decide(stack.client, { incidentId: id, decision: 'approve', approver: 'bob', via: 'bench' });
  const tdd = Date.now();
  await stack.world.actionStarted.wait(service, 'act', 30000);
  const ta = Date.now();
  await stack.client.workflow.getHandle(id).result();
  const hist = await stack.client.workflow.getHandle(id).fetchHistory();
  console.log(`start call ${0}, start returned ${tStarted - t0}, gate notifier ${tGate - t0}, decide call ${td - t0}, decide returned ${tdd - t0}, act ${ta - t0}`);
  for (const e of hist.events ?? []) {
    const sec = Number(e.eventTime!.seconds), ns = e.eventTime!.nanos!;
    const ms = sec * 1000 + ns / 1e6 - t0;
    const attrs = e.activityTaskScheduledEventAttributes?.activityType?.name ?? e.markerRecordedEventAttributes?.markerName ?? '';
    console.log(`  ${ms.toFixed(1).padStart(8)}  ${e.eventId} ${e.eventType} ${attrs}`);
  }
}
await stack.stop();
