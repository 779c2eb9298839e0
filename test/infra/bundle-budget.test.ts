import { beforeAll, describe, expect, it } from 'vitest';
import type { Access } from '../../definitions/access.ts';
import { FUNCTIONS } from '../../definitions/functions.ts';
import { COLD_START_BUDGETS, KB } from '../../bench/cold-start-budgets.ts';
import { type Bundle, bundleFunctions, kindOf } from '../../bench/cold-start-bundle.ts';
import { DEFAULT_CHAIN_PACKAGES } from '../../lib/bundling.ts';

/**
 * Cold start is bundle size: every function is bundled here exactly as it is deployed (lib/bundling.ts)
 * and must stay within its kind's byte budget (bench/cold-start-budgets.ts). What this protects: each
 * function imports only what it uses — its own SDK clients and adapters (lambdas/common/deps/,
 * lambdas/common/clients/), zod member by member (a namespace handed around as a value keeps all of it),
 * no OpenAPI generator outside the route that serves the OpenAPI document, and no link of the SDK's default
 * credential chain but the environment one (lib/bundling/lambda-credentials.ts). Init time is measured by
 * bench/cold-start.ts, not gated here. Sizes only: one in-memory esbuild run for all the functions.
 */

let bundles: Map<string, Bundle>;
beforeAll(async () => {
  bundles = await bundleFunctions(FUNCTIONS.map((d) => d.name));
});
const bundleOf = (name: string) => bundles.get(name) as Bundle;

/** The SDK clients an access kind is exercised with (definitions/access.ts); the settings kinds need none. */
function clientsFor(access: Access): string[] {
  if (access.startsWith('jobs:') || access.startsWith('tenants:')) return ['@aws-sdk/client-dynamodb'];
  if (access.startsWith('secrets:') || access === 'pinterest:call') return ['@aws-sdk/client-secrets-manager'];
  if (access.endsWith('-queue:send')) return ['@aws-sdk/client-sqs'];
  if (access === 'events:put') return ['@aws-sdk/client-eventbridge'];
  // Subscriptions live in the tenants table and are EventBridge connections, destinations and rules.
  if (access === 'webhooks:manage') return ['@aws-sdk/client-dynamodb', '@aws-sdk/client-eventbridge'];
  return [];
}

const describeBundle = (b: Bundle) =>
  `${(b.bytes / KB).toFixed(0)} KB; largest: ${b.contributors
    .slice(0, 6)
    .map((c) => `${c.path} ${(c.bytes / KB).toFixed(0)} KB`)
    .join(', ')}`;

describe('function bundles stay within their cold-start budget', () => {
  it.each(FUNCTIONS.map((d) => [d.name, kindOf(d)] as const))('%s (%s) is within its byte budget', (name, kind) => {
    const bundle = bundleOf(name);
    expect(bundle.bytes, `${name}: ${describeBundle(bundle)}`).toBeLessThanOrEqual(COLD_START_BUDGETS[kind]);
  });

  it('keeps the OpenAPI generator to the routes that serve the documents', () => {
    for (const d of FUNCTIONS) {
      const generator = bundleOf(d.name).contributors.find((c) => c.path === '@asteasolutions/zod-to-openapi');
      // The `.openapi()` extension the schemas are built with is ~6 KB; the document generator is ~20 KB more.
      if (d.name !== 'get-openapi') expect(generator?.bytes ?? 0, d.name).toBeLessThan(10 * KB);
    }
  });

  it.each(FUNCTIONS.map((d) => [d.name, d.access] as const))(
    '%s bundles only the SDK clients its access list grants',
    async (name, access) => {
      const expected = [...new Set(access.flatMap(clientsFor))].sort();
      const bundled = bundleOf(name)
        .contributors.map((c) => c.path)
        .filter((p) => p.startsWith('@aws-sdk/client-'))
        .sort();
      expect(bundled).toEqual(expected);
    },
  );

  it('carries no link of the default credential chain but the environment one (lib/bundling.ts alias)', () => {
    for (const d of FUNCTIONS) {
      const chain = bundleOf(d.name)
        .contributors.map((c) => c.path)
        .filter((p) => (DEFAULT_CHAIN_PACKAGES as readonly string[]).includes(p));
      expect(chain, d.name).toEqual([]);
    }
  });
});
