/**
 * The floor: a bare Temporal workflow with the shape of a demo incident and none of Tourniquet's
 * engine. Three activities before the gate (two evidence reads, then telling the approvers), an
 * Update with a validator as the approval, then the one destructive activity. What Tourniquet adds
 * on top of this is what the bench's ratios measure.
 */
import { condition, defineUpdate, proxyActivities, setHandler } from '@temporalio/workflow';
import type { FloorActivities } from './activities';

const { evidence, gateOpened, act } = proxyActivities<FloorActivities>({ startToCloseTimeout: '30s' });

export const approveUpdate = defineUpdate<string, [{ approver: string }]>('approve');

export async function floorIncident(input: { id: string; requester: string }): Promise<string> {
  let approver: string | undefined;
  setHandler(
    approveUpdate,
    (decision) => {
      approver = decision.approver;
      return 'approved';
    },
    {
      validator: (decision) => {
        if (decision.approver === input.requester) throw new Error('the requester cannot approve');
        if (approver) throw new Error('already decided');
      },
    },
  );
  await evidence(input.id, 'before');
  await evidence(input.id, 'snapshot');
  await gateOpened(input.id);
  await condition(() => approver !== undefined);
  await act(input.id);
  return `approved by ${approver}`;
}
