/**
 * Does AWS still take the leaked pair? sts:GetCallerIdentity needs no permission, so any identity
 * answers it: an answer means the key works, InvalidClientTokenId means AWS no longer knows it as
 * usable (inactive or deleted). Anything else is not an answer either way.
 */
import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import type { AwsClients } from './clients';
import { awsErrorName, classifyAwsError } from './errors';

export async function stillAccepted(aws: AwsClients, pair: { accessKeyId: string; secretAccessKey: string }): Promise<boolean> {
  const sts = aws.stsAs(pair);
  try {
    await sts.send(new GetCallerIdentityCommand({}));
    return true;
  } catch (err) {
    const name = awsErrorName(err);
    if (name === 'InvalidClientTokenId' || name === 'SignatureDoesNotMatch') return false;
    throw classifyAwsError(err, 'sts:GetCallerIdentity with the leaked key', 'nothing (the leaked key signs it)', [
      pair.accessKeyId,
      pair.secretAccessKey,
    ]);
  } finally {
    sts.destroy();
  }
}
