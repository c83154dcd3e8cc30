/**
 * The compiled CLI's Temporal API root (cli/lazy-proto-root.ts: each message's fields added when
 * first read) against the root Root#addJSON builds from the same descriptor: the same bytes on the
 * wire, and the same reflection once every type has been used.
 */
import { createRequire } from 'node:module';
import protobuf from 'protobufjs/light';
import { describe, expect, it } from 'vitest';
import { addJSONLazily } from '../cli/lazy-proto-root';
import { cliTemporalDescriptor } from '../tools/cli-proto-plugin';

const { descriptor } = cliTemporalDescriptor(createRequire(import.meta.url).resolve('@temporalio/proto/protos/json-module.js'));

function roots() {
  return {
    eager: new protobuf.Root().addJSON(structuredClone(descriptor)) as protobuf.Root,
    lazy: addJSONLazily(new protobuf.Root(), structuredClone(descriptor) as never),
  };
}

/** what the CLI sends and reads: nested messages, maps, oneofs, repeated and packed fields, enums, int64, bytes */
const SAMPLES: Record<string, Record<string, unknown>> = {
  'temporal.api.workflowservice.v1.StartWorkflowExecutionRequest': {
    namespace: 'default',
    workflowId: 'inc-demo-1',
    workflowType: { name: 'incidentWorkflow' },
    taskQueue: { name: 'tourniquet', kind: 1 },
    input: { payloads: [{ metadata: { encoding: Buffer.from('json/plain') }, data: Buffer.from('{"a":1}') }] },
    workflowExecutionTimeout: { seconds: 3600, nanos: 5 },
    memo: { fields: { title: { data: Buffer.from('"t"') } } },
    searchAttributes: { indexedFields: { TourniquetState: { data: Buffer.from('"open"') } } },
    retryPolicy: { maximumAttempts: 3, nonRetryableErrorTypes: ['A', 'B'] },
    workflowIdReusePolicy: 3,
    requestId: 'r-1',
  },
  'temporal.api.workflowservice.v1.QueryWorkflowResponse': {
    queryResult: { payloads: [{ metadata: { encoding: Buffer.from('json/plain') }, data: Buffer.from('{}') }] },
    queryRejected: { status: 2 },
  },
  'temporal.api.workflowservice.v1.DescribeWorkflowExecutionResponse': {
    workflowExecutionInfo: {
      execution: { workflowId: 'w', runId: 'r' },
      status: 1,
      historyLength: '9007199254740993',
      startTime: { seconds: 1_700_000_000, nanos: 1 },
    },
    pendingActivities: [{ activityId: 'a1', attempt: 2, lastFailure: { message: 'x', applicationFailureInfo: { type: 'T' } } }],
  },
  'temporal.api.workflowservice.v1.GetSystemInfoResponse': { serverVersion: '1.32.0', capabilities: { signalAndQueryHeader: true } },
};

function encode(root: protobuf.Root, name: string): Uint8Array {
  const type = root.lookupType(name);
  return type.encode(type.fromObject(SAMPLES[name]!)).finish();
}

function decode(root: protobuf.Root, name: string, bytes: Uint8Array): unknown {
  const type = root.lookupType(name);
  return type.toObject(type.decode(bytes), { longs: String, defaults: true, arrays: true, objects: true, oneofs: true });
}

describe('the compiled CLI’s Temporal API root', () => {
  it('encodes and decodes what addJSON’s root does, with most messages never built', () => {
    const { eager, lazy } = roots();
    for (const name of Object.keys(SAMPLES)) {
      const bytes = encode(eager, name);
      expect(Buffer.from(encode(lazy, name)).toString('hex'), name).toBe(Buffer.from(bytes).toString('hex'));
      expect(decode(lazy, name, bytes), name).toEqual(decode(eager, name, bytes));
      const invalid = { ...SAMPLES[name], [Object.keys(SAMPLES[name]!)[0]!]: 42 };
      expect(lazy.lookupType(name).verify(invalid), name).toBe(eager.lookupType(name).verify(invalid));
      expect(lazy.lookupType(name).verify(invalid), name).not.toBeNull();
    }
  });

  it('is the same root as addJSON’s once every type is used', () => {
    const { eager, lazy } = roots();
    // One type set up first: the root's features are resolved while most fields do not exist yet.
    encode(lazy, 'temporal.api.workflowservice.v1.StartWorkflowExecutionRequest');
    encode(eager, 'temporal.api.workflowservice.v1.StartWorkflowExecutionRequest');
    eager.resolveAll();
    lazy.resolveAll();
    expect(lazy.toJSON()).toEqual(eager.toJSON());

    const registry = (root: protobuf.Root) =>
      (root as unknown as { _fullyQualifiedObjects: Record<string, protobuf.ReflectionObject> })._fullyQualifiedObjects;
    expect(Object.keys(registry(lazy)).sort()).toEqual(Object.keys(registry(eager)).sort());
    const features = (o: protobuf.ReflectionObject) => (o as unknown as { _features: unknown })._features;
    let fields = 0;
    for (const [name, eagerObject] of Object.entries(registry(eager))) {
      const lazyObject = registry(lazy)[name]!;
      expect(lazyObject.constructor, name).toBe(eagerObject.constructor);
      expect(features(lazyObject), name).toEqual(features(eagerObject));
      if (!(eagerObject instanceof protobuf.Type)) continue;
      const lazyFields = (lazyObject as protobuf.Type).fieldsArray;
      expect(
        lazyFields.map((f) => f.name),
        name,
      ).toEqual(eagerObject.fieldsArray.map((f) => f.name));
      eagerObject.fieldsArray.forEach((field, i) => {
        expect(features(lazyFields[i]!), field.fullName).toEqual(features(field));
        expect(lazyFields[i]!.resolvedType?.fullName, field.fullName).toBe(field.resolvedType?.fullName);
        fields++;
      });
    }
    expect(fields).toBeGreaterThan(2000);
  });
});
