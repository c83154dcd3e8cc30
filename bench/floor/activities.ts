/**
 * The floor workflows' activities: the two measuring points, and reads and writes that do nothing.
 * Each costs what `evidence` does (hand back a small object), so the floors differ only in how many
 * activity and workflow tasks they make.
 */
import type { Marks } from '../probes';

export interface FloorActivities {
  evidence(id: string, what: string): Promise<{ id: string; what: string }>;
  /** the approval request: the floor's gate is open once it runs */
  gateOpened(id: string): Promise<void>;
  /** the destructive action */
  act(id: string): Promise<void>;
  /** same-work only: who may approve, looked up by the worker (a starter must not choose its approvers) */
  policy(id: string): Promise<{ id: string; approvers: string[] }>;
  /** same-work only: the check after the action */
  verify(id: string): Promise<{ id: string; ok: boolean }>;
  /** same-work only: the incident's last news */
  news(id: string, what: string): Promise<{ id: string; what: string }>;
}

export function floorActivities(marks: { gateOpened: Marks; actionStarted: Marks }): FloorActivities {
  return {
    async evidence(id, what) {
      return { id, what };
    },
    async gateOpened(id) {
      marks.gateOpened.record(id);
    },
    async act(id) {
      marks.actionStarted.record(id);
    },
    async policy(id) {
      return { id, approvers: ['bob', 'carol'] };
    },
    async verify(id) {
      return { id, ok: true };
    },
    async news(id, what) {
      return { id, what };
    },
  };
}
