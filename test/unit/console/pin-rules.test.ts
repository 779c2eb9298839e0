import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PinFields as PinSchema, type PinFields } from '../../../lambdas/api/schemas/pin.ts';
import { FIELD_SPECS, type FieldName, type FormValues, validateRequeue } from '../../../console/src/pin-form.ts';

/**
 * Invariant: the requeue form refuses exactly what the API refuses, with the API's messages, on the field
 * that caused it. The console re-implements the pin rules (console/src/pin-rules.ts) to keep zod out of its
 * bundle; this suite runs both on the same generated inputs: the form's errors per field must equal the zod
 * schema's issues for the merged pin `{...pin, ...corrections}` — the pin the API validates.
 */

/** zod's issues on the merged pin, grouped by the form field at their path (other paths: `form`). */
function zodErrors(pin: PinFields, corrections: object): Partial<Record<FieldName | 'form', string[]>> {
  const parsed = PinSchema.safeParse({ ...pin, ...corrections });
  if (parsed.success) return {};
  const errors: Partial<Record<FieldName | 'form', string[]>> = {};
  for (const issue of parsed.error.issues) {
    const path = issue.path.map(String).join('.');
    const field = FIELD_SPECS.find((f) => f.path.join('.') === path)?.name ?? 'form';
    errors[field] = [...new Set([...(errors[field] ?? []), issue.message])];
  }
  return errors;
}

const emoji = '\u{1F642}';
/** Text near every limit and rule edge: code points vs UTF-16 units, lone surrogates, whitespace, URL forms. */
const tricky = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.string({ unit: 'grapheme', maxLength: 12 }),
  fc.string({ unit: 'binary', maxLength: 12 }),
  fc.stringMatching(/^\d{0,66}$/),
  fc.integer({ min: 95, max: 105 }).map((n) => 'a'.repeat(n)),
  fc.integer({ min: 495, max: 505 }).map((n) => 'b'.repeat(n)),
  fc.integer({ min: 795, max: 805 }).map((n) => emoji.repeat(n)),
  fc.integer({ min: 51, max: 101 }).map((n) => emoji.repeat(n)),
  fc.constantFrom('\uD800', 'ok\uDC00', `${emoji}\uD83D`, ' 123', '123 ', '１２３', '', '0'),
  fc.webUrl({ withQueryParameters: true, withFragments: true }),
  fc.constantFrom(
    'https://example.com/a.jpg',
    'http://example.com',
    'https:/example.com',
    'http:example.com',
    'ftp://example.com/x',
    'https://',
    'https:///x',
    'https://exa mple.com',
    'https://example.com/\u0001',
    'HTTPS://EXAMPLE.COM/',
    'https://[::1]/x',
    'https://\\\\x',
    '//example.com/x',
  ),
  fc.integer({ min: 2040, max: 2056 }).map((n) => `https://example.com/${'p'.repeat(n - 20)}`),
);

const basePin = fc.record(
  {
    board_id: fc.stringMatching(/^\d{1,20}$/),
    board_section_id: fc.stringMatching(/^\d{1,20}$/),
    title: fc.string({ maxLength: 30 }).filter((s) => PinSchema.shape.title.safeParse(s).success),
    description: fc.constant('A description'),
    link: fc.constant('https://example.com/page'),
    alt_text: fc.constant('Alt'),
    media_source: fc.oneof(
      fc.constant({ source_type: 'image_url' as const, url: 'https://example.com/i.jpg' }),
      fc.constant({
        source_type: 'multiple_image_urls' as const,
        items: [{ url: 'https://example.com/1.jpg' }, { url: 'https://example.com/2.jpg' }],
      }),
    ),
  },
  { requiredKeys: ['board_id', 'media_source'] },
) as fc.Arbitrary<PinFields>;

const formEdits = fc.record(Object.fromEntries(FIELD_SPECS.map((f) => [f.name, tricky])) as Record<FieldName, fc.Arbitrary<string>>, {
  requiredKeys: [],
});

describe('requeue form validation (console/src/pin-rules.ts) against the API schema (lambdas/api/schemas/pin.ts)', () => {
  it('the generated pins are valid to begin with', () => {
    fc.assert(fc.property(basePin, (pin) => PinSchema.safeParse(pin).success));
  });

  it('reports the same messages on the same fields as zod, for 3000 generated pins and edits', () => {
    fc.assert(
      fc.property(basePin, formEdits, (pin, edits) => {
        const form: FormValues = edits;
        const { corrections, errors, valid } = validateRequeue(pin, form);
        const expected = zodErrors(pin, corrections);
        expect(errors).toEqual(expected);
        expect(valid).toBe(Object.keys(expected).length === 0);
      }),
      { numRuns: 3000 },
    );
  });

  it.each([
    ['board_id', '12x', 'board_id must be a string of digits'],
    ['board_id', '', 'board_id must be a string of digits'],
    ['board_section_id', '1.5', 'board_section_id must be a string of digits'],
    ['title', emoji.repeat(101), 'must be at most 100 characters'],
    ['alt_text', 'x\uD800', 'must be well-formed Unicode (it contains an unpaired surrogate, \\uD800–\\uDFFF)'],
    ['link', 'example.com', 'must be an absolute http(s) URL'],
    ['image_url', 'https:/example.com/x.jpg', 'must be an absolute http(s) URL'],
  ] as const)('puts %s = %j next to its field: "%s"', (field, value, message) => {
    const pin: PinFields = { board_id: '1', media_source: { source_type: 'image_url', url: 'https://example.com/i.jpg' } };
    const { errors, valid } = validateRequeue(pin, { [field]: value });

    expect(valid).toBe(false);
    expect(errors).toEqual({ [field]: [message] });
    expect(zodErrors(pin, validateRequeue(pin, { [field]: value }).corrections)[field]).toEqual([message]);
  });

  it('accepts a 100-emoji title (Pinterest counts characters, not UTF-16 units)', () => {
    const pin: PinFields = { board_id: '1', media_source: { source_type: 'image_url', url: 'https://example.com/i.jpg' } };

    expect(validateRequeue(pin, { title: emoji.repeat(100) }).valid).toBe(true);
  });
});
