import { base, JSON_HEADERS, json, LONE_SURROGATES, nestedText, withRaw, type HostileGenerator } from './shapes.ts';

/**
 * Requests that are valid JSON yet cannot be kept as sent (numbers, depths, keys and strings the store
 * refuses), paths that cannot be percent-decoded, malformed tokens, and bodies carrying a secret that must
 * never be quoted back.
 */
export const UNSTORABLE_VALUES: HostileGenerator[] = [
  // Valid JSON the store cannot keep as sent: each must be a 400 naming the field, not a 5xx from the write.
  (r) => {
    const digits = `${1 + r.int(9)}${Array.from({ length: 16 + r.int(15) }, () => r.int(10)).join('')}`; // 17–31 digits, > 2^53
    const where = r.int(3);
    const body =
      where === 0
        ? withRaw(`"metadata":{"post_id":${r.pick(['', '-'])}${digits}}`)
        : where === 1
          ? withRaw(`"metadata":{"ids":[1,${digits}]}`)
          : json({
              ...base(),
              media_source: { source_type: 'multiple_image_urls', items: [{ url: 'https://e.com/1.jpg' }, { url: 'https://e.com/2.jpg' }] },
            }).replace(/}}$/, `,"index":${digits}}}`);
    return { kind: 'huge integer', method: 'POST', path: '/v1/pins', headers: JSON_HEADERS, body };
  },
  // Metadata nests inside the item's `job` map: 31 levels of the caller's own are one more than DynamoDB's 32 allow.
  (r) => ({
    kind: 'deep metadata',
    method: 'POST',
    path: '/v1/pins',
    headers: JSON_HEADERS,
    body: withRaw(`"metadata":{"a":${nestedText(r, 30 + r.int(20))}}`),
  }),
  // Deep enough that serialising it recursively would exhaust the stack, yet under the 256 KB body limit.
  (r) => {
    const depth = 60_000 + r.int(60_000);
    return {
      kind: 'very deep metadata',
      method: 'POST',
      path: '/v1/pins',
      headers: JSON_HEADERS,
      body: withRaw(`"metadata":{"a":${'['.repeat(depth)}${']'.repeat(depth)}}`),
    };
  },
  (r) => {
    const value = r.pick([
      '1e300',
      '-1e300',
      '1e400',
      '-1e400',
      '5e-324',
      '1e-131',
      '-0',
      '-0.0',
      '-0e5',
      '2e-200',
      '9007199254740992',
      '1.7976931348623157e308',
    ]);
    const where = r.int(2);
    const body =
      where === 0
        ? withRaw(`"metadata":{"n":${value}}`)
        : json({ ...base(), media_source: { source_type: 'video_id', media_id: '123', cover_image_key_frame_time: 1 } }).replace(
            '"cover_image_key_frame_time":1',
            `"cover_image_key_frame_time":${value}`,
          );
    return { kind: 'extreme number', method: 'POST', path: '/v1/pins', headers: JSON_HEADERS, body };
  },
  (r) => {
    const lone = r.pick(LONE_SURROGATES);
    const fields = [
      withRaw(`"metadata":{"s":"x${lone}y"}`),
      withRaw(`"metadata":{"k${lone}":1}`),
      withRaw(`"metadata":{"l":["${lone}"]}`),
      json({ ...base(), title: 'T' }).replace('"title":"T"', `"title":"Walnut ${lone}"`),
      json({ ...base(), description: 'D' }).replace('"description":"D"', `"description":"${lone}"`),
      json({ ...base(), link: 'https://e.com/L' }).replace('"link":"https://e.com/L"', `"link":"https://e.com/${lone}"`),
    ];
    return { kind: 'lone surrogate', method: 'POST', path: '/v1/pins', headers: JSON_HEADERS, body: r.pick(fields) };
  },
  (r) => ({
    kind: 'reserved metadata key',
    method: 'POST',
    path: '/v1/pins',
    headers: JSON_HEADERS,
    body: withRaw(
      `"metadata":${r.pick(['{"":1}', '{"a":{"":1}}', '{"__proto__":{"polluted":true}}', '{"a":[{"__proto__":1}]}', '{"constructor":1}', '{"constructor":{"name":"Set"}}', '{"x":{"constructor":"y"}}'])}`,
    ),
  }),
  (r) => ({
    kind: 'astral title',
    method: 'POST',
    path: '/v1/pins',
    headers: JSON_HEADERS,
    body: json({ ...base(), title: r.pick(['😀', '𝄞', '🇺🇸', '\u{1F9D1}\u200D\u{1F4BB}']).repeat(101 + r.int(10)) }),
  }),
  (r) => {
    const [method, path] = r.pick([
      ['GET', '/v1/accounts/%zz'],
      ['PUT', '/v1/accounts/%'],
      ['PUT', '/v1/accounts/acct%'],
      ['GET', '/v1/jobs/%E0%A4%A'],
      ['GET', '/v1/jobs/%ED%A0%80'],
      ['POST', '/v1/jobs/%C0%AF/cancel'],
      ['POST', '/v1/jobs/%ff/requeue'],
      ['GET', '/v1/accounts/%%32%65'],
    ] as const);
    return {
      kind: 'malformed path',
      method,
      path,
      headers: JSON_HEADERS,
      ...(method === 'GET' ? {} : { body: json({ access_token: 'x' }) }),
    };
  },
  (r) => {
    const token = `pina_${r.string(12)}${r.pick([' ', '\t', '\n', '\r\n', '\u0000', '\u007f', 'é', '\u00a0'])}${r.string(6)}`;
    const body = r.int(2) === 0 ? { access_token: token } : { access_token: 'pina_ok', refresh_token: token };
    return { kind: 'bad token', method: 'PUT', path: '/v1/accounts/acct', headers: JSON_HEADERS, body: json(body) };
  },
  (r) => {
    const secret = `pina_${r.string(20).replace(/[\\"]/g, 'x')}`;
    const [method, path, body] = r.pick([
      ['PUT', '/v1/accounts/acct', `{"access_token":${secret}}`],
      ['PUT', '/v1/accounts/acct', `{"access_token":"${secret}"}}`],
      ['PUT', '/v1/accounts/acct', `{"access_token":"${secret}`],
      ['PUT', '/v1/accounts/acct', secret],
      ['PUT', '/v1/accounts/acct', `{'access_token':'${secret}'}`],
      ['POST', '/v1/pins', withRaw(`"metadata":{"token":${secret}}`)],
      ['POST', '/v1/pins', `${secret}`],
    ] as const);
    return { kind: 'non-JSON with a secret', method, path, headers: JSON_HEADERS, body, secret };
  },
];
