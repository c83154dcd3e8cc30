import type { Client } from '@temporalio/client';
import { getStatus } from '../../client';
import type { IncidentStatus } from '../../workflows';
import { waitFor } from './wait';

/** Waits until the incident is awaiting approval, and returns its status (with the open gate). */
export function waitForGate(client: Client, incidentId: string, options?: { timeoutMs?: number }): Promise<IncidentStatus> {
  return waitFor(
    `the approval gate of ${incidentId}`,
    async () => {
      const status = await getStatus(client, incidentId);
      return status.state === 'awaiting-approval' ? status : undefined;
    },
    options,
  );
}
