/**
 * Shorter stack traces inside the workflow sandbox, set once per worker (worker/worker.ts preloads
 * this module, before the SDK freezes the sandbox's built-ins; nothing else imports it).
 *
 * The SDK's promise hook captures a source-mapped stack for every promise created in workflow code,
 * so that the `__stack_trace` query can show where a run waits: V8 walks up to `stackTraceLimit`
 * frames (10 by default) and the SDK maps each through the bundle's source map. A demo incident
 * creates about 200 such promises. Replaying a recorded demo incident (the workflow's whole work
 * for one incident, as the worker does it live) took 66–80 ms of CPU with 10 frames, 57–63 with 3
 * and 53–60 with none (docs/development.md, issue 15). Three keep what these stacks are read for:
 * the query still names where a waiting run waits, its parent promises' stacks linked in
 * (test/incident-lifecycle.test.ts), and an error thrown in workflow code still shows its frame and
 * two callers in the worker's log. Failures carry no stack to history either way.
 */
export const WORKFLOW_STACK_FRAMES = 3;

// Only in the sandbox, whose context the SDK gives a module cache of its own: in Node's own realm
// (a test importing this by mistake) it would shorten every stack of the process.
if ('__webpack_module_cache__' in globalThis) {
  (Error as ErrorConstructor & { stackTraceLimit: number }).stackTraceLimit = WORKFLOW_STACK_FRAMES;
}
