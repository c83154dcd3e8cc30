/**
 * An IAM user's access key: who owns it, its state, and the reversible containment — deactivate
 * the key, then attach a deny-all inline policy to its user (the idea of AWS's own
 * AWSCompromisedKeyQuarantine policies, stricter: everything is denied). Every write reads first,
 * so a retry does nothing twice and says so. Access key ids go only to AWS, never into a message.
 */
import {
  DeleteAccessKeyCommand,
  DeleteUserPolicyCommand,
  GetAccessKeyLastUsedCommand,
  GetUserPolicyCommand,
  ListAccessKeysCommand,
  ListAttachedUserPoliciesCommand,
  ListUserPoliciesCommand,
  PutUserPolicyCommand,
  UpdateAccessKeyCommand,
} from '@aws-sdk/client-iam';
import type { AwsClients } from './clients';
import { awsCall, awsErrorName } from './errors';

export interface AccessKeyState {
  userName: string;
  status: 'Active' | 'Inactive';
  createdAt: string | null;
  lastUsed: { at: string | null; service: string | null; region: string | null };
}

/** Deny everything, the user's other keys and console session included, until people lift it. */
export const QUARANTINE_POLICY_DOCUMENT = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Sid: 'TourniquetQuarantineDenyAll', Effect: 'Deny', Action: '*', Resource: '*' }],
});

/** One quarantine policy per incident: its name says which incident attached it (IAM names: [\w+=,.@-], 128 max). */
export function quarantinePolicyName(incidentId: string): string {
  return `TourniquetQuarantine-${incidentId.replace(/[^\w+=,.@-]/g, '-')}`.slice(0, 128);
}

const iso = (d: Date | undefined) => (d ? d.toISOString() : null);

/** The key's owner and state, or undefined when the key is not in this account (or no longer exists). */
export async function findAccessKey(aws: AwsClients, keyId: string): Promise<AccessKeyState | undefined> {
  let owner;
  try {
    owner = await aws.iam.send(new GetAccessKeyLastUsedCommand({ AccessKeyId: keyId }));
  } catch (err) {
    if (awsErrorName(err) === 'NoSuchEntity' || awsErrorName(err) === 'NoSuchEntityException') return undefined;
    return awsCall('GetAccessKeyLastUsed of the leaked key', 'iam:GetAccessKeyLastUsed', () => Promise.reject(err), [keyId]);
  }
  const userName = owner.UserName;
  if (!userName) return undefined;
  const keys = await awsCall(
    `ListAccessKeys of IAM user ${userName}`,
    'iam:ListAccessKeys',
    () => aws.iam.send(new ListAccessKeysCommand({ UserName: userName })),
    [keyId],
  );
  const key = keys.AccessKeyMetadata?.find((k) => k.AccessKeyId === keyId);
  if (!key) return undefined;
  const used = owner.AccessKeyLastUsed;
  return {
    userName,
    status: key.Status === 'Inactive' ? 'Inactive' : 'Active',
    createdAt: iso(key.CreateDate),
    // AWS answers "N/A" for a key never used.
    lastUsed: {
      at: iso(used?.LastUsedDate),
      service: used?.ServiceName && used.ServiceName !== 'N/A' ? used.ServiceName : null,
      region: used?.Region && used.Region !== 'N/A' ? used.Region : null,
    },
  };
}

export interface PolicySummary {
  attached: { name: string; arn: string }[];
  inline: string[];
  /** more than the pages read: the lists are cut */
  truncated: boolean;
}

const MAX_POLICY_PAGES = 5;

/** The user's managed (attached) and inline policies, by name: what the leaked key could do. */
export async function userPolicies(aws: AwsClients, userName: string): Promise<PolicySummary> {
  const summary: PolicySummary = { attached: [], inline: [], truncated: false };
  let marker: string | undefined;
  for (let page = 0; page < MAX_POLICY_PAGES; page++) {
    const res = await awsCall(`ListAttachedUserPolicies of ${userName}`, 'iam:ListAttachedUserPolicies', () =>
      aws.iam.send(new ListAttachedUserPoliciesCommand({ UserName: userName, ...(marker ? { Marker: marker } : {}) })),
    );
    for (const p of res.AttachedPolicies ?? []) summary.attached.push({ name: p.PolicyName ?? '?', arn: p.PolicyArn ?? '?' });
    marker = res.IsTruncated ? res.Marker : undefined;
    if (!marker) break;
  }
  if (marker) summary.truncated = true;
  marker = undefined;
  for (let page = 0; page < MAX_POLICY_PAGES; page++) {
    const res = await awsCall(`ListUserPolicies of ${userName}`, 'iam:ListUserPolicies', () =>
      aws.iam.send(new ListUserPoliciesCommand({ UserName: userName, ...(marker ? { Marker: marker } : {}) })),
    );
    summary.inline.push(...(res.PolicyNames ?? []));
    marker = res.IsTruncated ? res.Marker : undefined;
    if (!marker) break;
  }
  if (marker) summary.truncated = true;
  return summary;
}

export async function hasInlinePolicy(aws: AwsClients, userName: string, policyName: string): Promise<boolean> {
  try {
    await aws.iam.send(new GetUserPolicyCommand({ UserName: userName, PolicyName: policyName }));
    return true;
  } catch (err) {
    if (awsErrorName(err) === 'NoSuchEntity' || awsErrorName(err) === 'NoSuchEntityException') return false;
    return awsCall(`GetUserPolicy ${policyName} of ${userName}`, 'iam:GetUserPolicy', () => Promise.reject(err));
  }
}

export async function setKeyStatus(aws: AwsClients, userName: string, keyId: string, status: 'Active' | 'Inactive'): Promise<void> {
  await awsCall(
    `UpdateAccessKey (${status}) of IAM user ${userName}`,
    'iam:UpdateAccessKey',
    () => aws.iam.send(new UpdateAccessKeyCommand({ UserName: userName, AccessKeyId: keyId, Status: status })),
    [keyId],
  );
}

export async function putQuarantine(aws: AwsClients, userName: string, policyName: string): Promise<void> {
  await awsCall(`PutUserPolicy ${policyName} on ${userName}`, 'iam:PutUserPolicy', () =>
    aws.iam.send(new PutUserPolicyCommand({ UserName: userName, PolicyName: policyName, PolicyDocument: QUARANTINE_POLICY_DOCUMENT })),
  );
}

/** false when it was not there. */
export async function removeQuarantine(aws: AwsClients, userName: string, policyName: string): Promise<boolean> {
  try {
    await aws.iam.send(new DeleteUserPolicyCommand({ UserName: userName, PolicyName: policyName }));
    return true;
  } catch (err) {
    if (awsErrorName(err) === 'NoSuchEntity' || awsErrorName(err) === 'NoSuchEntityException') return false;
    return awsCall(`DeleteUserPolicy ${policyName} of ${userName}`, 'iam:DeleteUserPolicy', () => Promise.reject(err));
  }
}

/** false when it was already gone. */
export async function deleteAccessKey(aws: AwsClients, userName: string, keyId: string): Promise<boolean> {
  try {
    await aws.iam.send(new DeleteAccessKeyCommand({ UserName: userName, AccessKeyId: keyId }));
    return true;
  } catch (err) {
    if (awsErrorName(err) === 'NoSuchEntity' || awsErrorName(err) === 'NoSuchEntityException') return false;
    return awsCall(`DeleteAccessKey of IAM user ${userName}`, 'iam:DeleteAccessKey', () => Promise.reject(err), [keyId]);
  }
}
