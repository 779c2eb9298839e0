import fc from 'fast-check';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { CreatePinRequest, PutAccountRequest, type Job } from '../../lambdas/api/schemas.ts';
import type { Pipeline } from '../../local/pipeline.ts';
import { callerFor, testPipeline, type Caller, type ErrorBody } from './harness.ts';

/**
 * Property: intake's schema is exactly what the store can keep. Every generated POST /v1/pins body that
 * CreatePinRequest accepts is answered 202 and `GET /v1/jobs/{id}` (a consistent DynamoDB read) returns the
 * pin and metadata exactly as sent; every body it rejects is a 400 in the error envelope naming a field.
 * Never a 5xx. Bodies are written as JSON text by hand, so the server really sees what JSON.stringify
 * would hide: `-0`, integers beyond 2^53, `1e400` (Infinity), lone surrogates (as `\udXXX` escapes),
 * `__proto__` and empty keys, and nesting around DynamoDB's depth limit.
 *
 * Seeded, so a failure reproduces; fast-check prints the seed and counterexample path on failure.
 * Another seed: FC_SEED=123 npx vitest run --project integration test/integration/intake-property.test.ts
 */
const SEED = Number(process.env.FC_SEED ?? 20261123);
const PIN_RUNS = 500;
const TOKEN_RUNS = 100;

let pipeline: Pipeline;
let api: Caller;

beforeAll(async () => {
  pipeline = await testPipeline({ worker: false }); // intake only: jobs stay queued
  api = callerFor(pipeline, pipeline.apiKey);
  expect((await api('PUT', '/v1/accounts/acct', { body: { access_token: 'pina_property' } })).status).toBe(200);
});

afterAll(async () => {
  await pipeline?.stop();
});

// A JSON document as written on the wire. Objects keep their entries as a list so keys like `__proto__`
// and duplicates reach the text verbatim; bigints stand for integer literals of any length.
class Obj {
  constructor(readonly entries: ReadonlyArray<readonly [string, Json]>) {}
}
type Json = null | boolean | number | bigint | string | Json[] | Obj;

function jsonText(value: Json): string {
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'number') {
    if (Object.is(value, -0)) return '-0';
    if (value === Infinity) return '1e400';
    if (value === -Infinity) return '-1e400';
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) return `[${value.map(jsonText).join(',')}]`;
  if (value instanceof Obj) return `{${value.entries.map(([k, v]) => `${JSON.stringify(k)}:${jsonText(v)}`).join(',')}}`;
  return JSON.stringify(value); // strings: JSON.stringify escapes lone surrogates as \udXXX
}

// Weighted so that about half the bodies are storable: both sides of the property need exercising.
const loneSurrogate = fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c));
const text = fc.oneof(
  { weight: 8, arbitrary: fc.string({ maxLength: 8 }) },
  { weight: 4, arbitrary: fc.string({ unit: 'grapheme', maxLength: 8 }) }, // astral characters, combining marks
  { weight: 2, arbitrary: fc.constantFrom('', '\u0000', '😀', '𝄞') },
  {
    weight: 1,
    arbitrary: fc.tuple(fc.string({ maxLength: 3 }), loneSurrogate, fc.string({ maxLength: 3 })).map(([a, s, b]) => `${a}${s}${b}`),
  },
);
const key = fc.oneof(
  { weight: 20, arbitrary: fc.string({ minLength: 1, maxLength: 6 }) },
  { weight: 4, arbitrary: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 4 }) },
  { weight: 1, arbitrary: fc.constantFrom('', '__proto__', 'constructor', 'toString', '\ud800', 'a\udc00', '\u0000', 'post_id') },
);
const number = fc
  .oneof(
    { weight: 6, arbitrary: fc.integer() },
    { weight: 6, arbitrary: fc.double({ min: -1e6, max: 1e6, noNaN: true }) },
    { weight: 1, arbitrary: fc.double() }, // -0, ±Infinity, NaN (filtered below), subnormals, 1.8e308
    { weight: 1, arbitrary: fc.bigInt({ min: -(10n ** 24n), max: 10n ** 24n }) }, // integer literals far past 2^53
    {
      weight: 2,
      arbitrary: fc.constantFrom(
        -0,
        0,
        1e-130,
        -1e-130,
        1e-131,
        5e-324,
        Number.MAX_SAFE_INTEGER,
        -Number.MAX_SAFE_INTEGER,
        2 ** 53,
        1e300,
        0.1,
      ),
    },
  )
  .filter((n) => !Number.isNaN(n)); // NaN has no JSON spelling

