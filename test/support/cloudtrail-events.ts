/**
 * CloudTrail's LookupEvents as AWS documents it, for the suites (moto 5.2.5 has no LookupEvents):
 * a fixed list of events, filtered by the one lookup attribute and the time range, newest first,
 * paged by MaxResults (1–50) with a NextToken valid only with the same parameters. Requests AWS
 * would refuse are refused (thrown), so the code under test cannot pass by asking loosely.
 */
import { randomUUID } from 'node:crypto';

export interface TrailEvent {
  time: Date;
  name: string;
  source: string;
  accessKeyId: string;
  sourceIp?: string;
  region?: string;
  errorCode?: string;
  readOnly?: boolean;
}

export function lookupEventsHandler(events: TrailEvent[]) {
  const tokens = new Map<string, { params: string; offset: number }>();
  return (body: Record<string, unknown>): unknown => {
    const allowed = new Set(['LookupAttributes', 'StartTime', 'EndTime', 'MaxResults', 'NextToken', 'EventCategory']);
    for (const k of Object.keys(body)) if (!allowed.has(k)) throw new Error(`unknown parameter ${k}`);
    const attrs = body.LookupAttributes as { AttributeKey?: string; AttributeValue?: string }[] | undefined;
    if (!attrs || attrs.length !== 1) throw new Error('LookupAttributes: exactly one attribute is supported');
    const [attr] = attrs;
    if (attr!.AttributeKey !== 'AccessKeyId' || !attr!.AttributeValue)
      throw new Error(`expected an AccessKeyId lookup, got ${JSON.stringify(attr)}`);
    const max = (body.MaxResults as number | undefined) ?? 50;
    if (!Number.isInteger(max) || max < 1 || max > 50) throw new Error(`MaxResults must be 1..50, got ${max}`);
    const start = typeof body.StartTime === 'number' ? body.StartTime * 1000 : -Infinity;
    const end = typeof body.EndTime === 'number' ? body.EndTime * 1000 : Infinity;
    if (start > end) throw new Error('StartTime is after EndTime');
    const params = JSON.stringify({ attrs, start, end });
    let offset = 0;
    if (body.NextToken !== undefined) {
      const token = tokens.get(String(body.NextToken));
      if (!token || token.params !== params) throw new Error('NextToken is not valid with these parameters');
      offset = token.offset;
    }
    const matching = events
      .filter((e) => e.accessKeyId === attr!.AttributeValue && e.time.getTime() >= start && e.time.getTime() <= end)
      .sort((a, b) => b.time.getTime() - a.time.getTime());
    const page = matching.slice(offset, offset + max);
    let next: string | undefined;
    if (offset + max < matching.length) {
      next = randomUUID();
      tokens.set(next, { params, offset: offset + max });
    }
    return {
      Events: page.map((e) => ({
        EventId: randomUUID(),
        EventName: e.name,
        EventSource: e.source,
        EventTime: e.time.getTime() / 1000,
        AccessKeyId: e.accessKeyId,
        ReadOnly: String(e.readOnly ?? true),
        Resources: [],
        CloudTrailEvent: JSON.stringify({
          eventVersion: '1.09',
          eventName: e.name,
          eventSource: e.source,
          awsRegion: e.region ?? 'us-east-1',
          sourceIPAddress: e.sourceIp ?? '203.0.113.7',
          userAgent: 'aws-cli/2.15.0',
          userIdentity: { type: 'IAMUser', accessKeyId: e.accessKeyId },
          ...(e.errorCode ? { errorCode: e.errorCode } : {}),
        }),
      })),
      ...(next ? { NextToken: next } : {}),
    };
  };
}
