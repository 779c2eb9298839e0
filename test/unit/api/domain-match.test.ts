import { describe, expect, expectTypeOf, it } from 'vitest';
import { DOMAIN_MATCH, type Same } from '../../../lambdas/api/domain-match.ts';
import * as wire from '../../../lambdas/api/schemas.ts';

/**
 * The HTTP contract's schemas and the domain's types say the same (lambdas/api/domain-match.ts). The
 * proof is `tsc`: each entry there only compiles while the pair matches both ways. These tests check that
 * the checker tells a drift from a match (type-level, also run by `tsc`), and that the proof covers every
 * wire schema with a domain twin.
 */

describe('Same: the check behind the domain match', () => {
  it('holds for identical shapes, whatever the readonly modifiers', () => {
    expectTypeOf<Same<{ a: string; b?: number | undefined }, { readonly a: string; b?: number | undefined }>>().toEqualTypeOf<true>();
    expectTypeOf<Same<'x' | 'y', 'y' | 'x'>>().toEqualTypeOf<true>();
  });

  it('fails for a field on one side only, in either direction', () => {
    expectTypeOf<Same<{ a: string }, { a: string; b: string }>>().toEqualTypeOf<false>();
    expectTypeOf<Same<{ a: string; b: string }, { a: string }>>().toEqualTypeOf<false>();
  });

  it('fails for an optional field that is required on the other side, a nullable one, or a wider type', () => {
    expectTypeOf<Same<{ a?: string | undefined }, { a: string }>>().toEqualTypeOf<false>();
    expectTypeOf<Same<{ a: string | null }, { a: string }>>().toEqualTypeOf<false>();
    expectTypeOf<Same<{ a: 'x' | 'y' }, { a: 'x' }>>().toEqualTypeOf<false>();
    expectTypeOf<Same<{ a: string[] }, { a: number[] }>>().toEqualTypeOf<false>();
  });
});

describe('the domain match', () => {
  it('covers every response model and every request command', () => {
    expect(Object.keys(DOMAIN_MATCH).sort()).toEqual(
      [
        'Account',
        'AccountRate',
        'Attempt',
        'CreatePinRequest',
        'CreateWebhookRequest',
        'Incident',
        'Job',
        'JobFailure',
        'JobStatus',
        'JobStatusCounts',
        'MediaSource',
        'PinFields',
        'PutAccountRequest',
        'RequeueRequest',
        'Stats',
        'Webhook',
        'WebhookWithSecret',
      ].sort(),
    );
    expect(Object.values(DOMAIN_MATCH).every((matches) => matches === true)).toBe(true);
  });

  it('names only schemas the contract exports', () => {
    for (const name of Object.keys(DOMAIN_MATCH)) expect(wire, name).toHaveProperty(name);
  });
});
