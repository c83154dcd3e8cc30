/** AWS: IAM access keys (find, deactivate, quarantine, restore, delete), CloudTrail lookups, STS checks. */
export { createAwsClients, type AwsClients, type AwsSettings } from './clients';
export * from './errors';
export * from './keys';
export { keyActivity, type KeyActivity, type KeyEvent } from './cloudtrail';
export { stillAccepted } from './sts';
