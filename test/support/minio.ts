/**
 * A real MinIO (`npm run setup:minio`) on a free loopback port with its data in a temp dir, for the
 * S3 evidence-store suite: one bucket created with Object Lock (and so versioning), one without.
 * `stop()` ends the server and removes its data. Credentials are the server's root user, given to
 * the code under test the way a deployment does: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { findMinio } from '../../tools/minio-binary';
import { freePort } from './ports';
import { waitFor } from './wait';

export interface Minio {
  /** the S3 endpoint, http://127.0.0.1:<port> */
  url: string;
  region: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
  /** an S3 client as the bucket's owner (root), for arranging and inspecting buckets */
  admin: S3Client;
  /** created with Object Lock enabled (versioned, no default retention) */
  lockedBucket: string;
  /** created without Object Lock or versioning */
  plainBucket: string;
  output(): string;
  stop(): Promise<void>;
}

export async function startMinio(): Promise<Minio> {
  const binary = findMinio();
  const dir = mkdtempSync(join(tmpdir(), 'tourniquet-minio-'));
  const [port, consolePort] = [await freePort(), await freePort()];
  const url = `http://127.0.0.1:${port}`;
  const credentials = { accessKeyId: `tq-${randomBytes(6).toString('hex')}`, secretAccessKey: randomBytes(18).toString('hex') };
  const output: string[] = [];
  const child: ChildProcess = spawn(
    binary,
    ['server', join(dir, 'data'), '--address', `127.0.0.1:${port}`, '--console-address', `127.0.0.1:${consolePort}`, '--quiet'],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        ...process.env,
        MINIO_ROOT_USER: credentials.accessKeyId,
        MINIO_ROOT_PASSWORD: credentials.secretAccessKey,
        MINIO_BROWSER: 'off',
        MINIO_UPDATE: 'off',
        MINIO_CONFIG_DIR: join(dir, 'config'),
      },
    },
  );
  for (const stream of [child.stdout!, child.stderr!]) stream.on('data', (c: Buffer) => output.push(c.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const admin = new S3Client({ region: 'us-east-1', endpoint: url, forcePathStyle: true, credentials });
  const stop = async () => {
    admin.destroy();
    child.kill('SIGTERM');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
    if (child.exitCode === null) child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  };
  const suffix = randomBytes(4).toString('hex');
  const lockedBucket = `evidence-locked-${suffix}`;
  const plainBucket = `evidence-plain-${suffix}`;
  try {
    await waitFor(
      'MinIO live',
      async () => {
        if (child.exitCode !== null) throw new Error(`minio exited ${child.exitCode}: ${output.join('')}`);
        const res = await fetch(`${url}/minio/health/live`).catch(() => undefined);
        return res?.ok ? true : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 100 },
    );
    await admin.send(new CreateBucketCommand({ Bucket: lockedBucket, ObjectLockEnabledForBucket: true }));
    await admin.send(new CreateBucketCommand({ Bucket: plainBucket }));
  } catch (err) {
    await stop();
    throw err;
  }
  return { url, region: 'us-east-1', credentials, admin, lockedBucket, plainBucket, output: () => output.join(''), stop };
}
