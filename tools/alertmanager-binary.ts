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
import { ensureGoBinary, findGoBinary, type GoBinary } from './go-binary';

export const ALERTMANAGER_VERSION = 'v0.31.1';

export class AlertmanagerBinaryError extends Error {
  override name = 'AlertmanagerBinaryError';
}

export const alertmanager: GoBinary = {
  name: 'alertmanager',
  module: 'github.com/prometheus/alertmanager/cmd/alertmanager',
  version: ALERTMANAGER_VERSION,
  override: 'ALERTMANAGER',
  // the version stamp a release build sets (else `alertmanager --version` and its /metrics report none)
  ldflags: `-X github.com/prometheus/common/version.Version=${ALERTMANAGER_VERSION.slice(1)}`,
  neededBy: 'the real-Alertmanager suite',
  setupScript: 'setup:alertmanager',
  buildTime: 'about 2 minutes on 2 cores',
  error: AlertmanagerBinaryError,
};

/** The binary without building anything; throws the set-up hint when it is missing. */
export const findAlertmanager = (): string => findGoBinary(alertmanager);

/** The binary, built when missing. Quick when present. */
export const ensureAlertmanager = (log?: (line: string) => void): string => ensureGoBinary(alertmanager, log);
