/**
 * What a leaked key did while exposed: the bounded, paged CloudTrail lookup (activities/aws/cloudtrail.ts).
 * moto 5.2.5 has no LookupEvents, so it is served by test/support/cloudtrail-events.ts, which pages
 * and refuses requests as AWS documents, in front of nothing else: the lookup is all this suite calls.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAwsClients, keyActivity, type AwsClients } from '../activities/aws';
import { startAwsProxy, type AwsProxy } from './support/aws-proxy';
import { lookupEventsHandler, type TrailEvent } from './support/cloudtrail-events';

let proxy: AwsProxy;
let aws: AwsClients;
const KEY = 'AKIA' + 'TRAIL7'.repeat(2) + 'QQQQ';
const OTHER = 'AKIA' + 'OTHER7'.repeat(2) + 'QQQQ';
const from = new Date('2026-11-20T08:00:00Z');
const to = new Date('2026-11-21T08:00:00Z');
const minutes = (m: number) => new Date(from.getTime() + m * 60_000);

beforeAll(async () => {
  // Nothing listens upstream: any call but LookupEvents would fail the test.
  proxy = await startAwsProxy('http://127.0.0.1:9');
  const events: TrailEvent[] = [
    ...Array.from({ length: 120 }, (_, i) => ({
      time: minutes(i + 1),
      name: i % 2 ? 'ListBuckets' : 'GetObject',
      source: 's3.amazonaws.com',
      accessKeyId: KEY,
    })),
    { time: minutes(-5), name: 'CreateUser', source: 'iam.amazonaws.com', accessKeyId: KEY }, // before the leak
    { time: minutes(30), name: 'RunInstances', source: 'ec2.amazonaws.com', accessKeyId: OTHER },
  ];
  proxy.serve('LookupEvents', lookupEventsHandler(events));
  process.env.AWS_ACCESS_KEY_ID = 'AKIA' + 'TOURNIQUET00';
  process.env.AWS_SECRET_ACCESS_KEY = 'test-secret';
  aws = createAwsClients({ region: 'us-east-1', endpoint: proxy.url, maxCloudTrailEvents: 100 });
});
afterAll(async () => {
  await proxy?.close();
});

describe('CloudTrail events by a leaked key', () => {
  it('pages newest first within the exposure window, stops at the bound, and says it was cut', async () => {
    const before = proxy.of('LookupEvents').length;
    const activity = await keyActivity(aws, KEY, { from, to });
    expect(proxy.refusals).toEqual([]);
    expect(proxy.of('LookupEvents').length - before).toBe(2);
    expect(activity.events).toHaveLength(100);
    expect(activity.truncated).toBe(true);
    expect(activity.events[0]).toMatchObject({
      time: minutes(120).toISOString(),
      name: 'ListBuckets',
      source: 's3.amazonaws.com',
      sourceIp: '203.0.113.7',
      region: 'us-east-1',
      readOnly: true,
      errorCode: null,
    });
    expect(activity.events.every((e) => e.source === 's3.amazonaws.com')).toBe(true);
    expect(activity).toMatchObject({ from: from.toISOString(), to: to.toISOString(), region: 'us-east-1' });
  });

  it('reads every page when the events fit the bound', async () => {
    const activity = await keyActivity(aws, KEY, { from, to }, 500);
    expect(proxy.refusals).toEqual([]);
    expect(activity.events).toHaveLength(120);
    expect(activity.truncated).toBe(false);
    expect(activity.events.at(-1)!.time).toBe(minutes(1).toISOString());
  });

  it('asks for no more than the bound on the last page', async () => {
    const activity = await keyActivity(aws, KEY, { from, to }, 7);
    expect(activity.events.map((e) => e.time)).toEqual([120, 119, 118, 117, 116, 115, 114].map((m) => minutes(m).toISOString()));
    expect(activity.truncated).toBe(true);
  });
});
