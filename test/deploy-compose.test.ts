/**
 * docker-compose.yml as compose itself reads it: `docker-compose config` (Debian's docker-compose,
 * v1; .ci/run installs it) resolves anchors, env files and substitutions, and what comes out is held
 * to the code: the commands run files that exist, every variable given to Tourniquet is one its
 * schemas read (and the values pass them), the ports the health checks and publications name are
 * the ones configured, and only the gateway is reachable from outside the host.
 * There is no container engine here: nothing is started.
 */
import { loadYaml } from '@kubernetes/client-node';
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { projectRoot } from '../tools/temporal-binaries';
import { TEMPORAL_SERVER_VERSION } from '../tools/temporal-server-binary';
import { loadConfig } from '../worker/config';
import { SEARCH_ATTRIBUTES } from '../workflows/search-attributes';
import { envFileVariables, readProjectFile, scriptOf, unreadVariables } from './support/deploy';

interface Service {
  image?: string;
  build?: { context: string };
  command?: string[];
  entrypoint?: string[];
  environment?: Record<string, string>;
  ports?: (string | { published: number | string; target: number; host_ip?: string })[];
  healthcheck?: { test: string[] };
  restart?: string;
  depends_on?: Record<string, { condition: string }>;
  volumes?: string[];
  deploy?: unknown;
  user?: string;
}

const COMPOSE_FILE = join(projectRoot, 'docker-compose.yml');
/** Values for .env's required credentials (compose refuses to start without them). */
const CREDENTIALS = {
  POSTGRES_PASSWORD: 'compose-test-postgres',
  MINIO_ROOT_USER: 'compose-test-root',
  MINIO_ROOT_PASSWORD: 'compose-test-root-password',
  EVIDENCE_ACCESS_KEY: 'compose-test-worker',
  EVIDENCE_SECRET_KEY: 'compose-test-worker-secret',
};
const ONE_SHOTS = ['temporal-schema', 'temporal-namespace', 'evidence-bucket'];
/** Long-running services without a health check, and why. */
const NO_HEALTHCHECK: Record<string, string> = { 'temporal-ui': 'holds no state and nothing waits on it' };

function dockerCompose(): string {
  const found = spawnSync('sh', ['-c', 'command -v docker-compose'], { encoding: 'utf8' });
  const path = found.stdout.trim();
  if (found.status !== 0 || !path) {
    throw new Error(
      "docker-compose is not installed: this suite validates docker-compose.yml with it. Install Debian's package: " +
        'apt-get update && apt-get install -y docker-compose (.ci/run does)',
    );
  }
  return path;
}

let dir: string;
let bin: string;

/** `docker-compose config` in a project directory of the test's own (so no one's real .env is read). */
function composeConfig(env: Record<string, string>): { status: number | null; stdout: string; stderr: string } {
  const run = spawnSync(bin, ['--project-directory', dir, '-f', COMPOSE_FILE, 'config'], {
    encoding: 'utf8',
    // only PATH from the outside: a variable of the developer's must not fill in for a missing one
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env },
    timeout: 60_000,
  });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

let services: Record<string, Service>;
let volumes: Record<string, unknown>;

