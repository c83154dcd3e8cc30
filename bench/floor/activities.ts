/** The floor workflow's activities: the two measuring points, and an evidence read that does nothing. */
import type { Marks } from '../probes';

export interface FloorActivities {
  evidence(id: string, what: string): Promise<{ id: string; what: string }>;
  gateOpened(id: string): Promise<void>;
  act(id: string): Promise<void>;
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
  };
}
