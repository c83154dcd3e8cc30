/**
 * Finds Prometheus Alertmanager for the suite that points a real one at the gateway, building it
 * when missing. No release binary can be downloaded on this project's machines, so it is built from
 * the Go module proxy (`go install …/cmd/alertmanager@<version>`) into the git-ignored
 * `.tools/alertmanager/<version>/`, once per machine, as kube-apiserver is (./kube-binaries.ts).
 *
 * The version: v0.31.1. Newer releases (v0.35.0) do not build as a module: their web UI assets
 * (ui/app/dist) are generated and left out of the module zip. v0.31.1's webhook payload is the
 * same version 4. Looked up via ALERTMANAGER, then `.tools/alertmanager/<version>/` (not PATH: the
 * suite checks this version's behaviour).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { isExecutable, onPath } from './executables';
import { projectRoot } from './temporal-binaries';

export const ALERTMANAGER_VERSION = 'v0.31.1';
const MODULE = 'github.com/prometheus/alertmanager/cmd/alertmanager';

export const alertmanagerToolsDir = (): string => join(projectRoot, '.tools', 'alertmanager', ALERTMANAGER_VERSION);

export class AlertmanagerBinaryError extends Error {
  override name = 'AlertmanagerBinaryError';
}

/** The binary without building anything; throws the set-up hint when it is missing. */
export function findAlertmanager(): string {
  const override = process.env.ALERTMANAGER;
  if (override) {
    if (!isExecutable(override)) throw new AlertmanagerBinaryError(`ALERTMANAGER=${override} is not an executable file`);
    return override;
  }
  const local = join(alertmanagerToolsDir(), 'alertmanager');
  if (isExecutable(local)) return local;
  throw new AlertmanagerBinaryError(
    `the real-Alertmanager suite needs alertmanager ${ALERTMANAGER_VERSION}, not found via ALERTMANAGER or in ` +
      `${alertmanagerToolsDir()}. Run \`npm run setup:alertmanager\` (CI does this in .ci/run).`,
  );
}

function build(log: (line: string) => void): void {
  const go = process.env.GO ?? onPath('go');
  if (!go)
    throw new AlertmanagerBinaryError('cannot build alertmanager: no `go` on PATH. Install Go, or set ALERTMANAGER to an existing binary.');
  const outDir = alertmanagerToolsDir();
  const partial = join(outDir, `partial-${process.pid}`);
  mkdirSync(partial, { recursive: true });
  log(
    `building alertmanager ${ALERTMANAGER_VERSION} from the Go module proxy into ${outDir} (once per machine; about 2 minutes on 2 cores with an empty Go build cache)`,
  );
  const started = Date.now();
  try {
    // the version stamp a release build sets (else `alertmanager --version` and its /metrics report none)
    const ldflags = `-s -w -X github.com/prometheus/common/version.Version=${ALERTMANAGER_VERSION.slice(1)}`;
    execFileSync(go, ['install', '-trimpath', '-ldflags', ldflags, `${MODULE}@${ALERTMANAGER_VERSION}`], {
      cwd: outDir,
      stdio: 'inherit',
      // -mod=mod: its go.mod is taken as published; GOTOOLCHAIN=local: never fetch another Go
      env: { ...process.env, GOBIN: partial, GOFLAGS: '-mod=mod', GOTOOLCHAIN: 'local', CGO_ENABLED: '0' },
    });
    // Renamed only when complete, so an interrupted build never leaves a binary that looks usable.
    renameSync(join(partial, 'alertmanager'), join(outDir, 'alertmanager'));
  } catch (err) {
    throw new AlertmanagerBinaryError(
      `go install of alertmanager ${ALERTMANAGER_VERSION} failed (${(err as Error).message}). Check that the Go module proxy is reachable, or set ALERTMANAGER.`,
      { cause: err },
    );
  } finally {
    rmSync(partial, { recursive: true, force: true });
  }
  log(`built alertmanager in ${((Date.now() - started) / 1000).toFixed(0)} s`);
}

/** The binary, built when missing. Quick when present. */
export function ensureAlertmanager(log: (line: string) => void = () => {}): string {
  try {
    return findAlertmanager();
  } catch (err) {
    if (!(err instanceof AlertmanagerBinaryError) || process.env.ALERTMANAGER) throw err;
  }
  build(log);
  return findAlertmanager();
}