beforeAll(() => {
  bin = dockerCompose();
  dir = mkdtempSync(join(tmpdir(), 'tourniquet-compose-'));
  copyFileSync(join(projectRoot, 'tourniquet.env.example'), join(dir, 'tourniquet.env'));
  const result = composeConfig(CREDENTIALS);
  if (result.status !== 0) throw new Error(`docker-compose config refused docker-compose.yml:\n${result.stderr}`);
  const config = loadYaml<{ services: Record<string, Service>; volumes?: Record<string, unknown> }>(result.stdout);
  services = config.services;
  volumes = config.volumes ?? {};
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** The host address and port of each publication (compose v1 prints `ip:host:container/proto`, v2 a mapping). */
function publications(service: Service): { hostIp: string; published: string; target: string }[] {
  return (service.ports ?? []).map((p) => {
    if (typeof p !== 'string') return { hostIp: p.host_ip ?? '0.0.0.0', published: String(p.published), target: String(p.target) };
    const parts = p.replace(/\/tcp$/, '').split(':');
    const [target, published, hostIp] = [parts.pop()!, parts.pop() ?? '', parts.join(':') || '0.0.0.0'];
    return { hostIp, published, target };
  });
}

function workers(): [string, Service][] {
  return Object.entries(services).filter(([, s]) => s.command && scriptOf(s.command) === 'worker/main.ts');
}

/** The port a `fetch('http://127.0.0.1:PORT/path')` health check asks. */
function healthcheckUrl(service: Service): URL {
  const match = /fetch\('([^']+)'\)/.exec(service.healthcheck!.test.join(' '));
  return new URL(match![1]!);
}

describe('docker-compose.yml, as docker-compose config reads it', () => {
  it('is read by docker-compose v1 (the oldest compose it supports)', () => {
    const version = execFileSync(bin, ['version', '--short'], { encoding: 'utf8' }).trim();
    expect(version).toMatch(/^1\.\d+\.\d+/);
    expect(Object.keys(services).sort()).toEqual(
      [
        'evidence-bucket',
        'gateway',
        'minio',
        'postgresql',
        'temporal',
        'temporal-namespace',
        'temporal-schema',
        'temporal-ui',
        'worker-1',
        'worker-2',
      ].sort(),
    );
  });

  it.each(Object.keys(CREDENTIALS))('refuses to start without %s, naming it', (name) => {
    const rest = Object.fromEntries(Object.entries(CREDENTIALS).filter(([k]) => k !== name));
    const result = composeConfig(rest);
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain(`set ${name} in .env`);
  });

  it('runs the Temporal server and its tools at the version the cluster tier builds, and nothing unpinned', () => {
    const version = TEMPORAL_SERVER_VERSION.replace(/^v/, '');
    expect(services.temporal!.image).toBe(`temporalio/server:${version}`);
    expect(services['temporal-schema']!.image).toBe(`temporalio/admin-tools:${version}`);
    expect(services['temporal-namespace']!.image).toBe(`temporalio/admin-tools:${version}`);
    const images = Object.values(services).map((s) => s.image ?? '');
    expect(images.filter((i) => i.includes('auto-setup'))).toEqual([]);
    expect(images.filter((i) => !/:[\w.-]+$/.test(i) || i.endsWith(':latest'))).toEqual([]);
  });

  it('publishes only the gateway beyond loopback: Temporal and its UI listen on 127.0.0.1', () => {
    const published = Object.entries(services).flatMap(([name, s]) => publications(s).map((p) => ({ name, ...p })));
    expect(published.filter((p) => p.hostIp !== '127.0.0.1').map((p) => p.name)).toEqual(['gateway']);
    expect(published.map((p) => `${p.name} ${p.hostIp}:${p.published}`).sort()).toEqual(
      ['gateway 0.0.0.0:8787', 'temporal 127.0.0.1:7233', 'temporal-ui 127.0.0.1:8233'].sort(),
    );
  });

  it('restarts every long-running service, checks its health, and retries one-shot jobs only on failure', () => {
    for (const [name, service] of Object.entries(services)) {
      if (ONE_SHOTS.includes(name)) {
        expect(service.restart, name).toBe('on-failure');
        continue;
      }
      expect(service.restart, name).toMatch(/^(unless-stopped|always)$/);
      if (!NO_HEALTHCHECK[name]) expect(service.healthcheck?.test, name).toBeDefined();
    }
    expect(services.temporal!.healthcheck!.test.slice(1, 5)).toEqual(['/opt/temporal-cli/temporal', 'operator', 'cluster', 'health']);
  });

  it('starts in order: schema, server, namespace and bucket, then the workers and the gateway', () => {
    const after = (name: string) =>
      Object.fromEntries(Object.entries(services[name]!.depends_on ?? {}).map(([dep, { condition }]) => [dep, condition]));
    expect(after('temporal-schema')).toEqual({ postgresql: 'service_healthy' });
    expect(after('temporal')).toEqual({ 'temporal-schema': 'service_completed_successfully' });
    expect(after('temporal-namespace')).toEqual({ temporal: 'service_healthy' });
    expect(after('evidence-bucket')).toEqual({ minio: 'service_healthy' });
    for (const [name] of workers()) {
      expect(after(name)).toEqual({
        'temporal-namespace': 'service_completed_successfully',
        'evidence-bucket': 'service_completed_successfully',
      });
    }
    expect(after('gateway')).toEqual({ 'temporal-namespace': 'service_completed_successfully' });
  });

  it('runs two workers as two services (compose v1 ignores deploy.replicas), the same but for their name', () => {
    const list = workers();
    expect(list.map(([name]) => name)).toEqual(['worker-1', 'worker-2']);
    const [[, one], [, two]] = list as [[string, Service], [string, Service]];
    expect(one).toEqual(two);
    expect(Object.values(services).filter((s) => s.deploy !== undefined)).toEqual([]);
  });

  it('runs files that exist, with the one image built from this repository', () => {
    const tourniquet = Object.entries(services).filter(([, s]) => s.build);
    expect(tourniquet.map(([name]) => name).sort()).toEqual(['gateway', 'worker-1', 'worker-2']);
    for (const [name, service] of tourniquet) {
      expect(service.build!.context, name).toBe(dir);
      expect(service.image, name).toBe('tourniquet:local');
      expect(existsSync(join(projectRoot, scriptOf(service.command!))), name).toBe(true);
    }
    expect(scriptOf(services.gateway!.command!)).toBe('gateway/main.ts');
    // the one-shot jobs' scripts and every other file mounted from the repository
    const mounts = Object.values(services).flatMap((s) => (s.volumes ?? []).map((v) => v.split(':')[0]!));
    const fromRepo = mounts.filter((m) => m.startsWith(`${dir}/`)).map((m) => m.slice(dir.length + 1));
    expect(fromRepo.length).toBeGreaterThan(0);
    expect(fromRepo.filter((m) => !existsSync(join(projectRoot, m)))).toEqual([]);
    for (const job of ONE_SHOTS) {
      const script = services[job]!.command![0]!.replace('/scripts/', 'deploy/compose/');
      expect(existsSync(join(projectRoot, script)), job).toBe(true);
    }
  });

  it('gives the workers and the gateway only variables the code reads, with values its schemas accept', () => {
    for (const name of ['worker-1', 'worker-2', 'gateway']) {
      const env = services[name]!.environment ?? {};
      const unread = unreadVariables(Object.keys(env));
      expect(unread, `${name} sets variables no schema reads: ${unread.join(', ')}`).toEqual([]);
      // the real loader, as at start-up: a bad value fails here naming its variable
      expect(() => loadConfig(env), name).not.toThrow();
    }
  });

  it('keeps evidence in the bucket, not a volume on one host', () => {
    for (const [name, service] of workers()) {
      const env = service.environment!;
      expect(env.TOURNIQUET_EVIDENCE_S3_BUCKET, name).toBe(services['evidence-bucket']!.environment!.BUCKET);
      expect(env.TOURNIQUET_EVIDENCE_S3_ENDPOINT, name).toBe('http://minio:9000');
      expect(env.TOURNIQUET_EVIDENCE_S3_FORCE_PATH_STYLE, name).toBe('true');
      // the workers sign in as the bucket's own user, not as MinIO's root
      expect(env.TOURNIQUET_EVIDENCE_S3_ACCESS_KEY_ID, name).toBe(CREDENTIALS.EVIDENCE_ACCESS_KEY);
      expect(env.AWS_ACCESS_KEY_ID, `${name}: AWS_* stay the AWS revoker's identity`).toBeUndefined();
      expect(env.TOURNIQUET_EVIDENCE_S3_ACCESS_KEY_ID, name).not.toBe(CREDENTIALS.MINIO_ROOT_USER);
      expect(env.TOURNIQUET_EVIDENCE_DIR, name).toBeUndefined();
      expect(
        service.volumes!.filter((v) => !v.endsWith(':ro')),
        name,
      ).toEqual([]);
    }
    expect(Object.keys(volumes).sort()).toEqual(['evidence', 'postgres', 'temporal-cli']);
    expect(services.minio!.volumes).toEqual(['evidence:/data:rw']);
  });

  it('health-checks each worker on its own metrics address, reachable by a scraper on the compose network', () => {
    for (const [name, service] of workers()) {
      const config = loadConfig(service.environment!);
      expect(config.metricsHost, name).toBe('0.0.0.0');
      const url = healthcheckUrl(service);
      expect([url.pathname, Number(url.port)], name).toEqual(['/metrics', config.metricsPort]);
    }
  });

  it('health-checks the gateway on /readyz at the port it listens on, which is the one published', () => {
    const config = loadConfig(services.gateway!.environment!);
    expect(config.gateway.host).toBe('0.0.0.0');
    const url = healthcheckUrl(services.gateway!);
    expect([url.pathname, Number(url.port)]).toEqual(['/readyz', config.gateway.port]);
    expect(publications(services.gateway!).map((p) => Number(p.target))).toEqual([config.gateway.port]);
    expect(readProjectFile('gateway/app.ts')).toContain("app.get('/readyz'");
  });

  it("registers every one of Tourniquet's search attributes and sets a retention", () => {
    const script = readProjectFile('deploy/compose/temporal-namespace.sh');
    const listed = /^ATTRIBUTES="([^"]*)"/m.exec(script)![1]!.split(' ');
    expect(listed.sort()).toEqual(SEARCH_ATTRIBUTES.map((k) => k.name).sort());
    expect(services['temporal-namespace']!.environment!.TOURNIQUET_RETENTION).toBe('30d');
  });

  it('has templates for both env files: every credential compose substitutes, and only variables Tourniquet reads', () => {
    const substituted = new Set([...readProjectFile('docker-compose.yml').matchAll(/\$\{([A-Z][A-Z0-9_]*)/g)].map((m) => m[1]!));
    const stack = envFileVariables(readProjectFile('.env.example'));
    expect([...stack.set, ...stack.optional].sort()).toEqual([...substituted].sort());
    expect(stack.set.sort()).toEqual(Object.keys(CREDENTIALS).sort());
    const app = envFileVariables(readProjectFile('tourniquet.env.example'));
    expect(app.set.length).toBeGreaterThan(0);
    const unread = unreadVariables([...app.set, ...app.optional]);
    expect(unread, `tourniquet.env.example names variables no schema reads: ${unread.join(', ')}`).toEqual([]);
  });
});
