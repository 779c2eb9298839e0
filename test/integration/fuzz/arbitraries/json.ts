import fc from 'fast-check';

/**
 * JSON as written on the wire, including what JSON.stringify cannot write: duplicate keys, `__proto__`
 * and `constructor` keys, integers of any length, `-0`, `1e400`, lone surrogates (as `\udXXX` escapes).
 * Objects keep their entries as a list so all of it reaches the text verbatim.
 */
export class Obj {
  constructor(readonly entries: ReadonlyArray<readonly [string, Json]>) {}
}
/** A JSON fragment written as is (`-0`, `1e400`, `12345678901234567890123`). */
export class Raw {
  constructor(readonly text: string) {}
}
export type Json = null | boolean | number | string | Json[] | Obj | Raw;

export function jsonText(value: Json): string {
  if (value instanceof Raw) return value.text;
  if (Array.isArray(value)) return `[${value.map(jsonText).join(',')}]`;
  if (value instanceof Obj) return `{${value.entries.map(([k, v]) => `${JSON.stringify(k)}:${jsonText(v)}`).join(',')}}`;
  return JSON.stringify(value); // strings: lone surrogates come out as \udXXX escapes
}

/** A plain JSON value (the valid bodies) as a Json tree. */
export function toJson(value: unknown): Json {
  if (value === null || typeof value === 'boolean' || typeof value === 'number' || typeof value === 'string') return value;
  if (Array.isArray(value)) return value.map(toJson);
  if (typeof value === 'object') return new Obj(Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, toJson(v)]));
  throw new Error(`not JSON: ${String(value)}`);
}

const loneSurrogate = fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c));

/** Unicode edge cases: lone surrogates, astral characters, NUL and controls, RTL and zero-width marks, BOM. */
export const nastyText = fc.oneof(
  { weight: 6, arbitrary: fc.string({ maxLength: 12 }) },
  { weight: 3, arbitrary: fc.string({ unit: 'grapheme', maxLength: 8 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 8 }) },
  {
    weight: 3,
    arbitrary: fc.constantFrom(
      '',
      ' ',
      '\u0000',
      'a\u0000b',
      '\u202eevil',
      '\u200f\u200e',
      '\ufeff',
      '\u200b',
      '😀',
      '𝄞',
      '\u{10ffff}',
      '🧑‍💻',
      '\r\n',
      '<script>',
      "' OR 1=1 --",
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a template-injection probe, meant literally
      '${7*7}',
      '../../etc/passwd',
      '%00',
      'null',
      'true',
      '123',
      '-1',
      '1e400',
    ),
  },
  {
    weight: 1,
    arbitrary: fc.tuple(fc.string({ maxLength: 3 }), loneSurrogate, fc.string({ maxLength: 3 })).map(([a, s, b]) => `${a}${s}${b}`),
  },
);

/** Text past every limit the API has (titles 100, descriptions 800, urls 2048, keys 255, metadata 2 KB). */
export const longText = fc
  .tuple(fc.constantFrom('x', 'é', '😀', '\u0000', '%', 'a b'), fc.integer({ min: 90, max: 5000 }))
  .map(([unit, n]) => unit.repeat(n));

export const nastyNumber: fc.Arbitrary<Json> = fc.oneof(
  fc.integer().map((n): Json => n),
  fc.double({ noNaN: true, noDefaultInfinity: true }).map((n): Json => n),
  fc.constantFrom<Json>(
    new Raw('-0'),
    new Raw('1e400'),
    new Raw('-1e400'),
    new Raw('5e-324'),
    new Raw('1e-131'),
    new Raw('12345678901234567890123'),
    new Raw('9007199254740993'),
    new Raw('0.1e1'),
    0,
    -1,
    2 ** 31,
    Number.MAX_SAFE_INTEGER,
  ),
);

export const nastyKey = fc.oneof(
  { weight: 6, arbitrary: fc.string({ minLength: 1, maxLength: 8 }) },
  { weight: 2, arbitrary: fc.constantFrom('__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', '', '\u0000', '\ud800') },
);

/** Any JSON value at all, nested a few levels, with the nasty leaves above. */
export const anyJson: fc.Arbitrary<Json> = fc.letrec<{ value: Json; array: Json[]; object: Obj }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constant(null),
    fc.boolean(),
    nastyNumber,
    nastyText,
    tie('array'),
    tie('object'),
  ),
  array: fc.array(tie('value'), { maxLength: 3 }),
  object: fc.array(fc.tuple(nastyKey, tie('value')), { maxLength: 4 }).map((entries) => new Obj(entries)),
})).value;

/** Objects or arrays nested far deeper than anything the API accepts (metadata stops at 30 levels). */
export const deepJson = fc
  .tuple(fc.integer({ min: 25, max: 3000 }), fc.boolean())
  .map(
    ([depth, arrays]) => new Raw(arrays ? `${'['.repeat(depth)}1${']'.repeat(depth)}` : `${'{"k":'.repeat(depth)}1${'}'.repeat(depth)}`),
  );

/** A value of the wrong type for any field: each JSON type, numbers as strings, nesting and overlong text. */
export const wrongValue: fc.Arbitrary<Json> = fc.oneof(
  fc.constantFrom<Json>(
    null,
    true,
    false,
    0,
    -1,
    1.5,
    '',
    '123',
    '1e3',
    'true',
    'null',
    [],
    new Obj([]),
    [null],
    new Raw('-0'),
    new Raw('1e400'),
  ),
  nastyNumber,
  nastyText,
  longText,
  anyJson,
  deepJson,
);

/** Text that is not JSON, or not one JSON document. */
export const notJson = fc.oneof(
  fc.constantFrom(
    '{',
    '}',
    '{"a":}',
    '{"a":1,}',
    "{'a':1}",
    '{"a":NaN}',
    '{"a":1}{"b":2}',
    '[1,2',
    '\u0000',
    'null x',
    '{"a":"\\x"}',
    '\ufeff{}',
  ),
  fc.string({ unit: 'binary', minLength: 1, maxLength: 40 }),
);
