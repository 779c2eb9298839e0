import type { BuildOptions } from 'esbuild';

/**
 * The SDK clients' default credential chain (`@aws-sdk/credential-provider-node`: environment, SSO, ini
 * files, process, web identity, container and instance metadata) → lib/bundling/lambda-credentials.ts,
 * its first link only. In Lambda the chain always stops at that link (the runtime sets the execution
 * role's AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN); the rest is ~140 KB of every
 * bundle that a cold start parses for nothing (docs/adr/0014-cold-start.md).
 */
export const LAMBDA_CREDENTIALS_ALIAS = {
  '@aws-sdk/credential-provider-node': './lib/bundling/lambda-credentials.ts',
} as const;

/**
 * The default chain's other links, and what only they use (the STS, SSO and sign-in clients): none of
 * them is in any bundle (test/infra/bundle-budget.test.ts, test/infra/lambda-credentials.test.ts).
 */
export const DEFAULT_CHAIN_PACKAGES = [
  '@aws-sdk/credential-provider-node',
  '@aws-sdk/credential-provider-ini',
  '@aws-sdk/credential-provider-sso',
  '@aws-sdk/credential-provider-process',
  '@aws-sdk/credential-provider-web-identity',
  '@aws-sdk/credential-provider-http',
  '@aws-sdk/credential-provider-login',
  '@smithy/credential-provider-imds',
  '@aws-sdk/nested-clients',
  '@aws-sdk/token-providers',
] as const;

/**
 * How every function is bundled, in esbuild's own terms: the ServiceFunction construct hands these to
 * NodejsFunction, and the cold-start benchmark (bench/cold-start.ts) and the bundle budget
 * (test/infra/bundle-budget.test.ts) build with exactly the same, so what they weigh is what Lambda loads.
 *
 * ESM for Node 22, minified with names kept (stack traces and Powertools read them), source maps for line
 * mapping only (the original sources would triple the zip Lambda has to load), `module` before `main` so
 * ESM builds win and tree shaking works, and the AWS SDK bundled at the version package-lock.json pins
 * instead of the runtime's copy (no externals). Some CommonJS dependencies (the X-Ray SDK under the
 * Powertools tracer) call require(): the banner gives the ESM bundle one.
 *
 * `alias` swaps the SDK's default credential chain for the environment-variable provider the Lambda
 * runtime feeds (LAMBDA_CREDENTIALS_ALIAS). Relative targets resolve from the working directory, which is
 * the repository root for NodejsFunction (its projectRoot) and for bench/cold-start-bundle.ts.
 */
export const FUNCTION_BUNDLING = {
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node22',
  minify: true,
  sourcemap: true,
  sourcesContent: false,
  keepNames: true,
  mainFields: ['module', 'main'],
  external: [],
  banner: { js: "import { createRequire } from 'module'; const require = createRequire(import.meta.url);" },
  alias: LAMBDA_CREDENTIALS_ALIAS,
} as const satisfies BuildOptions;

/** The file name NodejsFunction gives an ESM bundle (its handler is `index.handler`). */
export const BUNDLE_FILE = 'index.mjs';
