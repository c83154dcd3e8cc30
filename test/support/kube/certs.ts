/**
 * Certificates for a throwaway control plane, like envtest makes: one CA, a serving certificate for
 * 127.0.0.1, an admin client certificate (group system:masters) and the service-account key pair.
 * Keys come from node:crypto; Node has no API to *issue* X.509 certificates, so the openssl CLI
 * signs them.
 */
import { execFile } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface ControlPlaneCerts {
  caCert: string;
  caCertFile: string;
  servingCertFile: string;
  servingKeyFile: string;
  adminCert: string;
  adminKey: string;
  serviceAccountKeyFile: string;
  serviceAccountPublicKeyFile: string;
}

async function writeKey(path: string): Promise<void> {
  // P-256: quick to generate, and accepted by kube-apiserver for TLS, client certs and SA tokens (ES256).
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  await writeFile(path, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
}

async function openssl(args: string[]): Promise<void> {
  try {
    await run('openssl', args);
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { stderr?: string };
    if (e.code === 'ENOENT') throw new Error('the Kubernetes test control plane needs the openssl CLI on PATH', { cause: err });
    throw new Error(`openssl ${args[0]} failed: ${e.stderr ?? e.message}`, { cause: err });
  }
}

/** A leaf certificate signed by the CA, with the given extensions (openssl x509v3 config syntax). */
async function issue(dir: string, name: string, subject: string, extensions: string[]): Promise<void> {
  const key = join(dir, `${name}.key`);
  await writeKey(key);
  await openssl(['req', '-new', '-key', key, '-subj', subject, '-out', join(dir, `${name}.csr`)]);
  await writeFile(join(dir, `${name}.ext`), extensions.join('\n') + '\n');
  await openssl([
    'x509',
    '-req',
    '-in',
    join(dir, `${name}.csr`),
    '-CA',
    join(dir, 'ca.crt'),
    '-CAkey',
    join(dir, 'ca.key'),
    // A random serial of its own: with -CAcreateserial, certificates issued at the same time share
    // ca.srl, and one of them can read it half written ("Unable to load number from ca.srl").
    '-set_serial',
    `0x${randomBytes(16).toString('hex')}`,
    '-days',
    '2',
    '-sha256',
    '-extfile',
    join(dir, `${name}.ext`),
    '-out',
    join(dir, `${name}.crt`),
  ]);
}

export async function generateCerts(dir: string): Promise<ControlPlaneCerts> {
  await writeKey(join(dir, 'ca.key'));
  await openssl([
    'req',
    '-x509',
    '-new',
    '-key',
    join(dir, 'ca.key'),
    '-subj',
    '/CN=tourniquet-test-ca',
    '-days',
    '2',
    '-sha256',
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
    '-out',
    join(dir, 'ca.crt'),
  ]);
  await Promise.all([
    issue(dir, 'serving', '/CN=kube-apiserver', [
      'basicConstraints=CA:FALSE',
      'keyUsage=critical,digitalSignature,keyEncipherment',
      'extendedKeyUsage=serverAuth',
      'subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:kubernetes.default.svc',
    ]),
    // O=system:masters is the group RBAC always allows: the admin needs no binding of its own.
    issue(dir, 'admin', '/O=system:masters/CN=tourniquet-test-admin', [
      'basicConstraints=CA:FALSE',
      'keyUsage=critical,digitalSignature,keyEncipherment',
      'extendedKeyUsage=clientAuth',
    ]),
    writeKey(join(dir, 'sa.key')),
  ]);
  await openssl(['pkey', '-in', join(dir, 'sa.key'), '-pubout', '-out', join(dir, 'sa.pub')]);
  const [caCert, adminCert, adminKey] = await Promise.all(['ca.crt', 'admin.crt', 'admin.key'].map((f) => readFile(join(dir, f), 'utf8')));
  return {
    caCert: caCert!,
    caCertFile: join(dir, 'ca.crt'),
    servingCertFile: join(dir, 'serving.crt'),
    servingKeyFile: join(dir, 'serving.key'),
    adminCert: adminCert!,
    adminKey: adminKey!,
    serviceAccountKeyFile: join(dir, 'sa.key'),
    serviceAccountPublicKeyFile: join(dir, 'sa.pub'),
  };
}
