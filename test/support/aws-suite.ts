/**
 * The set-up and teardown the AWS key suites share, registered as vitest hooks in one call: moto
 * (IAM authentication on) behind the recording proxy, the worker's own IAM identity in the SDK's
 * standard credential chain (its environment, as deployed), the fake GitHub with acme/api, and a
 * harness whose worker reaches both. Incidents a test leaves open are cancelled after it, and the
 * fake GitHub must have refused nothing.
 *
 * Call it at the top of a suite file; the fields are filled in before the suite's own beforeAll
 * hooks run (vitest runs beforeAll hooks in the order they are registered, after hooks in reverse).
 */
import { afterAll, afterEach, beforeAll, expect } from 'vitest';
import { startAwsProxy, type AwsProxy } from './aws-proxy';
import { startFakeGitHub, type FakeGitHub } from './fake-github';
import { startHarness, type Harness } from './harness';
import { startMoto, type Moto } from './moto';

export interface AwsSuiteOptions {
  /** the worker's IAM user, holding the deploy policy's actions except `deny` */
  identity: string;
  deny?: string[];
  /** also fail a test whose GitHub requests the fake found problems with (default true) */
  githubProblems?: boolean;
}

export interface AwsSuite {
  moto: Moto;
  proxy: AwsProxy;
  fake: FakeGitHub;
  h: Harness;
  /** incidents the running test started and has not seen end: cancelled after it */
  open: Set<string>;
}

export function useAwsSuite(options: AwsSuiteOptions): AwsSuite {
  const suite = { open: new Set<string>() } as AwsSuite;
  beforeAll(async () => {
    suite.moto = await startMoto();
    suite.proxy = await startAwsProxy(suite.moto.url);
    const identity = await suite.moto.tourniquetIdentity(options.identity, options.deny);
    process.env.AWS_ACCESS_KEY_ID = identity.accessKeyId;
    process.env.AWS_SECRET_ACCESS_KEY = identity.secretAccessKey;
    suite.fake = await startFakeGitHub();
    await suite.fake.addRepo('acme/api');
    suite.h = await startHarness({
      github: { token: suite.fake.appToken, apiUrl: suite.fake.url },
      aws: { region: suite.moto.region, endpoint: suite.proxy.url, maxCloudTrailEvents: 100 },
    });
  });
  afterEach(async () => {
    for (const id of suite.open)
      await suite.h.client.workflow
        .getHandle(id)
        .cancel()
        .catch(() => {});
    suite.open.clear();
    expect(suite.fake.rejections.splice(0)).toEqual([]);
    if (options.githubProblems ?? true) expect(suite.fake.problems.splice(0)).toEqual([]);
  });
  afterAll(async () => {
    await suite.h?.stop();
    await suite.fake?.stop();
    await suite.proxy?.close();
    await suite.moto?.stop();
  });
  return suite;
}