const { value: jsonValue } = fc.letrec<{ value: Json; array: Json[]; object: Obj }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constant(null),
    fc.boolean(),
    number,
    text,
    tie('array'),
    tie('object'),
  ),
  array: fc.array(tie('value'), { maxLength: 3 }),
  object: fc.array(fc.tuple(key, tie('value')), { maxLength: 4 }).map((entries) => new Obj(entries)),
}));

/** A chain of objects and arrays around DynamoDB's nesting limit (metadata may nest 30 levels). */
const deepChain = fc
  .tuple(fc.integer({ min: 26, max: 34 }), fc.array(fc.boolean(), { minLength: 34, maxLength: 34 }), fc.oneof(number, text))
  .map(([depth, asArray, leaf]) => {
    let value: Json = leaf;
    for (let level = depth - 1; level >= 1; level--) value = asArray[level] ? [value] : new Obj([['k', value]]);
    return new Obj([['deep', value]]); // the metadata object itself is level 1
  });

const metadata = fc.oneof(
  { weight: 4, arbitrary: fc.array(fc.tuple(key, jsonValue), { maxLength: 5 }).map((entries) => new Obj(entries)) },
  { weight: 1, arbitrary: deepChain },
);

const title = fc.oneof(
  { weight: 3, arbitrary: text },
  // Around Pinterest's 100-character limit, counted in code points: astral characters count once.
  {
    weight: 1,
    arbitrary: fc.array(fc.constantFrom('a', 'é', '😀', '𝄞', '\ud800'), { minLength: 97, maxLength: 102 }).map((cs) => cs.join('')),
  },
);

const mediaSource = fc.oneof(
  { depthSize: 'small' },
  fc.constant(
    new Obj([
      ['source_type', 'image_url'],
      ['url', 'https://cdn.example.com/a.jpg'],
    ]),
  ),
  number.map(
    (t) =>
      new Obj([
        ['source_type', 'video_id'],
        ['media_id', '123'],
        ['cover_image_key_frame_time', t],
      ]),
  ),
  fc.oneof(fc.integer({ min: -1, max: 5 }), fc.constant(-0)).map(
    (index) =>
      new Obj([
        ['source_type', 'multiple_image_urls'],
        ['items', [new Obj([['url', 'https://e.com/1.jpg']]), new Obj([['url', 'https://e.com/2.jpg']])]],
        ['index', index],
      ]),
  ),
);

const pinBody = fc
  .record({ title: fc.option(title, { nil: undefined }), mediaSource, metadata: fc.option(metadata, { nil: undefined }) })
  .map(({ title: t, mediaSource: media, metadata: meta }) => {
    const entries: Array<[string, Json]> = [
      ['account_id', 'acct'],
      ['board_id', '987654321'],
      ['media_source', media],
    ];
    if (t !== undefined) entries.push(['title', t]);
    if (meta !== undefined) entries.push(['metadata', meta]);
    return jsonText(new Obj(entries));
  });

