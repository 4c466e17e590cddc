import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    // Dawn runs in child processes (one device per test file); worker threads share one
    // native instance badly.
    pool: 'forks',
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
