import { describe, expect, it } from 'vitest';
import { decodePathParameters } from '../../../local/http-api.ts';

/** Local mode decodes `{param}` path segments as API Gateway does, and refuses those it cannot decode. */
describe('decodePathParameters', () => {
  const match = (...segments: string[]) =>
    Object.assign([`/${segments.join('/')}`, ...segments], { index: 0, input: '' }) as RegExpExecArray;

  it('percent-decodes each parameter as UTF-8', () => {
    expect(decodePathParameters(['account_id'], match('acme%2Dmain'))).toEqual({ account_id: 'acme-main' });
    expect(decodePathParameters(['job_id', 'x'], match('caf%C3%A9', '%F0%9F%98%80'))).toEqual({ job_id: 'café', x: '😀' });
  });

  it.each([['%zz'], ['%'], ['acct%'], ['%E0%A4%A'], ['%ED%A0%80'], ['%C0%AF'], ['%ff']])(
    'answers null for %j (malformed escape or not UTF-8) instead of throwing URIError',
    (segment) => {
      expect(decodePathParameters(['account_id'], match(segment))).toBeNull();
    },
  );
});
