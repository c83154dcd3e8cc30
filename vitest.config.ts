import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    reporters: ['default', './test/support/summary-reporter.ts'],
    pool: 'forks',
    // Integration suites share one dev server; two at a time is what a loaded 2-core machine takes.
    maxWorkers: 2,
    // Safety nets, not speed checks: suites spawn real workers, CLIs and control planes on a
    // 2-core machine that other suites load; a hung test still fails, three minutes later.
    testTimeout: 180_000,
    hookTimeout: 180_000,
  },
});
