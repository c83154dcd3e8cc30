/**
 * The Dockerfile, read as a person reviewing it would (there is no container engine here to build
 * it): its Node release satisfies every installed package's `engines`, it runs as a numeric non-root
 * user who owns the data directory, and no secret or local tool cache goes into the build context.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { projectRoot } from '../tools/temporal-binaries';
import { readProjectFile, scriptOf } from './support/deploy';

/**
 * npm's own range semantics: the `semver` package, installed here as a dependency of jsonwebtoken
 * (through @slack/oauth). Not a dependency of ours: required by name, with the two calls typed.
 */
const semver = createRequire(import.meta.url)('semver') as {
  coerce(version: string): { version: string } | null;
  satisfies(version: string, range: string): boolean;
};

const dockerfile = readProjectFile('Dockerfile');
const instructions = dockerfile
  .split('\n')
  .filter((line) => /^[A-Z]+\s/.test(line))
  .map((line) => {
    const [keyword, ...rest] = line.split(/\s+/);
    return { keyword: keyword!, args: rest.join(' ') };
  });
const all = (keyword: string) => instructions.filter((i) => i.keyword === keyword).map((i) => i.args);

/** name@version → engines.node of every package under node_modules, nested ones included. */
function nodeEngines(dir = join(projectRoot, 'node_modules'), found = new Map<string, string>()): Map<string, string> {
  for (const entry of readdirSync(dir)) {
    if (entry.startsWith('.')) continue;
    const path = join(dir, entry);
    if (entry.startsWith('@')) {
      nodeEngines(path, found);
      continue;
    }
    const manifest = join(path, 'package.json');
    if (existsSync(manifest)) {
      const pkg = JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string; version?: string; engines?: { node?: string } };
      if (pkg.engines?.node) found.set(`${pkg.name}@${pkg.version}`, pkg.engines.node);
    }
    if (existsSync(join(path, 'node_modules'))) nodeEngines(join(path, 'node_modules'), found);
  }
  return found;
}

describe('the Dockerfile', () => {
  const from = all('FROM');

  it('builds on an official Node image whose oldest release satisfies every dependency’s engines', () => {
    expect(from).toHaveLength(1);
    const tag = /^node:(\d+(?:\.\d+){0,2})(-[a-z]+)?$/.exec(from[0]!);
    expect(tag, from[0]).not.toBeNull();
    // node:24-slim may be any 24.x: the oldest, 24.0.0, must already do
    const oldest = semver.coerce(tag![1]!)!.version;
    const engines = nodeEngines();
    expect(engines.size).toBeGreaterThan(50);
    const refused = [...engines]
      .filter(([, range]) => !semver.satisfies(oldest, range))
      .map(([pkg, range]) => `${pkg} wants node ${range}`);
    expect(refused).toEqual([]);
    // and the one that started it all (issue 14): content-type 3.x declares node >= 22
    expect([...engines.keys()].some((pkg) => pkg.startsWith('content-type@3'))).toBe(true);
  });

  it('runs as a numeric non-root user (Kubernetes’ runAsNonRoot cannot check a name) who owns /data', () => {
    const users = all('USER');
    expect(users).toHaveLength(1);
    const [uid, gid] = users[0]!.split(':');
    expect(Number(uid)).toBeGreaterThan(0);
    expect(all('RUN').some((run) => run.includes(`chown ${uid}:${gid} /data`))).toBe(true);
    expect(all('ENV')).toContain('TOURNIQUET_DATA_DIR=/data');
    // the USER line comes after every RUN: nothing installed later runs as root
    const lastRun = instructions.map((i) => i.keyword).lastIndexOf('RUN');
    expect(instructions.findIndex((i) => i.keyword === 'USER')).toBeGreaterThan(lastRun);
  });

  it('installs production dependencies from the lock file and runs the worker by default', () => {
    expect(all('RUN').some((run) => run.startsWith('npm ci --omit=dev'))).toBe(true);
    const cmd = JSON.parse(all('CMD')[0]!) as string[];
    expect(scriptOf(cmd)).toBe('worker/main.ts');
    expect(existsSync(join(projectRoot, scriptOf(cmd)))).toBe(true);
  });

  it('keeps secrets, local tools and the host’s node_modules out of the build context', () => {
    const ignored = readProjectFile('.dockerignore')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith('#'));
    for (const entry of ['.env', '.env.*', 'tourniquet.env', 'node_modules', '.tools', '.data', '.git']) expect(ignored).toContain(entry);
  });
});
