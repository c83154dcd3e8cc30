/**
 * The floors: bare Temporal workflows with none of Tourniquet's engine. What Tourniquet adds on top
 * of them is what the bench's ratios measure.
 * - `floorIncident`, issue 15's literal definition of an incident's shape: three activities before
 *   the gate (two evidence reads, then telling the approvers), an Update with a validator as the
 *   approval, then the one destructive activity.
 * - `floorSameWork`: the activity tasks a demo incident makes (playbooks/demo.ts; the order is
 *   test/histories/no-local-activities.json's), in the same order and dependency: snapshot, the
 *   approval policy, the approval request | Update | quarantine, verification, snapshot, last news.
 *   It separates what the playbook's extra work costs from what Tourniquet costs.
 */
import { condition, defineUpdate, proxyActivities, setHandler } from '@temporalio/workflow';
import type { FloorActivities } from './activities';

const { evidence, gateOpened, act, policy, verify, news } = proxyActivities<FloorActivities>({ startToCloseTimeout: '30s' });

export const approveUpdate = defineUpdate<string, [{ approver: string }]>('approve');

/**
 * The approval Update's handler, set before any activity so an early Update is validated, not
 * dropped. `eligible`, when given, is who may approve (undefined while not yet known: refused).
 * Resolves to the approver.
 */
function approval(requester: string, eligible?: () => readonly string[] | undefined): () => Promise<string> {
  let approver: string | undefined;
  setHandler(
    approveUpdate,
    (decision) => {
      approver = decision.approver;
      return 'approved';
    },
    {
      validator: (decision) => {
        if (decision.approver === requester) throw new Error('the requester cannot approve');
        if (approver) throw new Error('already decided');
        if (eligible && !eligible()?.includes(decision.approver)) throw new Error('not an eligible approver');
      },
    },
  );
  return async () => {
    await condition(() => approver !== undefined);
    return approver!;
  };
}

export async function floorIncident(input: { id: string; requester: string }): Promise<string> {
  const approved = approval(input.requester);
  await evidence(input.id, 'before');
  await evidence(input.id, 'snapshot');
  await gateOpened(input.id);
  const approver = await approved();
  await act(input.id);
  return `approved by ${approver}`;
}

export async function floorSameWork(input: { id: string; requester: string }): Promise<string> {
  // who may approve is known once the policy lookup is back: until then every approval is refused
  const gate: { approvers?: string[] } = {};
  const approved = approval(input.requester, () => gate.approvers);
  await evidence(input.id, 'before');
  gate.approvers = (await policy(input.id)).approvers;
  await gateOpened(input.id);
  const approver = await approved();
  await act(input.id);
  await verify(input.id);
  await evidence(input.id, 'after');
  await news(input.id, 'finished');
  return `approved by ${approver}`;
}
