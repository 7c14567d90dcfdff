import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['**/*.test.ts'],
    exclude: ['node_modules/**', '.flowtrace/**', '.cache/**'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // The embedded engine and the real brokers are heavy: keep parallelism to the two cores.
    pool: 'forks',
    poolOptions: { forks: { maxForks: 2, minForks: 1 } },
  },
});
