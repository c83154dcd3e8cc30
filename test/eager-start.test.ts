/**
 * Eager workflow start (client/eager-start.ts): a gateway on the worker's own NativeConnection, as
 * `npm run dev` runs it, answers 202 for an alert that opens an incident started eagerly (its first
 * workflow task came back with the start), and the incident runs. Where no worker of the process
 * polls the queue, the start falls back to an ordinary one; a grpc-js client never asks.
 */
import { Client, type WorkflowClientInterceptor } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IncidentExistsError, startIncident } from '../client';
import { canStartEagerly, eagerStart } from '../client/eager-start';
import { startHarness, type Harness } from './support/harness';
import { bearer, cancelAll, fixture, post, startIntakeGateway, TOKENS, type IntakeGateway } from './support/intake';
import { DEMO_ROUTES } from './support/routes';
import { waitForGate } from './support/gates';

/** a client on `connection` that records, per workflow id, whether the server started it eagerly */
function recordingClient(h: Harness) {
  const eagerly = new Map<string, boolean>();
  const recording: WorkflowClientInterceptor = {
    async startWithDetails(input, next) {
      const out = await next(input);
      eagerly.set(input.options.workflowId, out.eagerlyStarted);
      return out;
    },
  };
  return { client: new Client({ connection: h.nativeConnection, interceptors: { workflow: [recording] } }), eagerly };
}

const run = `${process.pid}${Date.now().toString(36)}`;
const started = new Set<string>();
let h: Harness;
let gw: IntakeGateway;
let eagerly: Map<string, boolean>;
let gatewayClient: Client;

beforeAll(async () => {
  h = await startHarness();
  const recording = recordingClient(h);
  eagerly = recording.eagerly;
  gatewayClient = recording.client;
  gw = await startIntakeGateway(recording.client, h.taskQueue, { routes: DEMO_ROUTES });
});
afterAll(async () => {
  await gw?.close();
  if (h) await cancelAll(h.client, started);
  await h?.stop();
});

describe('eager workflow start', () => {
  it('a gateway on the worker connection answers 202 for an alert that opens an incident, started eagerly, which runs to its gate', async () => {
    const event = fixture('falco-terminal-shell.json');
    event.output_fields['k8s.ns.name'] = `eager-${run}`;
    const answer = await post(`${gw.url}/alerts/falco`, event, bearer(TOKENS.falco));
    expect(answer.status).toBe(202);
    expect(answer.body).toMatchObject({ status: 'new', route: 'test-falco-shell' });
    const id: string = answer.body.incidentId;
    started.add(id);
    expect(eagerly.get(id)).toBe(true);
    // durable: the server has the run, and the worker that took its first task carries it on
    const status = await waitForGate(h.client, id);
    expect(status.playbook).toBe('demo');
    // the native connection's refusal of a second run under the id is the client's usual error
    await expect(
      startIncident(
        gatewayClient,
        { playbook: 'demo', requester: 'alice', params: { service: 'x' } },
        { taskQueue: h.taskQueue, incidentId: id, once: true },
      ),
    ).rejects.toBeInstanceOf(IncidentExistsError);
  });

  it('falls back to an ordinary start when no worker of this process polls the queue, and the incident runs once one does', async () => {
    const other = await startHarness({ worker: false });
    try {
      const { client, eagerly: recorded } = recordingClient(other);
      const id = await startIncident(
        client,
        { playbook: 'demo', requester: 'alice', params: { service: `eager-${run}` } },
        { taskQueue: other.taskQueue },
      );
      started.add(id);
      expect(recorded.get(id)).toBe(false);
      expect((await other.client.workflow.getHandle(id).describe()).status.name).toBe('RUNNING');
      await other.startWorker();
      await waitForGate(other.client, id);
      await cancelAll(other.client, new Set([id]));
    } finally {
      await other.stop();
    }
  });

  it('a client on a grpc-js connection (as the CLI is) never asks; eager: false opts out', async () => {
    expect(canStartEagerly(h.client)).toBe(false);
    expect(eagerStart(h.client)).toEqual({});
    const { client, eagerly: recorded } = recordingClient(h);
    expect(eagerStart(client)).toEqual({ requestEagerStart: true });
    expect(eagerStart(client, false)).toEqual({});
    const id = await startIncident(
      client,
      { playbook: 'demo', requester: 'alice', params: { service: `plain-${run}` } },
      { taskQueue: h.taskQueue, eager: false },
    );
    started.add(id);
    expect(recorded.get(id)).toBe(false);
    await waitForGate(h.client, id);
  });
});
