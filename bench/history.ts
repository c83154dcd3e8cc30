/**
 * `npx tsx bench/history.ts`: what one demo incident writes to history, next to the floors', on the
 * bench's own stack: events by type, workflow tasks, activities by name (local ones are markers),
 * memo and search-attribute upserts. The history is what the server's database writes per incident,
 * so these counts explain most of the incidents/s ratio (issue 15). Prints; never fails on figures.
 */
import { DefaultLogger, Runtime } from '@temporalio/worker';
import proto from '@temporalio/proto';
import type { WorkflowHandle } from '@temporalio/client';
import { decide, startIncident } from '../client';
import { FLOOR_SHAPES, startFloor, type FloorShape } from './floor/round';
import { startStack } from './stack';

Runtime.install({ logger: new DefaultLogger('ERROR') });
const EventType = proto.temporal.api.enums.v1.EventType;

function typeName(t: number | null | undefined): string {
  return (EventType[t ?? 0] ?? String(t)).replace(/^EVENT_TYPE_/, '');
}

async function summarize(label: string, handle: WorkflowHandle): Promise<void> {
  const history = await handle.fetchHistory();
  const events = history.events ?? [];
  const byType = new Map<string, number>();
  const activities: string[] = [];
  for (const e of events) {
    const name = typeName(e.eventType);
    byType.set(name, (byType.get(name) ?? 0) + 1);
    const scheduled = e.activityTaskScheduledEventAttributes?.activityType?.name;
    if (scheduled) activities.push(scheduled);
    if (e.markerRecordedEventAttributes) activities.push(`local:${e.markerRecordedEventAttributes.markerName ?? '?'}`);
  }
  const count = (type: string) => byType.get(type) ?? 0;
  console.log(
    `${label}: ${events.length} events, ${count('WORKFLOW_TASK_COMPLETED')} workflow tasks, ${count('ACTIVITY_TASK_SCHEDULED')} activity tasks`,
  );
  for (const [name, n] of [...byType].sort()) console.log(`  ${name.padEnd(40)} ${n}`);
  console.log(`  activities in order: ${activities.join(', ')}`);
  if (process.env.HISTORY_VERBOSE === '1') {
    for (const e of events) {
      const name = typeName(e.eventType);
      const what =
        e.activityTaskScheduledEventAttributes?.activityType?.name ??
        e.markerRecordedEventAttributes?.markerName ??
        Object.keys(e.workflowPropertiesModifiedEventAttributes?.upsertedMemo?.fields ?? {}).join(',');
      console.log(`    ${String(e.eventId).padStart(3)} ${name} ${what ?? ''}`);
    }
  }
}

const stack = await startStack(() => {});
const floor = await startFloor(stack);
try {
  const { client, taskQueue, notifier, world } = stack;
  const id = await startIncident(client, { playbook: 'demo', requester: 'alice', params: { service: 'history' } }, { taskQueue });
  await notifier.gateOpened.wait(id, 'approval.requested notification', 30_000);
  world.arm('history');
  const outcome = await decide(client, { incidentId: id, decision: 'approve', approver: 'bob', via: 'bench' });
  if (!outcome.applied) throw new Error(`approval not applied: ${outcome.code}`);
  const handle = client.workflow.getHandle(id);
  await handle.result();
  await summarize('demo incident', handle);

  for (const shape of Object.keys(FLOOR_SHAPES) as FloorShape[]) {
    await floor.run('history', 1, 1, shape);
    const floorRun = await client.workflow.list({ query: `WorkflowType = '${FLOOR_SHAPES[shape].workflowType}'` });
    for await (const info of floorRun) {
      await summarize(`floor (${shape})`, client.workflow.getHandle(info.workflowId));
      break;
    }
  }
} finally {
  await floor.stop();
  await stack.stop();
}
