import type { FunctionKind } from './cold-start-bundle.ts';

/** 1 KB here is 1,024 bytes. */
export const KB = 1024;

/**
 * The issue's targets: every HTTP function at most 300 KB and its module init at most 1.6 × an empty
 * handler's; the worker (publish-pin) at most 600 KB. bench/cold-start.ts reports each function against them.
 * They are out of reach while a function bundles the AWS SDK v3 DynamoDB client and the Powertools tracer.
 * Measured with these bundling options, before any pinrelay code: the DynamoDB document client alone is
 * 216 KB (@smithy/core 119, the client 31, @aws-sdk/core 23; 356 KB with the SDK's default credential
 * chain, which lib/bundling.ts swaps for the environment provider); the Powertools tracer 132 KB (the
 * CommonJS X-Ray SDK, semver and cls-hooked, none of which tree-shakes) and ~2.5 × an empty handler's init
 * on its own; the two with Powertools' logger and metrics 380 KB and ~4 × (docs/adr/0014-cold-start.md).
 */
export const COLD_START_TARGETS: Readonly<Record<FunctionKind, { readonly bytes: number; readonly initRatio?: number } | undefined>> = {
  http: { bytes: 300 * KB, initRatio: 1.6 },
  worker: { bytes: 600 * KB },
  other: undefined,
};

/**
 * What test/infra/bundle-budget.test.ts enforces: just above what each kind weighs today, so any import
 * that drags in code a function does not use (a barrel, a schema module, another SDK client, all of zod)
 * fails the suite. Lower them when a bundle gets lighter; never raise one without saying what it buys.
 */
export const COLD_START_BUDGETS: Readonly<Record<FunctionKind, number>> = {
  http: 600 * KB,
  worker: 645 * KB,
  other: 585 * KB,
};
