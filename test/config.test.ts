import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaultMaxCachedWorkflows } from '../worker/cache-size';
import { ConfigError, loadConfig, temporalAddress, temporalHttpAddress } from '../worker/config';
import { projectRoot } from '../tools/temporal-binaries';

function configError(env: NodeJS.ProcessEnv): ConfigError {
  try {
    loadConfig(env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error('expected the configuration to be rejected');
}

describe('loadConfig', () => {
  it('runs against the embedded dev server with no configuration at all', () => {
    const config = loadConfig({});
    expect(config).toEqual({
      temporal: { namespace: 'default' },
      taskQueue: 'tourniquet',
      dataDir: resolve(projectRoot, '.data'),
      evidenceDir: resolve(projectRoot, '.data/evidence'),
      demoDir: resolve(projectRoot, '.data/demo'),
      policiesPath: resolve(projectRoot, 'config/policies.json'),
      breakGlassPath: resolve(projectRoot, 'config/break-glass.json'),
      breakGlassSweepMs: 300_000,
      gateway: { host: '127.0.0.1', port: 8787 },
      dev: { port: 7233, uiPort: 8233, httpPort: 7243 },
      logLevel: 'info',
      metricsHost: '127.0.0.1',
      metricsPort: 9464,
      decisions: { mode: 'signed' },
      aws: { region: 'us-east-1', maxCloudTrailEvents: 500 },
      codecServer: { host: '127.0.0.1', port: 8888, tokens: [], origins: ['http://127.0.0.1:8233', 'http://localhost:8233'] },
    });
    expect(config.temporal.address).toBeUndefined();
    expect(temporalAddress(config)).toBe('127.0.0.1:7233');
    expect(temporalHttpAddress(config)).toBe('127.0.0.1:7243');
  });

  it("uses a cluster's HTTP API only when named, and not at all when turned off", () => {
    expect(temporalHttpAddress(loadConfig({ TEMPORAL_ADDRESS: 'temporal:7233' }))).toBeUndefined();
    expect(temporalHttpAddress(loadConfig({ TEMPORAL_ADDRESS: 'temporal:7233', TEMPORAL_HTTP_ADDRESS: 'temporal:7243' }))).toBe(
      'temporal:7243',
    );
    expect(temporalHttpAddress(loadConfig({ TEMPORAL_HTTP_ADDRESS: 'off' }))).toBeUndefined();
    expect(temporalHttpAddress(loadConfig({ TOURNIQUET_DEV_HTTP_PORT: '9243' }))).toBe('127.0.0.1:9243');
    expect(() => loadConfig({ TEMPORAL_HTTP_ADDRESS: 'http://temporal:7243' })).toThrow(/TEMPORAL_HTTP_ADDRESS/);
  });

  it('reads AWS settings for leaked AWS keys, refusing a region that is not one', () => {
    const config = loadConfig({
      TOURNIQUET_AWS_REGION: 'eu-west-3',
      TOURNIQUET_AWS_ENDPOINT_URL: 'http://127.0.0.1:5000',
      TOURNIQUET_AWS_CLOUDTRAIL_MAX_EVENTS: '50',
    });
    expect(config.aws).toEqual({ region: 'eu-west-3', endpoint: 'http://127.0.0.1:5000', maxCloudTrailEvents: 50 });
    expect(() => loadConfig({ TOURNIQUET_AWS_REGION: 'Europe' })).toThrow(/TOURNIQUET_AWS_REGION/);
    expect(() => loadConfig({ TOURNIQUET_AWS_CLOUDTRAIL_MAX_EVENTS: '0' })).toThrow(/TOURNIQUET_AWS_CLOUDTRAIL_MAX_EVENTS/);
  });

  it('reads who may sign decisions, and the explicit unauthenticated mode; nothing else turns signing off', () => {
    const config = loadConfig({
      TOURNIQUET_ALLOWED_SIGNERS: 'keys/allowed',
      TOURNIQUET_SLACK_GATEWAY_KEY: 'gw.key',
      TOURNIQUET_SLACK_GATEWAY_PUBLIC_KEY: 'ssh-ed25519 AAAA',
    });
    expect(config.decisions).toEqual({
      mode: 'signed',
      allowedSignersPath: resolve('keys/allowed'),
      slackGatewayKeyPath: resolve('gw.key'),
      slackGatewayPublicKey: 'ssh-ed25519 AAAA',
    });
    expect(loadConfig({ TOURNIQUET_DECISIONS: 'unauthenticated' }).decisions.mode).toBe('unauthenticated');
    expect(() => loadConfig({ TOURNIQUET_DECISIONS: 'off' })).toThrow(/TOURNIQUET_DECISIONS/);
  });

  it('uses the configured address, namespace and queue', () => {
    const config = loadConfig({ TEMPORAL_ADDRESS: 'temporal.prod:7233', TEMPORAL_NAMESPACE: 'sec', TOURNIQUET_TASK_QUEUE: 'soar' });
    expect(temporalAddress(config)).toBe('temporal.prod:7233');
    expect(config.temporal).toEqual({ address: 'temporal.prod:7233', namespace: 'sec' });
    expect(config.taskQueue).toBe('soar');
  });

  it('follows the dev port when no address is set', () => {
    expect(temporalAddress(loadConfig({ TOURNIQUET_DEV_PORT: '17233' }))).toBe('127.0.0.1:17233');
  });

  it('treats empty variables as unset', () => {
    const config = loadConfig({ TEMPORAL_ADDRESS: '', TEMPORAL_NAMESPACE: '', LOG_LEVEL: '' });
    expect(config.temporal).toEqual({ namespace: 'default' });
    expect(config.logLevel).toBe('info');
  });

  it('places evidence and demo data under the data directory unless told otherwise', () => {
    const config = loadConfig({ TOURNIQUET_DATA_DIR: '/var/lib/tq', TOURNIQUET_DEMO_DIR: '/tmp/demo' });
    expect(config.evidenceDir).toBe('/var/lib/tq/evidence');
    expect(config.demoDir).toBe('/tmp/demo');
  });

  it('uses the S3 evidence store when TOURNIQUET_EVIDENCE_S3_BUCKET is set, with its settings and defaults', () => {
    expect(loadConfig({})).not.toHaveProperty('evidenceS3');
    expect(loadConfig({ TOURNIQUET_EVIDENCE_S3_BUCKET: 'evidence' }).evidenceS3).toEqual({
      bucket: 'evidence',
      region: 'us-east-1',
      forcePathStyle: false,
      retentionMode: 'COMPLIANCE',
    });
    const minio = loadConfig({
      TOURNIQUET_EVIDENCE_S3_BUCKET: 'tourniquet-evidence',
      TOURNIQUET_EVIDENCE_S3_ENDPOINT: 'http://minio:9000',
      TOURNIQUET_EVIDENCE_S3_REGION: 'eu-west-1',
      TOURNIQUET_EVIDENCE_S3_PREFIX: 'tourniquet/',
      TOURNIQUET_EVIDENCE_S3_FORCE_PATH_STYLE: 'true',
      TOURNIQUET_EVIDENCE_S3_RETENTION_DAYS: '365',
      TOURNIQUET_EVIDENCE_S3_RETENTION_MODE: 'GOVERNANCE',
    });
    expect(minio.evidenceS3).toEqual({
      bucket: 'tourniquet-evidence',
      endpoint: 'http://minio:9000',
      region: 'eu-west-1',
      prefix: 'tourniquet/',
      forcePathStyle: true,
      retentionDays: 365,
      retentionMode: 'GOVERNANCE',
    });
    expect(() => loadConfig({ TOURNIQUET_EVIDENCE_S3_BUCKET: 'Evidence_Bucket' })).toThrow(/TOURNIQUET_EVIDENCE_S3_BUCKET/);
    expect(() => loadConfig({ TOURNIQUET_EVIDENCE_S3_BUCKET: 'evidence', TOURNIQUET_EVIDENCE_S3_RETENTION_DAYS: '0' })).toThrow(
      /TOURNIQUET_EVIDENCE_S3_RETENTION_DAYS/,
    );
    expect(() => loadConfig({ TOURNIQUET_EVIDENCE_S3_BUCKET: 'evidence', TOURNIQUET_EVIDENCE_S3_RETENTION_MODE: 'WORM' })).toThrow(
      /TOURNIQUET_EVIDENCE_S3_RETENTION_MODE/,
    );
    // a bucket's other settings without the bucket would silently keep evidence on local disk
    expect(() => loadConfig({ TOURNIQUET_EVIDENCE_S3_ENDPOINT: 'http://minio:9000' })).toThrow(
      /used only with TOURNIQUET_EVIDENCE_S3_BUCKET/,
    );
  });

  it('takes the break-glass catalogue from TOURNIQUET_BREAKGLASS, else the shipped file', () => {
    expect(loadConfig({ TOURNIQUET_BREAKGLASS: '/etc/tourniquet/breakglass.json' }).breakGlassPath).toBe('/etc/tourniquet/breakglass.json');
    expect(loadConfig({}).breakGlassPath).toBe(resolve(projectRoot, 'config/break-glass.json'));
  });

  it('sweeps break-glass grants every TOURNIQUET_BREAKGLASS_SWEEP, or not at all when off', () => {
    expect(loadConfig({ TOURNIQUET_BREAKGLASS_SWEEP: '30s' }).breakGlassSweepMs).toBe(30_000);
    expect(loadConfig({ TOURNIQUET_BREAKGLASS_SWEEP: '2h' }).breakGlassSweepMs).toBe(7_200_000);
    expect(loadConfig({ TOURNIQUET_BREAKGLASS_SWEEP: 'off' })).not.toHaveProperty('breakGlassSweepMs');
    expect(configError({ TOURNIQUET_BREAKGLASS_SWEEP: '5 minutes' }).message).toContain(
      'a duration like 30s, 5m or 1h, or off\n  → at TOURNIQUET_BREAKGLASS_SWEEP',
    );
  });

  it('sizes the sticky cache from TOURNIQUET_WORKER_MAX_CACHED_WORKFLOWS, or leaves it to the worker', () => {
    expect(loadConfig({ TOURNIQUET_WORKER_MAX_CACHED_WORKFLOWS: '5000' }).maxCachedWorkflows).toBe(5000);
    expect(loadConfig({ TOURNIQUET_WORKER_MAX_CACHED_WORKFLOWS: '0' }).maxCachedWorkflows).toBe(0);
    expect(loadConfig({})).not.toHaveProperty('maxCachedWorkflows');
    expect(configError({ TOURNIQUET_WORKER_MAX_CACHED_WORKFLOWS: '1' }).message).toContain(
      'must be 0 (no cache) or at least 2\n  → at TOURNIQUET_WORKER_MAX_CACHED_WORKFLOWS',
    );
    expect(configError({ TOURNIQUET_WORKER_MAX_CACHED_WORKFLOWS: 'lots' }).message).toContain('TOURNIQUET_WORKER_MAX_CACHED_WORKFLOWS');
  });

  it('sizes the default cache to keep a worker under 1 GiB, smaller on a smaller heap, never below 10', () => {
    const GiB = 2 ** 30;
    expect(defaultMaxCachedWorkflows(4 * GiB)).toBe(defaultMaxCachedWorkflows(GiB));
    expect(defaultMaxCachedWorkflows(GiB)).toBeGreaterThan(defaultMaxCachedWorkflows(0.75 * GiB));
    expect(defaultMaxCachedWorkflows(0.25 * GiB)).toBe(10);
  });

  it('turns TLS on when an API key is set', () => {
    expect(loadConfig({ TEMPORAL_API_KEY: 'k' }).temporal).toEqual({ namespace: 'default', apiKey: 'k', tls: {} });
  });

  it('turns TLS on for client certificates, and lets TEMPORAL_TLS=false turn it off', () => {
    const mtls = loadConfig({ TEMPORAL_TLS_CERT: '/c.pem', TEMPORAL_TLS_KEY: '/k.pem', TEMPORAL_TLS_SERVER_NAME: 'tmprl' });
    expect(mtls.temporal.tls).toEqual({ certPath: '/c.pem', keyPath: '/k.pem', serverName: 'tmprl' });
    expect(loadConfig({ TEMPORAL_API_KEY: 'k', TEMPORAL_TLS: 'false' }).temporal.tls).toBeUndefined();
    expect(loadConfig({ TEMPORAL_TLS: 'yes' }).temporal.tls).toEqual({});
    expect(loadConfig({}).temporal.tls).toBeUndefined();
  });

  it('rejects a client certificate without its key, naming the variable', () => {
    expect(configError({ TEMPORAL_TLS_CERT: '/c.pem' }).message).toMatchInlineSnapshot(`
      "invalid configuration:
      ✖ TEMPORAL_TLS_CERT and TEMPORAL_TLS_KEY go together: set both or neither
        → at TEMPORAL_TLS_CERT"
    `);
    expect(configError({ TEMPORAL_TLS_KEY: '/k.pem' }).message).toContain('TEMPORAL_TLS_CERT and TEMPORAL_TLS_KEY go together');
  });

  it('rejects an address that is not host:port, naming TEMPORAL_ADDRESS', () => {
    expect(configError({ TEMPORAL_ADDRESS: 'nohostport' }).message).toMatchInlineSnapshot(`
      "invalid configuration:
      ✖ must be host:port (an IPv6 host in brackets: [::1]:7233)
        → at TEMPORAL_ADDRESS"
    `);
    expect(configError({ TEMPORAL_ADDRESS: 'https://temporal.prod:7233' }).message).toContain('TEMPORAL_ADDRESS');
  });

  it('rejects an unknown log level, naming LOG_LEVEL', () => {
    expect(configError({ LOG_LEVEL: 'verbose' }).message).toMatchInlineSnapshot(`
      "invalid configuration:
      ✖ Invalid option: expected one of "fatal"|"error"|"warn"|"info"|"debug"|"trace"|"silent"
        → at LOG_LEVEL"
    `);
  });

  it('rejects bad booleans and ports, naming each variable', () => {
    const message = configError({ TEMPORAL_TLS: 'maybe', TOURNIQUET_GATEWAY_PORT: '70000' }).message;
    expect(message).toContain('→ at TEMPORAL_TLS');
    expect(message).toContain('→ at TOURNIQUET_GATEWAY_PORT');
  });

  it('accepts a bracketed IPv6 address', () => {
    expect(temporalAddress(loadConfig({ TEMPORAL_ADDRESS: '[::1]:7233' }))).toBe('[::1]:7233');
  });

  it('ignores unrelated environment variables', () => {
    expect(loadConfig({ PATH: '/usr/bin', HOME: '/root' }).taskQueue).toBe('tourniquet');
  });
});
