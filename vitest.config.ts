import { defineConfig } from 'vitest/config';

// Every suite lives under test/. Files run in separate processes (forks) so a test that kills a
// real server cannot disturb another file; two at a time, one per core.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 180_000,
    teardownTimeout: 60_000,
    globalSetup: ['test/support/global-setup.ts'],
    reporters: ['default'],
  },
});
