/**
 * A value built on its first use, then kept. Every module of the workflow bundle is evaluated
 * again for each new workflow (only worker/worker.ts SHARED_WORKFLOW_MODULES are shared, and zod
 * schemas cannot be: the SDK deep-freezes shared modules, see workflows/shared-libraries.ts), so a
 * zod schema built at a module's top level costs every incident, tens of microseconds per zod
 * instance, whether or not the incident uses it: the playbooks it does not run, the commands and
 * cancels it never receives (issue 15). Built on first use instead, still once per workflow and
 * from nothing but its own code, so deterministic as before.
 */
export function lazy<T>(build: () => T): () => T {
  let built: { value: T } | undefined;
  return () => (built ??= { value: build() }).value;
}
