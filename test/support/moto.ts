/**
 * moto's server (`npm run setup:moto`): IAM, STS and CloudTrail as AWS documents them, on a free
 * loopback port, with IAM authentication and authorization on, so Tourniquet calls it as an IAM
 * user holding deploy/aws/tourniquet-iam-policy.json and AWS-style AccessDenied answers are real.
 *
 * Known gaps of moto 5.2.5, which the suites document where they matter:
 * - CloudTrail LookupEvents is not implemented (moto records no events);
 * - authorization is checked against the resource `*` only: the test identity holds the deploy
 *   policy's actions on `*` (the deploy policy scopes them to IAM users);
 * - an Inactive key still authenticates (AWS answers InvalidClientTokenId); a deleted one does not.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CreateAccessKeyCommand, CreateUserCommand, IAMClient, PutUserPolicyCommand } from '@aws-sdk/client-iam';
import { ensureMotoServer } from '../../tools/moto-binary';
import { projectRoot } from '../../tools/temporal-binaries';
import { freePort } from './ports';
import { waitFor } from './wait';

export interface Credentials {
  accessKeyId: string;
  secretAccessKey: string;
}

export interface Moto {
  url: string;
  region: string;
  /** an IAM client with full rights, for arranging the account */
  admin: IAMClient;
  /** a new IAM user with an access key; `policy` inline if given */
  createUser(name: string, policy?: object): Promise<Credentials>;
  /** a user holding the deploy policy's actions (minus `without`), as Tourniquet's identity */
  tourniquetIdentity(name: string, without?: string[]): Promise<Credentials>;
  output(): string;
  stop(): Promise<void>;
}

export const deployPolicy = () =>
  JSON.parse(readFileSync(join(projectRoot, 'deploy/aws/tourniquet-iam-policy.json'), 'utf8')) as {
    Statement: { Action: string | string[]; Resource: string }[];
  };

export const deployActions = () => deployPolicy().Statement.flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action]));

export async function startMoto(): Promise<Moto> {
  const moto = ensureMotoServer();
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const output: string[] = [];
  const child: ChildProcess = spawn(moto.command, [...moto.args, '-H', '127.0.0.1', '-p', String(port)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  for (const stream of [child.stdout!, child.stderr!]) stream.on('data', (c: Buffer) => output.push(c.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    child.kill('SIGTERM');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
    if (child.exitCode === null) child.kill('SIGKILL');
  };
  try {
    await waitFor(
      'moto_server ready',
      async () => {
        if (child.exitCode !== null) throw new Error(`moto_server exited ${child.exitCode}: ${output.join('')}`);
        const res = await fetch(`${url}/moto-api/data.json`).catch(() => undefined);
        return res?.ok ? true : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 100 },
    );
    const region = 'us-east-1';
    const bootstrap = new IAMClient({ region, endpoint: url, credentials: { accessKeyId: 'bootstrap', secretAccessKey: 'bootstrap' } });
    // Three unauthenticated requests make the admin; from then on every request is authenticated.
    const reset = await fetch(`${url}/moto-api/reset-auth`, { method: 'POST', body: '3' });
    if (!reset.ok) throw new Error(`moto reset-auth: ${reset.status}`);
    await bootstrap.send(new CreateUserCommand({ UserName: 'admin' }));
    await bootstrap.send(
      new PutUserPolicyCommand({
        UserName: 'admin',
        PolicyName: 'all',
        PolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] }),
      }),
    );
    const adminKey = (await bootstrap.send(new CreateAccessKeyCommand({ UserName: 'admin' }))).AccessKey!;
    bootstrap.destroy();
    const admin = new IAMClient({
      region,
      endpoint: url,
      credentials: { accessKeyId: adminKey.AccessKeyId!, secretAccessKey: adminKey.SecretAccessKey! },
    });
    const createUser = async (name: string, policy?: object): Promise<Credentials> => {
      await admin.send(new CreateUserCommand({ UserName: name }));
      if (policy)
        await admin.send(
          new PutUserPolicyCommand({ UserName: name, PolicyName: `${name}-policy`, PolicyDocument: JSON.stringify(policy) }),
        );
      const key = (await admin.send(new CreateAccessKeyCommand({ UserName: name }))).AccessKey!;
      return { accessKeyId: key.AccessKeyId!, secretAccessKey: key.SecretAccessKey! };
    };
    return {
      url,
      region,
      admin,
      createUser,
      tourniquetIdentity: (name, without = []) =>
        createUser(name, {
          Version: '2012-10-17',
          // moto matches resources against `*` only (see above): the same actions, on `*`.
          Statement: [{ Effect: 'Allow', Action: deployActions().filter((a) => !without.includes(a)), Resource: '*' }],
        }),
      output: () => output.join(''),
      async stop() {
        admin.destroy();
        await stop();
      },
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
