/**
 * One AWS SDK v3 client per service, as Tourniquet's own identity: the SDK's standard credential
 * chain (environment, shared config and SSO, web identity, container and instance roles), its
 * standard retry mode unless AWS_RETRY_MODE / AWS_MAX_ATTEMPTS say otherwise. `endpoint` points all
 * three at one AWS-compatible API (moto in the tests); AWS's own endpoints otherwise.
 */
import { CloudTrailClient } from '@aws-sdk/client-cloudtrail';
import { IAMClient } from '@aws-sdk/client-iam';
import { STSClient } from '@aws-sdk/client-sts';

export interface AwsSettings {
  /** the region for STS and CloudTrail (IAM is global); CloudTrail lookups see this region's events */
  region: string;
  /** one endpoint for IAM, STS and CloudTrail, for tests and AWS-compatible APIs */
  endpoint?: string;
  /** the most CloudTrail events an incident records (newest first) */
  maxCloudTrailEvents: number;
}

export interface AwsClients {
  iam: IAMClient;
  sts: STSClient;
  cloudtrail: CloudTrailClient;
  settings: AwsSettings;
  /** an STS client signing with the leaked pair itself, to see whether AWS still takes it; one attempt, no retries */
  stsAs(credentials: { accessKeyId: string; secretAccessKey: string }): STSClient;
}

export function createAwsClients(settings: AwsSettings): AwsClients {
  const common = { region: settings.region, ...(settings.endpoint ? { endpoint: settings.endpoint } : {}) };
  return {
    iam: new IAMClient(common),
    sts: new STSClient(common),
    cloudtrail: new CloudTrailClient(common),
    settings,
    stsAs: (credentials) => new STSClient({ ...common, credentials, maxAttempts: 1 }),
  };
}
