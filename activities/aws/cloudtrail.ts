/**
 * What a leaked key did while it was out: CloudTrail's management events made with that access
 * key id, between the first leak and now, newest first. LookupEvents answers at most 50 a page and
 * 2 requests a second per account and region (the SDK's retry mode absorbs its throttling), so the
 * lookup is bounded: at most `max` events, and says when there were more.
 */
import { LookupEventsCommand, type Event } from '@aws-sdk/client-cloudtrail';
import type { AwsClients } from './clients';
import { awsCall } from './errors';

export interface KeyEvent {
  time: string | null;
  name: string | null;
  source: string | null;
  region: string | null;
  sourceIp: string | null;
  userAgent: string | null;
  errorCode: string | null;
  readOnly: boolean | null;
  resources: string[];
}

export interface KeyActivity {
  region: string;
  from: string;
  to: string;
  events: KeyEvent[];
  /** more events than `max` matched: the oldest are not listed */
  truncated: boolean;
}

const PAGE = 50;

function summarise(e: Event): KeyEvent {
  let detail: Record<string, unknown> = {};
  try {
    detail = e.CloudTrailEvent ? (JSON.parse(e.CloudTrailEvent) as Record<string, unknown>) : {};
  } catch {
    // A record CloudTrail could not give as JSON still has its name and time.
  }
  const str = (v: unknown) => (typeof v === 'string' ? v : null);
  return {
    time: e.EventTime ? e.EventTime.toISOString() : null,
    name: e.EventName ?? null,
    source: e.EventSource ?? null,
    region: str(detail.awsRegion),
    sourceIp: str(detail.sourceIPAddress),
    userAgent: str(detail.userAgent)?.slice(0, 200) ?? null,
    errorCode: str(detail.errorCode),
    readOnly: e.ReadOnly === undefined ? null : e.ReadOnly === 'true',
    resources: (e.Resources ?? []).map((r) => `${r.ResourceType ?? '?'} ${r.ResourceName ?? '?'}`).slice(0, 10),
  };
}

export async function keyActivity(
  aws: AwsClients,
  keyId: string,
  window: { from: Date; to: Date },
  max = aws.settings.maxCloudTrailEvents,
): Promise<KeyActivity> {
  const events: KeyEvent[] = [];
  let token: string | undefined;
  do {
    const res = await awsCall(
      'CloudTrail LookupEvents for the leaked key',
      'cloudtrail:LookupEvents',
      () =>
        aws.cloudtrail.send(
          new LookupEventsCommand({
            LookupAttributes: [{ AttributeKey: 'AccessKeyId', AttributeValue: keyId }],
            StartTime: window.from,
            EndTime: window.to,
            MaxResults: Math.min(PAGE, max - events.length),
            ...(token ? { NextToken: token } : {}),
          }),
        ),
      [keyId],
    );
    events.push(...(res.Events ?? []).map(summarise));
    token = res.NextToken;
  } while (token && events.length < max);
  return { region: aws.settings.region, from: window.from.toISOString(), to: window.to.toISOString(), events, truncated: Boolean(token) };
}
