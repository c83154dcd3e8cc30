/** Incident links, shared by the worker's notifications and the gateway's Slack app. */
import type { Config } from './config';

/** Incident links point at the Temporal UI's workflow page; undefined without a UI URL. */
export function incidentUrlFor(config: Config): ((incidentId: string) => string) | undefined {
  const base = config.uiUrl;
  if (!base) return undefined;
  return (id) => `${base}/namespaces/${encodeURIComponent(config.temporal.namespace)}/workflows/${encodeURIComponent(id)}`;
}
