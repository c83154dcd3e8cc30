/**
 * The AWS revoker's pure parts: which key an alert's value names (and what is refused before any
 * gate), and how AWS SDK errors become Temporal failures, scrubbed of the leaked values.
 */
import { IAMServiceException } from '@aws-sdk/client-iam';
import type { ApplicationFailure } from '@temporalio/common';
import { describe, expect, it } from 'vitest';
import { classifyAwsError, quarantinePolicyName } from '../activities/aws';
import { awsKeyOf } from '../activities/github/revokers/aws-access-key';
import { RevokerRefusal, type Leak } from '../activities/github/revokers';

const KEY_ID = 'AKIA' + 'Q7XZR2D2'.repeat(2);
const SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCY' + 'Q7XZR2D2Q7';
const leak = (secret: string): Leak => ({
  owner: 'acme',
  repo: 'api',
  alertNumber: 1,
  secretType: 'aws_access_key_id',
  secret,
  fingerprint: '[REDACTED:aws_access_key_id sha256:abc last4:D2Q7]',
});
const awsError = (name: string, status: number, message = `${name} happened`) =>
  new IAMServiceException({ name, $fault: status >= 500 ? 'server' : 'client', $metadata: { httpStatusCode: status }, message });

describe('which AWS key an alert names', () => {
  it('takes the access key id alone, or with its secret access key from a credentials file', () => {
    expect(awsKeyOf(leak(KEY_ID))).toEqual({ keyId: KEY_ID });
    expect(awsKeyOf(leak(`[default]\naws_access_key_id = ${KEY_ID}\naws_secret_access_key = ${SECRET}\n`))).toEqual({
      keyId: KEY_ID,
      secretKey: SECRET,
    });
  });

  it('refuses a secret access key without its id, and temporary keys, saying why', () => {
    expect(() => awsKeyOf(leak(SECRET))).toThrow(RevokerRefusal);
    expect(() => awsKeyOf(leak(SECRET))).toThrow(/holds no access key id, only a secret access key/);
    expect(() => awsKeyOf(leak('ASIA' + 'Q7XZR2D2'.repeat(2)))).toThrow(/temporary \(STS\) key: it cannot be deactivated/);
  });

  it("names the quarantine policy after the incident, within IAM's characters and length", () => {
    expect(quarantinePolicyName('inc-42')).toBe('TourniquetQuarantine-inc-42');
    expect(quarantinePolicyName('github/acme api#7')).toBe('TourniquetQuarantine-github-acme-api-7');
    expect(quarantinePolicyName('x'.repeat(300))).toHaveLength(128);
  });
});

describe('AWS errors as Temporal failures', () => {
  const classify = (err: unknown) =>
    classifyAwsError(err, 'UpdateAccessKey of IAM user dev', 'iam:UpdateAccessKey', [KEY_ID]) as ApplicationFailure;

  it('AccessDenied is final and names the permission', () => {
    const f = classify(awsError('AccessDenied', 403, 'User: arn:aws:iam::1:user/t is not authorized to perform: iam:UpdateAccessKey'));
    expect(f).toMatchObject({ type: 'AwsAccessDenied', nonRetryable: true });
    expect(f.message).toMatch(
      /^AWS denied UpdateAccessKey of IAM user dev: Tourniquet's identity needs iam:UpdateAccessKey \(see deploy\/aws\/tourniquet-iam-policy.json\)/,
    );
  });

  it("throttling left over from the SDK's retries waits, then retries", () => {
    expect(classify(awsError('Throttling', 400))).toMatchObject({ type: 'AwsThrottled', nonRetryable: false, nextRetryDelay: '10s' });
    expect(classify(awsError('TooManyRequestsException', 429))).toMatchObject({ type: 'AwsThrottled' });
  });

  it("5xx is retried; other 4xx and Tourniquet's own bad credentials are final", () => {
    expect(classify(awsError('ServiceFailure', 500))).toMatchObject({ type: 'AwsUnavailable', nonRetryable: false });
    expect(classify(awsError('LimitExceeded', 409))).toMatchObject({ type: 'AwsRejected', nonRetryable: true });
    expect(classify(awsError('InvalidClientTokenId', 403))).toMatchObject({
      type: 'AwsRejected',
      nonRetryable: true,
      message: expect.stringMatching(/refused Tourniquet's own credentials/),
    });
  });

  it('no credentials at all says how to give the worker some', () => {
    const err = Object.assign(new Error('Could not load credentials from any providers'), { name: 'CredentialsProviderError' });
    expect(classify(err)).toMatchObject({
      type: 'AwsNotConfigured',
      nonRetryable: true,
      message: expect.stringMatching(/give the worker an IAM role or AWS_\* credentials/),
    });
  });

  it('never repeats the leaked key id AWS echoes back', () => {
    const f = classify(awsError('NoSuchEntity', 404, `The Access Key with id ${KEY_ID} cannot be found`));
    expect(f.message).not.toContain(KEY_ID);
    expect(f.message).toMatch(/\[REDACTED:/);
  });
});
