import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 30_000,
    // Tests start real servers and real engine threads; on a 2-core machine running
    // files one at a time keeps their loads from skewing each other.
    fileParallelism: false,
    reporters: ['default', './test/summary-reporter.ts'],
    // Engines and child processes run dist/: refuse to test a build older than the sources.
    globalSetup: ['./test/stale-dist.ts'],
  },
});
