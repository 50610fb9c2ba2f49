import { defineConfig } from 'vitest/config';

/**
 * `npm test`: every test but the long end-to-end runs in test/e2e/ (`npm run test:e2e`, vitest.e2e.config.ts).
 * No test waits on the clock for something to happen: each waits for the event itself, with a
 * deadline far beyond what a loaded machine needs, so the timeouts here only catch a hang.
 */
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['test/e2e/**', '**/node_modules/**'],
    // Physics and worker-thread tests are CPU-bound; the CI machines have 2 cores.
    pool: 'forks',
    maxWorkers: 2,
    // Hang detectors, not speed goals (those are in bench/): the slowest test takes ~15 s on an idle
    // 2-core machine, and a machine shared with other jobs can make it ten times slower.
    testTimeout: 600_000,
    hookTimeout: 600_000,
  },
});
