import { defineConfig } from 'vitest/config';

/**
 * Test files that start OpenTelemetry in their own process: its providers are process-wide
 * globals, so these must not share a worker with other files.
 */
const OWN_PROCESS = [
  'test/gateway/otlp.test.ts',
  'test/gateway/tracing.test.ts',
  'test/telemetry/request-logs.test.ts',
  'test/telemetry/span-tags.test.ts',
];

// Every suite lives under test/. Files run in separate processes (forks) so a test that kills a
// real server cannot disturb another file; two at a time, one per core. Most files share their
// worker's module cache (`isolate: false`): each worker imports the sources once instead of once
// per file, which was a sixth of the suite's time. Tests build everything from factories, so no
// state is left behind in modules — except OpenTelemetry's globals (OWN_PROCESS).
export default defineConfig({
  test: {
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 180_000,
    teardownTimeout: 60_000,
    globalSetup: ['test/support/global-setup.ts'],
    reporters: ['default'],
    projects: [
      {
        extends: true,
        test: { name: 'shared', include: ['test/**/*.test.ts'], exclude: OWN_PROCESS, isolate: false },
      },
      { extends: true, test: { name: 'isolated', include: OWN_PROCESS, isolate: true } },
    ],
  },
});
