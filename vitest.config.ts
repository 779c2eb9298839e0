import { defineConfig } from 'vitest/config';

/**
 * Four tiers, one command (`npm test`):
 * - unit: domain + adapters with aws-sdk-client-mock and injected clocks; no I/O.
 * - infra: CDK assertions + cdk-nag on the synthesized stacks (bundling skipped).
 * - integration: real emulators (DynamoDB Local, fauxqs) + in-repo stand-ins, started once in globalSetup.
 * - browser: the web console in Debian's chromium (playwright-core) against local mode on those emulators.
 */
export default defineConfig({
  test: {
    setupFiles: ['test/setup.ts'],

    projects: [
      {
        extends: true,
        // Pure and mock-based: one shared module graph is ~3x faster than a fresh one per file.
        test: { name: 'unit', include: ['test/unit/**/*.test.ts'], testTimeout: 10_000, isolate: false },
      },
      {
        extends: true,
        test: { name: 'infra', include: ['test/infra/**/*.test.ts'], testTimeout: 120_000, hookTimeout: 120_000 },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          globalSetup: ['test/integration/global-setup.ts'],
          testTimeout: 60_000,
          hookTimeout: 60_000,
          // The emulators are shared: keep files from stepping on each other's CPU on a 2-core machine.
          fileParallelism: false,
        },
      },
      {
        extends: true,
        test: {
          name: 'browser',
          include: ['test/browser/**/*.test.ts'],
          // The integration tier's emulators (started and stopped by PID), then the console build and chromium check.
          globalSetup: ['test/integration/global-setup.ts', 'test/browser/global-setup.ts'],
          testTimeout: 60_000,
          hookTimeout: 180_000,
          fileParallelism: false,
          // After the other tiers: on a 2-core machine a page waiting for live updates must not race the load tests.
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