it(`stores every pin body the schema accepts exactly as sent, and answers 400 to every other (${PIN_RUNS} runs)`, async () => {
  const tally = { accepted: 0, rejected: 0 };
  let n = 0;
  await fc.assert(
    fc.asyncProperty(pinBody, async (body) => {
      const sent = JSON.parse(body) as Record<string, unknown>; // exactly what the handler sees
      const expectAccepted = CreatePinRequest.safeParse(sent).success;
      const answer = await api('POST', '/v1/pins', { rawBody: body, headers: { 'Idempotency-Key': `prop-${SEED}-${n++}` } });
      if (expectAccepted) {
        tally.accepted++;
        expect(answer.status, JSON.stringify(answer.body)).toBe(202);
        const created = answer.body as Job; // a 202 carries the stored job
        const read = await api<Job>('GET', `/v1/jobs/${created.id}`);
        expect(read.status).toBe(200);
        const { account_id: _account, metadata: sentMetadata, ...sentPin } = sent;
        expect(read.body.pin).toStrictEqual(sentPin);
        expect(read.body.metadata).toStrictEqual(sentMetadata ?? {});
        expect(read.body).toStrictEqual(answer.body);
      } else {
        tally.rejected++;
        expect(answer.status, JSON.stringify(answer.body)).toBe(400);
        const { error } = answer.body as ErrorBody; // a 400 carries the error envelope
        expect(error).toMatchObject({ code: 'validation_error', message: expect.any(String) });
        expect(error.details?.length).toBeGreaterThan(0);
      }
    }),
    { seed: SEED, numRuns: PIN_RUNS },
  );
  console.info(
    `intake property (seed ${SEED}): ${PIN_RUNS} bodies, ${tally.accepted} stored and read back equal, ${tally.rejected} rejected with 400`,
  );
  // Both sides must be exercised, or the property proves nothing.
  expect(tally.accepted).toBeGreaterThan(PIN_RUNS / 5);
  expect(tally.rejected).toBeGreaterThan(PIN_RUNS / 5);
}, 60_000);

// Pinterest tokens (pina_…, pinr_…) are printable ASCII without spaces: the oracle here is that rule itself,
// not the schema, so a schema that lets a space or control character through fails.
const isPinterestToken = (t: string) => /^[\x21-\x7E]{1,4096}$/.test(t);

it(`connects an account for every well-formed token and answers 400 at the field otherwise (${TOKEN_RUNS} runs)`, async () => {
  const token = fc.oneof(
    fc.string({ unit: 'binary-ascii', minLength: 1, maxLength: 40 }), // control characters, DEL, spaces
    fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 40 }),
    fc.string({ unit: 'binary', minLength: 1, maxLength: 10 }),
    fc.tuple(fc.constantFrom('pina_', 'pinr_'), fc.stringMatching(/^[\x21-\x7E]{1,30}$/)).map(([p, s]) => p + s),
    fc
      .tuple(fc.constantFrom('pina_', 'Bearer pina_'), fc.constantFrom(' ', '\t', '\n', '\r\n', '\u0000', '\u007f', '\ud800'))
      .map(([p, s]) => `${p}x${s}`),
  );
  const tally = { connected: 0, refused: 0 };
  let n = 0;
  await fc.assert(
    fc.asyncProperty(token, fc.boolean(), async (value, asRefresh) => {
      const body = asRefresh ? { access_token: 'pina_ok', refresh_token: value } : { access_token: value };
      const field = asRefresh ? 'refresh_token' : 'access_token';
      expect(PutAccountRequest.safeParse(body).success).toBe(isPinterestToken(value));
      const answer = await api('PUT', `/v1/accounts/prop-${n++}`, { body });
      if (isPinterestToken(value)) {
        tally.connected++;
        expect(answer.status).toBe(200);
      } else {
        tally.refused++;
        expect(answer.status).toBe(400);
        expect((answer.body as ErrorBody).error.details).toEqual([{ path: field, message: expect.any(String) }]);
      }
    }),
    { seed: SEED, numRuns: TOKEN_RUNS },
  );
  console.info(`token property (seed ${SEED}): ${TOKEN_RUNS} tokens, ${tally.connected} connected, ${tally.refused} refused with 400`);
  expect(tally.connected).toBeGreaterThan(TOKEN_RUNS / 5);
  expect(tally.refused).toBeGreaterThan(TOKEN_RUNS / 5);
}, 60_000);
