/**
 * AWS access keys (IAM users' long-term keys): deactivate the key, then attach a deny-all inline
 * quarantine policy to its user — both reversible, so a mistaken revocation can be undone behind
 * its own approval (activities/github/aws-key.ts). Deleting the key is a separate, later gate.
 *
 * GitHub's `aws_access_key_id` alerts give the key id only; a value that holds the pair (id and
 * 40-character secret, as in a credentials file) also lets the check sign with the key itself.
 */
import {
  findAccessKey,
  hasInlinePolicy,
  putQuarantine,
  quarantinePolicyName,
  setKeyStatus,
  stillAccepted,
  type AccessKeyState,
  type AwsClients,
} from '../../aws';
import type { Leak, RevokeCheck, RevokePlan, Revoker, RevokerContext, RevokeResult } from './types';
import { RevokerRefusal } from './types';

const AWS_TYPES = new Set(['aws_access_key_id', 'aws_secret_access_key']);
const KEY_ID = /\b(?:AKIA|ASIA)[A-Z0-9]{16}\b/;
const SECRET_KEY = /(?<![A-Za-z0-9/+=])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])/;

export interface AwsLeakedKey {
  keyId: string;
  secretKey?: string;
}

/** The access key id (and the secret access key when the value holds the pair). */
export function awsKeyOf(leak: Leak): AwsLeakedKey {
  const keyId = KEY_ID.exec(leak.secret)?.[0];
  if (!keyId) {
    throw new RevokerRefusal(
      `${leak.fingerprint} holds no access key id, only a secret access key: IAM finds keys by id; revoke the aws_access_key_id alert of the same file instead`,
    );
  }
  if (keyId.startsWith('ASIA')) {
    throw new RevokerRefusal(
      `${leak.fingerprint} is a temporary (STS) key: it cannot be deactivated; revoke the role session's permissions (aws:TokenIssueTime) by hand`,
    );
  }
  const secretKey = SECRET_KEY.exec(leak.secret.replace(keyId, ' '))?.[0];
  return { keyId, ...(secretKey ? { secretKey } : {}) };
}

/** `alice Active`: the owner and the status the approvers saw, handed through the approved action. */
export const awsPlanRef = (state: AccessKeyState) => `${state.userName} ${state.status}`;

export function parseAwsPlanRef(ref: string | null): { userName: string; statusBefore: 'Active' | 'Inactive' } {
  const [userName, status] = (ref ?? '').split(' ');
  if (!userName || (status !== 'Active' && status !== 'Inactive'))
    throw new RevokerRefusal(`no IAM user in the approved action (got ${ref})`);
  return { userName, statusBefore: status };
}

function needAws(ctx: RevokerContext): AwsClients {
  if (!ctx.aws) throw new RevokerRefusal('AWS is not configured on this worker');
  return ctx.aws;
}

/** The key, which must still belong to the approved user. */
export async function approvedKey(
  leak: Leak,
  plan: RevokePlan,
  aws: AwsClients,
): Promise<{ key: AwsLeakedKey; state: AccessKeyState | undefined; userName: string }> {
  const key = awsKeyOf(leak);
  const { userName } = parseAwsPlanRef(plan.ref);
  const state = await findAccessKey(aws, key.keyId);
  if (state && state.userName !== userName) {
    throw new RevokerRefusal(`${leak.fingerprint} now belongs to IAM user ${state.userName}, not the approved ${userName}: nothing done`);
  }
  return { key, state, userName };
}

export function awsAccessKeyRevoker(): Revoker {
  return {
    name: 'aws-access-key',
    handles: (secretType) => AWS_TYPES.has(secretType),

    async plan(leak, ctx) {
      const aws = needAws(ctx);
      const { keyId } = awsKeyOf(leak);
      const state = await findAccessKey(aws, keyId);
      if (!state) {
        throw new RevokerRefusal(
          `access key ${leak.fingerprint} is not a key of an IAM user in the AWS account Tourniquet's identity is in: revoke it in its own account (IAM → Users → Security credentials)`,
        );
      }
      const policy = quarantinePolicyName(ctx.incidentId ?? 'INCIDENT');
      const first =
        state.status === 'Active'
          ? `deactivate access key ${leak.fingerprint} of IAM user ${state.userName}`
          : `access key ${leak.fingerprint} of IAM user ${state.userName} is already Inactive`;
      return { ref: awsPlanRef(state), description: `${first}; attach the deny-all inline policy ${policy} to ${state.userName}` };
    },

    async revoke(leak, plan, ctx): Promise<RevokeResult> {
      const aws = needAws(ctx);
      if (!ctx.incidentId) throw new RevokerRefusal('no incident id: the quarantine policy is named after it');
      const { key, state, userName } = await approvedKey(leak, plan, aws);
      if (!state) throw new RevokerRefusal(`access key ${leak.fingerprint} of ${userName} no longer exists: nothing to deactivate`);
      const { statusBefore } = parseAwsPlanRef(plan.ref);
      const policy = quarantinePolicyName(ctx.incidentId);
      const quarantined = await hasInlinePolicy(aws, userName, policy);
      const deactivate = state.status === 'Active';
      if (ctx.dryRun) {
        const said = [
          deactivate
            ? `would deactivate access key ${leak.fingerprint} of ${userName}`
            : `access key ${leak.fingerprint} is already Inactive`,
          quarantined ? `${policy} is already attached` : `would attach ${policy} to ${userName}`,
        ];
        return { summary: said.join('; '), changed: false };
      }
      // Deactivation first: it stops the key at once; the quarantine then covers the user's other credentials.
      if (deactivate) await setKeyStatus(aws, userName, key.keyId, 'Inactive');
      if (!quarantined) await putQuarantine(aws, userName, policy);
      const said = [
        deactivate
          ? `deactivated access key ${leak.fingerprint} of IAM user ${userName}`
          : statusBefore === 'Active'
            ? `access key ${leak.fingerprint} of IAM user ${userName} already deactivated (it was Active when approved: an earlier attempt of this step)`
            : `access key ${leak.fingerprint} of ${userName} was already Inactive before this incident`,
        quarantined ? `${policy} was already attached by this incident` : `attached deny-all ${policy} to ${userName}`,
      ];
      return {
        summary: said.join('; '),
        changed: deactivate || !quarantined,
        details: { userName, deactivated: deactivate, quarantined: !quarantined, policy },
      };
    },

    async check(leak, plan, ctx): Promise<RevokeCheck> {
      const aws = needAws(ctx);
      const { key, state, userName } = await approvedKey(leak, plan, aws);
      const policy = ctx.incidentId ? quarantinePolicyName(ctx.incidentId) : undefined;
      const quarantined = policy ? await hasInlinePolicy(aws, userName, policy) : false;
      const keySaid = state ? `access key ${leak.fingerprint} is ${state.status}` : `access key ${leak.fingerprint} is deleted`;
      const inactive = !state || state.status === 'Inactive';
      const parts = [keySaid, quarantined ? `${policy} attached to ${userName}` : `no quarantine policy on ${userName}`];
      let accepted = false;
      if (key.secretKey) {
        accepted = await stillAccepted(aws, { accessKeyId: key.keyId, secretAccessKey: key.secretKey });
        parts.push(
          accepted ? 'AWS STS still accepts the leaked key' : 'AWS STS rejects the leaked key (GetCallerIdentity: InvalidClientTokenId)',
        );
      } else {
        parts.push('the alert holds no secret access key, so the key itself cannot be tried against STS');
      }
      return { revoked: inactive && (quarantined || !state) && !accepted, summary: parts.join('; ') };
    },
  };
}
