import fc from 'fast-check';
import { JOB_EVENT_TYPES } from '../../../../definitions/webhooks.ts';
import { deepJson, jsonText, notJson, toJson, wrongValue } from './json.ts';
import { mutatedText } from './mutate.ts';

/**
 * Request bodies per route: a valid body (so that valid requests are in the mix and may store), the same
 * body broken by mutate.ts, text that is not JSON, nothing, or more than the 256 KB limit.
 */

export type BodySpec =
  | { readonly kind: 'none' }
  | { readonly kind: 'text'; readonly text: string }
  /** A JSON document of about `bytes` bytes (built at send time, so a counterexample stays short). */
  | { readonly kind: 'oversize'; readonly bytes: number };

/** Stands for the world's webhook receiver (http://127.0.0.1:PORT) inside generated text. */
export const RECEIVER = '@@RECEIVER@@';
/** Every Pinterest token the fuzzers send carries this: no answer may ever contain it. */
export const TOKEN_TAG = 'FZTOKEN';

const grapheme = (maxLength: number) => fc.string({ unit: 'grapheme', maxLength });
const digitString = fc.stringMatching(/^\d{1,18}$/);
const httpsUrl = fc.constantFrom('https://cdn.example.com/a.jpg', 'http://e.com/x?y=1', 'https://example.org/%F0%9F%98%80');

const mediaSource = fc.oneof(
  fc.record({ source_type: fc.constant('image_url'), url: httpsUrl }),
  fc.record({
    source_type: fc.constant('image_base64'),
    content_type: fc.constantFrom('image/jpeg', 'image/png'),
    data: fc.constant('AAAA'),
  }),
  fc.record(
    {
      source_type: fc.constant('multiple_image_urls'),
      items: fc.array(fc.record({ url: httpsUrl, title: grapheme(10) }, { requiredKeys: ['url'] }), { minLength: 2, maxLength: 5 }),
      index: fc.nat(1),
    },
    { requiredKeys: ['source_type', 'items'] },
  ),
  fc.record({ source_type: fc.constant('video_id'), media_id: digitString, cover_image_key_frame_time: fc.nat(100) }),
);

const metadata = fc.dictionary(
  fc.stringMatching(/^[a-z_]{1,8}$/),
  fc.oneof(fc.string({ maxLength: 10 }), fc.integer({ min: -1000, max: 1000 }), fc.boolean(), fc.constant(null)),
  { maxKeys: 4 },
);

/** Account ids: both tenants own `shared-main`, each one `<tenant>-only`; nobody `never-connected`. */
const accountId = fc.constantFrom('shared-main', 'shared-main', 'shared-main', 'a-only', 'b-only', 'never-connected');

const pinFields = {
  board_id: digitString,
  title: grapheme(20),
  description: grapheme(40),
  link: httpsUrl,
  alt_text: grapheme(10),
  dominant_color: fc.constantFrom('#A1B2C3', '#000000'),
  media_source: mediaSource,
};

export const validPin = fc.record(
  {
    account_id: accountId,
    ...pinFields,
    // Past, soon, and beyond the 365 days intake accepts.
    publish_at: fc.integer({ min: -5, max: 400 }).map((days) => new Date(Date.now() + days * 86_400_000).toISOString()),
    metadata,
  },
  { requiredKeys: ['account_id', 'board_id', 'media_source'] },
);

const token = (prefix: string) => fc.stringMatching(/^[\x21-\x7E]{1,24}$/).map((s) => `${prefix}_${TOKEN_TAG}${s}`);
const isoDate = fc.integer({ min: -400, max: 400 }).map((days) => new Date(Date.now() + days * 86_400_000).toISOString());

export const validAccount = fc.record(
  {
    access_token: token('pina'),
    refresh_token: token('pinr'),
    expires_at: isoDate,
    refresh_token_expires_at: isoDate,
    rate_limit_per_minute: fc.integer({ min: 1, max: 100_000 }),
  },
  { requiredKeys: ['access_token'] },
);

/** Webhook URLs: the receiver, and URLs refused before any name is resolved (private, metadata, malformed). */
const webhookUrl = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(`${RECEIVER}/hook`, `${RECEIVER}/a?b=c`, `${RECEIVER}`) },
  {
    weight: 3,
    arbitrary: fc.constantFrom(
      `${RECEIVER}/a*b`,
      `${RECEIVER}/#frag`,
      `${RECEIVER}/a b`,
      'https://10.0.0.1/x',
      'https://169.254.169.254/latest/meta-data',
      'https://[::1]/x',
      'https://[fd00:ec2::254]/',
      'https://[::ffff:127.0.0.1]/',
      'http://0x7f.1/x',
      'https://2130706433/',
      'https://user:pw@127.0.0.1/',
      'https://metadata.google.internal/',
      'https://intranet/hook',
      'https://192.0.2.1/',
      'ftp://127.0.0.1/',
      'https://',
      'https:/127.0.0.1',
      'javascript:alert(1)',
      '//127.0.0.1/x',
      '',
    ),
  },
);

export const validWebhook = fc.record(
  {
    url: webhookUrl,
    events: fc.uniqueArray(fc.constantFrom(...JOB_EVENT_TYPES), { minLength: 1, maxLength: JOB_EVENT_TYPES.length }),
    description: grapheme(30),
  },
  { requiredKeys: ['url', 'events'] },
);

export const validRequeue = fc.oneof(
  fc.constant({}),
  fc.record({ pin: fc.record(pinFields, { requiredKeys: [] }) }),
  fc.record({ pin: fc.record({ board_id: digitString }) }),
);

/** A body for a route that reads one: valid, mutated, not JSON, missing, or too large. */
export function bodyFor(valid: fc.Arbitrary<unknown>): fc.Arbitrary<BodySpec> {
  return fc.oneof(
    { weight: 6, arbitrary: valid.map((v): BodySpec => ({ kind: 'text', text: jsonText(toJson(v)) })) },
    { weight: 8, arbitrary: mutatedText(valid).map((text): BodySpec => ({ kind: 'text', text })) },
    { weight: 1, arbitrary: notJson.map((text): BodySpec => ({ kind: 'text', text })) },
    { weight: 1, arbitrary: fc.constantFrom<BodySpec>({ kind: 'none' }, { kind: 'text', text: '' }, { kind: 'text', text: ' ' }) },
    { weight: 1, arbitrary: fc.integer({ min: 256 * 1024 + 1, max: 300 * 1024 }).map((bytes): BodySpec => ({ kind: 'oversize', bytes })) },
  );
}

/** A body for a route that reads none: usually none, sometimes anything at all. */
export const strayBody: fc.Arbitrary<BodySpec> = fc.oneof(
  { weight: 6, arbitrary: fc.constant<BodySpec>({ kind: 'none' }) },
  { weight: 1, arbitrary: fc.oneof(wrongValue, deepJson).map((v): BodySpec => ({ kind: 'text', text: jsonText(v) })) },
  { weight: 1, arbitrary: notJson.map((text): BodySpec => ({ kind: 'text', text })) },
);
