import { defineConfig } from 'vitest/config';

/**
 * `npm run test:e2e`: the long end-to-end runs (the demo as a user runs it, the transfer benchmark
 * on a tiny budget, the packed package installed into another project). `.ci/run` runs them after
 * `npm test`.
 */
export default defineConfig({
  test: {
    include: ['test/e2e/**/*.test.ts'],
    pool: 'forks',
    maxWorkers: 2,
    // Hang detectors: the slowest run (demo --quick on navigation) takes ~1 min on an idle 2-core machine.
    testTimeout: 1_200_000,
    hookTimeout: 1_200_000,
  },
});
