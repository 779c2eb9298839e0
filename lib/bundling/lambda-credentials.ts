import { type FromEnvInit, fromEnv } from '@aws-sdk/credential-provider-env';

/**
 * What a bundled function gets in place of `@aws-sdk/credential-provider-node` (FUNCTION_BUNDLING's
 * `alias`, lib/bundling.ts): the SDK's default credential chain cut down to its first link, the
 * environment variables. The Lambda runtime always sets AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and
 * AWS_SESSION_TOKEN to the execution role's credentials, and the full chain returns exactly those in
 * Lambda, so nothing changes there. What goes is the rest of the chain (SSO, ini files, process, web
 * identity, the container and instance metadata services, and the STS/SSO clients they carry): about
 * 140 KB of every bundle, parsed on every cold start and never used (docs/adr/0014-cold-start.md).
 *
 * Missing variables reject with the SDK's own CredentialsProviderError ("Unable to find environment
 * variable credentials."), the error an SDK call fails with when no credentials are found, on the first
 * call that needs them. Only the bundles see this module: local mode, the tests and the CLIs run the
 * sources and keep the full chain.
 *
 * The SDK clients import only `defaultProvider` from the package it stands in for; an import of anything
 * else fails the build (esbuild checks ESM imports against the exports), not the function at run time.
 */
export const defaultProvider = (init: FromEnvInit = {}): ReturnType<typeof fromEnv> => fromEnv(init);
