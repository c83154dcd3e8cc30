/**
 * Kubernetes object names in playbook params, as the API server validates them. Functions, not
 * schemas: each playbook builds its params on first use (workflows/lazy.ts).
 */
import { z } from 'zod';

/** RFC 1123 label: namespaces */
export const namespaceName = () => z.string().regex(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/, 'a Kubernetes namespace name (RFC 1123 label)');

/** RFC 1123 subdomain: pods, deployments and most other object names */
export const objectName = (kind: string) =>
  z
    .string()
    .max(253)
    .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/, `a Kubernetes ${kind} name (RFC 1123 subdomain)`);
