/**
 * The local Pinterest API v5 over real HTTP with fetch: Pinterest's shapes and error codes, exact
 * pin counts under every fault (including a create whose response never arrives), the per-user
 * rolling-window rate limit on an injected clock, continuous refresh, the /_sandbox control plane,
 * and `npm run sandbox` as a user runs it.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { connect } from 'node:net';
import { promisify } from 'node:util';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  SANDBOX_CLIENT_ID,
  SANDBOX_CLIENT_SECRET,
  startPinterestSandbox,
  type Fault,
  type PinterestSandbox,
} from '../../local/pinterest-sandbox.ts';

const T0 = Date.parse('2030-01-01T00:00:00.000Z');
let clock = T0;
const now = () => clock;

let sandbox: PinterestSandbox;
let alice: { accessToken: string; refreshToken: string };
let bob: { accessToken: string; refreshToken: string };

beforeAll(async () => {
  sandbox = await startPinterestSandbox({ now });
  alice = sandbox.addUser({ username: 'alice', boards: ['111', '222'] });
  sandbox.addBoard('alice', '333', ['444']);
  bob = sandbox.addUser({ username: 'bob', boards: ['999'] });
});
afterAll(async () => {
  await sandbox?.stop();
});
beforeEach(() => {
  clock = T0;
  sandbox.reset();
});

interface PinterestErrorBody {
  code: number;
  message: string;
}

const pinBody = (overrides: Record<string, unknown> = {}) => ({
  board_id: '111',
  title: 'Hello',
  link: 'https://example.com/hello',
  media_source: { source_type: 'image_url', url: 'https://example.com/hello.jpg' },
  ...overrides,
});

function createPin(token: string, body: unknown = pinBody(), init: RequestInit = {}): Promise<Response> {
  return fetch(`${sandbox.url}/v5/pins`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
    ...init,
  });
}

function listBoard(token: string, boardId: string, query = ''): Promise<Response> {
  return fetch(`${sandbox.url}/v5/boards/${boardId}/pins${query}`, { headers: { Authorization: `Bearer ${token}` } });
}

function refresh(refreshToken: string, client = `${SANDBOX_CLIENT_ID}:${SANDBOX_CLIENT_SECRET}`, extra: Record<string, string> = {}): Promise<Response> {
  return fetch(`${sandbox.url}/v5/oauth/token`, {
    method: 'POST',
    headers: { Authorization: `Basic ${Buffer.from(client).toString('base64')}`, 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken, ...extra }).toString(),
  });
}

async function expectError(response: Response | Promise<Response>, status: number, code: number, message?: string): Promise<PinterestErrorBody> {
  const res = await response;
  const body = (await res.json()) as PinterestErrorBody;
  expect({ status: res.status, code: body.code }).toEqual({ status, code });
  expect(typeof body.message).toBe('string');
  if (message !== undefined) expect(body.message).toBe(message);
  return body;
}

const until = async (condition: () => boolean, timeoutMs = 5_000) => {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
};

const listening = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
  });

describe('server', () => {
  it('listens on loopback only and refuses other hosts', async () => {
    expect(sandbox.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    await expect(startPinterestSandbox({ host: '0.0.0.0' })).rejects.toThrow(/loopback/);
  });

  it('stop() closes the listener and open keep-alive connections', async () => {
    const own = await startPinterestSandbox();
    const port = Number(new URL(own.url).port);
    expect((await fetch(`${own.url}/v5/user_account`)).status).toBe(401); // leaves a keep-alive connection
    await own.stop();
    await own.stop(); // idempotent
    expect(await listening(port)).toBe(false);
  });

  it('stop() drops responses still waiting on a slow fault instead of waiting for them', async () => {
    const own = await startPinterestSandbox();
    const { accessToken } = own.addUser({ username: 'slowpoke', boards: ['1'] });
    own.inject({ kind: 'slow', delayMs: 30_000 });
    const pending = fetch(`${own.url}/v5/pins`, { method: 'POST', headers: { Authorization: `Bearer ${accessToken}` }, body: JSON.stringify(pinBody({ board_id: '1' })) });
    await until(() => own.requests().length === 1);
    const started = Date.now();
    await own.stop();
    await expect(pending).rejects.toThrow();
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(own.pins()).toEqual([]);
  });

  it('answers unknown endpoints with 404 in Pinterest error shape', async () => {
    await expectError(fetch(`${sandbox.url}/v5/boards`, { headers: { Authorization: `Bearer ${alice.accessToken}` } }), 404, 404);
  });
});

describe('POST /v5/pins', () => {
  it('creates a pin: 201 with a Pin object, and records it with its owner', async () => {
    const res = await createPin(alice.accessToken, pinBody({ description: 'd', alt_text: 'a', note: 'n', board_section_id: undefined }));
    expect(res.status).toBe(201);
    expect(res.headers.get('content-type')).toBe('application/json');
    const pin = (await res.json()) as Record<string, any>;
    expect(pin).toMatchObject({
      board_id: '111',
      board_section_id: null,
      title: 'Hello',
      description: 'd',
      alt_text: 'a',
      link: 'https://example.com/hello',
      created_at: '2030-01-01T00:00:00',
      board_owner: { username: 'alice' },
      is_owner: true,
      pin_metrics: null,
      media: { media_type: 'image' },
    });
    expect(pin['id']).toMatch(/^\d{18}$/);
    expect(pin['dominant_color']).toMatch(/^#[0-9A-F]{6}$/);
    expect(Object.keys(pin['media'].images)).toEqual(['150x150', '400x300', '600x', '1200x']);

    expect(sandbox.pins()).toEqual([
      {
        id: pin['id'],
        board_id: '111',
        title: 'Hello',
        description: 'd',
        alt_text: 'a',
        note: 'n',
        link: 'https://example.com/hello',
        media_source: { source_type: 'image_url', url: 'https://example.com/hello.jpg' },
        created_at: '2030-01-01T00:00:00',
        user: 'alice',
      },
    ]);
  });

  it('gives every pin a distinct 18-digit id', async () => {
    const ids = new Set<string>();
    for (let i = 0; i < 20; i++) ids.add(((await (await createPin(alice.accessToken)).json()) as { id: string }).id);
    expect(ids.size).toBe(20);
    for (const id of ids) expect(id).toMatch(/^\d{18}$/);
  });

  it('accepts every media source type and a board section', async () => {
    const accepted = [
      { source_type: 'image_base64', content_type: 'image/png', data: Buffer.from('png-bytes').toString('base64') },
      { source_type: 'multiple_image_urls', items: [{ url: 'https://e.com/1.jpg' }, { url: 'https://e.com/2.jpg', title: 't', link: 'https://e.com/2' }] },
      { source_type: 'multiple_image_urls', items: [1, 2, 3, 4, 5].map((n) => ({ url: `https://e.com/${n}.jpg` })), index: 0 },
      { source_type: 'video_id', media_id: '12345', cover_image_url: 'https://e.com/cover.jpg' },
      { source_type: 'video_id', media_id: '12345', cover_image_key_frame_time: 2.5 },
    ];
    for (const media_source of accepted) expect((await createPin(alice.accessToken, pinBody({ media_source }))).status, JSON.stringify(media_source)).toBe(201);
    const sectioned = await createPin(alice.accessToken, pinBody({ board_id: '333', board_section_id: '444' }));
    expect(sectioned.status).toBe(201);
    expect(await sectioned.json()).toMatchObject({ board_id: '333', board_section_id: '444' });
    expect(sandbox.pins()).toHaveLength(accepted.length + 1);
    expect(sandbox.pins({ boardId: '333' })[0]).toMatchObject({ board_section_id: '444' });
  });

  it('counts characters, not UTF-16 units: a 100-emoji title is accepted, 101 is not', async () => {
    expect((await createPin(alice.accessToken, pinBody({ title: '😀'.repeat(100) }))).status).toBe(201);
    await expectError(createPin(alice.accessToken, pinBody({ title: '😀'.repeat(101) })), 400, 1);
  });

  it.each([
    ['body that is not JSON', '{"board_id":'],
    ['body that is an array', [pinBody()]],
    ['missing board_id', pinBody({ board_id: undefined })],
    ['board_id that is not digits', pinBody({ board_id: 'abc' })],
    ['board_id that is a number', pinBody({ board_id: 111 })],
    ['board_section_id that is not digits', pinBody({ board_section_id: 'x' })],
    ['title over 100 characters', pinBody({ title: 'x'.repeat(101) })],
    ['title that is not a string', pinBody({ title: 5 })],
    ['description over 800 characters', pinBody({ description: 'x'.repeat(801) })],
    ['link over 2048 characters', pinBody({ link: `https://example.com/${'x'.repeat(2030)}` })],
    ['alt_text over 500 characters', pinBody({ alt_text: 'x'.repeat(501) })],
    ['dominant_color that is not #RRGGBB', pinBody({ dominant_color: 'red' })],
    ['parent_pin_id that is not digits', pinBody({ parent_pin_id: 'p1' })],
    ['missing media_source', pinBody({ media_source: undefined })],
    ['unknown source_type', pinBody({ media_source: { source_type: 'gif_url', url: 'https://e.com/a.gif' } })],
    ['image_url without url', pinBody({ media_source: { source_type: 'image_url' } })],
    ['image_base64 with a bad content_type', pinBody({ media_source: { source_type: 'image_base64', content_type: 'image/gif', data: 'AAAA' } })],
    ['image_base64 without data', pinBody({ media_source: { source_type: 'image_base64', content_type: 'image/png' } })],
    ['multiple_image_urls with 1 item', pinBody({ media_source: { source_type: 'multiple_image_urls', items: [{ url: 'https://e.com/1.jpg' }] } })],
    [
      'multiple_image_urls with 6 items',
      pinBody({ media_source: { source_type: 'multiple_image_urls', items: [1, 2, 3, 4, 5, 6].map((n) => ({ url: `https://e.com/${n}.jpg` })) } }),
    ],
    ['video_id without media_id', pinBody({ media_source: { source_type: 'video_id', cover_image_url: 'https://e.com/c.jpg' } })],
    ['video_id without a cover', pinBody({ media_source: { source_type: 'video_id', media_id: '1' } })],
    ['video_id with both covers', pinBody({ media_source: { source_type: 'video_id', media_id: '1', cover_image_url: 'https://e.com/c.jpg', cover_image_key_frame_time: 1 } })],
  ])('rejects a %s with 400 code 1 and creates nothing', async (_name, body) => {
    await expectError(createPin(alice.accessToken, body), 400, 1);
    expect(sandbox.pins()).toEqual([]);
  });

  it.each([
    ['link', pinBody({ link: 'not a url' })],
    ['link with another scheme', pinBody({ link: 'ftp://example.com/a' })],
    ['image url', pinBody({ media_source: { source_type: 'image_url', url: 'javascript:alert(1)' } })],
    ['carousel item url', pinBody({ media_source: { source_type: 'multiple_image_urls', items: [{ url: 'https://e.com/1.jpg' }, { url: '/relative.jpg' }] } })],
  ])('rejects an invalid %s with Pinterest’s invalid-URL error', async (_name, body) => {
    await expectError(
      createPin(alice.accessToken, body),
      400,
      1,
      'Whoops! It looks like you entered an invalid URL. Try creating a Pin again with a valid URL.',
    );
    expect(sandbox.pins()).toEqual([]);
  });

  it('fails images whose URL path says too-small (403 code 233) or broken (403 code 235), deterministically', async () => {
    await expectError(createPin(alice.accessToken, pinBody({ media_source: { source_type: 'image_url', url: 'https://cdn.example.com/img/too-small.jpg' } })), 403, 233);
    await expectError(createPin(alice.accessToken, pinBody({ media_source: { source_type: 'image_url', url: 'https://cdn.example.com/broken/a.jpg' } })), 403, 235);
    const carousel = { source_type: 'multiple_image_urls', items: [{ url: 'https://e.com/ok.jpg' }, { url: 'https://e.com/broken.png' }] };
    await expectError(createPin(alice.accessToken, pinBody({ media_source: carousel })), 403, 235);
    // Only the path decides: a query string or host that says "broken" does not.
    expect((await createPin(alice.accessToken, pinBody({ media_source: { source_type: 'image_url', url: 'https://broken.example.com/a.jpg?x=too-small' } }))).status).toBe(201);
    expect(sandbox.pins()).toHaveLength(1);
  });

  it('answers 404 code 40 for a board of another user or an unknown board, 2031 for an unknown section', async () => {
    await expectError(createPin(alice.accessToken, pinBody({ board_id: '999' })), 404, 40, 'Board not found.');
    await expectError(createPin(alice.accessToken, pinBody({ board_id: '123456' })), 404, 40);
    await expectError(createPin(alice.accessToken, pinBody({ board_id: '333', board_section_id: '555' })), 404, 2031);
    await expectError(createPin(alice.accessToken, pinBody({ board_id: '111', board_section_id: '444' })), 404, 2031); // 444 is a section of board 333
    expect(sandbox.pins()).toEqual([]);
  });
});

describe('GET /v5/boards/{board_id}/pins', () => {
  it('lists the board’s pins newest first and pages with the bookmark', async () => {
    for (const n of [1, 2, 3, 4, 5]) {
      clock = T0 + n * 1000;
      expect((await createPin(alice.accessToken, pinBody({ title: `p${n}` }))).status).toBe(201);
    }
    await createPin(alice.accessToken, pinBody({ board_id: '222', title: 'elsewhere' }));

    const titles: string[][] = [];
    let bookmark: string | null | undefined;
    do {
      const res = await listBoard(alice.accessToken, '111', `?page_size=2${bookmark ? `&bookmark=${encodeURIComponent(bookmark)}` : ''}`);
      expect(res.status).toBe(200);
      const page = (await res.json()) as { items: { title: string; created_at: string }[]; bookmark: string | null };
      titles.push(page.items.map((p) => p.title));
      bookmark = page.bookmark;
    } while (bookmark);
    expect(titles).toEqual([['p5', 'p4'], ['p3', 'p2'], ['p1']]);

    const all = (await (await listBoard(alice.accessToken, '111')).json()) as { items: { created_at: string }[]; bookmark: null };
    expect(all.bookmark).toBeNull();
    expect(all.items.map((p) => p.created_at)).toEqual(['2030-01-01T00:00:05', '2030-01-01T00:00:04', '2030-01-01T00:00:03', '2030-01-01T00:00:02', '2030-01-01T00:00:01']);
  });

  it('pages by cursor: a pin created between pages does not shift the next page', async () => {
    for (const n of [1, 2, 3]) await createPin(alice.accessToken, pinBody({ title: `p${n}` }));
    const first = (await (await listBoard(alice.accessToken, '111', '?page_size=2')).json()) as { items: { title: string }[]; bookmark: string };
    await createPin(alice.accessToken, pinBody({ title: 'p4' }));
    const second = (await (await listBoard(alice.accessToken, '111', `?page_size=2&bookmark=${first.bookmark}`)).json()) as { items: { title: string }[] };
    expect([...first.items, ...second.items].map((p) => p.title)).toEqual(['p3', 'p2', 'p1']);
  });

  it('defaults page_size to 25 and allows 250', async () => {
    for (let n = 0; n < 27; n++) await createPin(alice.accessToken);
    const page = (await (await listBoard(alice.accessToken, '111')).json()) as { items: unknown[]; bookmark: string | null };
    expect(page.items).toHaveLength(25);
    expect(page.bookmark).toEqual(expect.any(String));
    const big = (await (await listBoard(alice.accessToken, '111', '?page_size=250')).json()) as { items: unknown[]; bookmark: string | null };
    expect(big.items).toHaveLength(27);
    expect(big.bookmark).toBeNull();
  });

  it.each(['0', '251', 'abc', '2.5', ''])('rejects page_size=%s with 400 code 1', async (size) => {
    await expectError(listBoard(alice.accessToken, '111', `?page_size=${size}`), 400, 1);
  });

  it('rejects a bookmark that is garbage or from another board', async () => {
    for (let n = 0; n < 3; n++) await createPin(alice.accessToken, pinBody({ board_id: '222' }));
    const other = (await (await listBoard(alice.accessToken, '222', '?page_size=1')).json()) as { bookmark: string };
    await expectError(listBoard(alice.accessToken, '111', `?bookmark=${other.bookmark}`), 400, 1);
    await expectError(listBoard(alice.accessToken, '111', '?bookmark=not-a-bookmark'), 400, 1);
  });

  it('answers 404 code 40 for another user’s board and an unknown board', async () => {
    await createPin(bob.accessToken, pinBody({ board_id: '999' }));
    await expectError(listBoard(alice.accessToken, '999'), 404, 40);
    await expectError(listBoard(alice.accessToken, '424242'), 404, 40);
    expect(((await (await listBoard(bob.accessToken, '999')).json()) as { items: unknown[] }).items).toHaveLength(1);
  });
});

describe('authentication', () => {
  const endpoints = (token?: string) => {
    const headers: Record<string, string> = { 'Content-Type': 'application/json', ...(token ? { Authorization: `Bearer ${token}` } : {}) };
    return [
      fetch(`${sandbox.url}/v5/pins`, { method: 'POST', headers, body: JSON.stringify(pinBody()) }),
      fetch(`${sandbox.url}/v5/boards/111/pins`, { headers }),
      fetch(`${sandbox.url}/v5/user_account`, { headers }),
    ];
  };

  it('answers 401 code 2 "Authentication failed." without a token, with an unknown one, and with Basic auth', async () => {
    for (const token of [undefined, 'pina_unknown']) {
      for (const res of endpoints(token)) await expectError(res, 401, 2, 'Authentication failed.');
    }
    const basic = await fetch(`${sandbox.url}/v5/user_account`, { headers: { Authorization: `Basic ${Buffer.from('a:b').toString('base64')}` } });
    await expectError(basic, 401, 2);
    expect(sandbox.pins()).toEqual([]);
  });

  it('answers 401 for an expired access token (expireAccessToken, or its lifetime on the clock)', async () => {
    const carol = sandbox.addUser({ username: 'carol', boards: ['700'] });
    sandbox.expireAccessToken(carol.accessToken);
    for (const res of endpoints(carol.accessToken)) await expectError(res, 401, 2);

    const dave = sandbox.addUser({ username: 'dave', boards: ['701'], accessTokenExpiresAt: T0 + 1000 });
    expect((await fetch(`${sandbox.url}/v5/user_account`, { headers: { Authorization: `Bearer ${dave.accessToken}` } })).status).toBe(200);
    clock = T0 + 1000;
    await expectError(fetch(`${sandbox.url}/v5/user_account`, { headers: { Authorization: `Bearer ${dave.accessToken}` } }), 401, 2);
  });

  it('tells the token’s user on GET /v5/user_account', async () => {
    const res = await fetch(`${sandbox.url}/v5/user_account`, { headers: { Authorization: `Bearer ${alice.accessToken}` } });
    expect(await res.json()).toMatchObject({ username: 'alice', account_type: 'BUSINESS', board_count: 3, id: expect.stringMatching(/^\d+$/) });
  });
});

describe('POST /v5/oauth/token (continuous refresh)', () => {
  it('returns a new access and refresh token; the old refresh token dies at once, the new pair works', async () => {
    const erin = sandbox.addUser({ username: 'erin', boards: ['800'] });
    const res = await refresh(erin.refreshToken);
    expect(res.status).toBe(200);
    const tokens = (await res.json()) as Record<string, unknown>;
    expect(tokens).toEqual({
      access_token: expect.stringMatching(/^pina_/),
      refresh_token: expect.stringMatching(/^pinr_/),
      response_type: 'refresh_token',
      token_type: 'bearer',
      expires_in: 2_592_000,
      refresh_token_expires_in: 5_184_000,
      refresh_token_expires_at: Math.floor(T0 / 1000) + 5_184_000,
      scope: expect.stringContaining('pins:write'),
    });
    expect(tokens['refresh_token']).not.toBe(erin.refreshToken);
    expect(tokens['access_token']).not.toBe(erin.accessToken);

    await expectError(refresh(erin.refreshToken), 400, 283, 'The authorization grant is invalid');
    expect((await createPin(tokens['access_token'] as string, pinBody({ board_id: '800' }))).status).toBe(201);
    // Decision (docs/sandbox.md): the previous access token stays valid until it expires.
    expect((await createPin(erin.accessToken, pinBody({ board_id: '800' }))).status).toBe(201);

    const again = (await (await refresh(tokens['refresh_token'] as string)).json()) as { refresh_token: string };
    expect(again.refresh_token).toMatch(/^pinr_/);
    await expectError(refresh(tokens['refresh_token'] as string), 400, 283);
  });

  it('lets only one of two concurrent refreshes with the same token win', async () => {
    const frank = sandbox.addUser({ username: 'frank' });
    const statuses = (await Promise.all([refresh(frank.refreshToken), refresh(frank.refreshToken)])).map((r) => r.status).sort();
    expect(statuses).toEqual([200, 400]);
  });

  it('issues access tokens that expire after 30 days on the sandbox clock', async () => {
    const gina = sandbox.addUser({ username: 'gina', boards: ['801'] });
    const { access_token } = (await (await refresh(gina.refreshToken)).json()) as { access_token: string };
    clock = T0 + 30 * 24 * 3600 * 1000 - 1;
    expect((await createPin(access_token, pinBody({ board_id: '801' }))).status).toBe(201);
    clock += 1;
    await expectError(createPin(access_token, pinBody({ board_id: '801' })), 401, 2);
  });

  it('honours an optional scope', async () => {
    const hank = sandbox.addUser({ username: 'hank' });
    const tokens = (await (await refresh(hank.refreshToken, undefined, { scope: 'pins:read' })).json()) as { scope: string };
    expect(tokens.scope).toBe('pins:read');
  });

  it('answers 401 code 2 for missing or wrong client credentials, without spending the refresh token', async () => {
    const ida = sandbox.addUser({ username: 'ida' });
    await expectError(refresh(ida.refreshToken, `${SANDBOX_CLIENT_ID}:wrong`), 401, 2, 'Authentication failed.');
    await expectError(refresh(ida.refreshToken, `someone-else:${SANDBOX_CLIENT_SECRET}`), 401, 2);
    const noAuth = await fetch(`${sandbox.url}/v5/oauth/token`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: `grant_type=refresh_token&refresh_token=${ida.refreshToken}`,
    });
    await expectError(noAuth, 401, 2);
    expect((await refresh(ida.refreshToken)).status).toBe(200);
  });

  it('answers 400 code 283 for revoked, expired and unknown refresh tokens', async () => {
    const jan = sandbox.addUser({ username: 'jan' });
    sandbox.revokeRefreshToken(jan.refreshToken);
    await expectError(refresh(jan.refreshToken), 400, 283);
    const kim = sandbox.addUser({ username: 'kim', refreshTokenExpiresAt: T0 + 5000 });
    clock = T0 + 5000;
    await expectError(refresh(kim.refreshToken), 400, 283);
    await expectError(refresh('pinr_never_issued'), 400, 283);
  });

  it('answers 400 code 1 for a missing or unsupported grant_type', async () => {
    const lou = sandbox.addUser({ username: 'lou' });
    const post = (body: string) =>
      fetch(`${sandbox.url}/v5/oauth/token`, {
        method: 'POST',
        headers: { Authorization: `Basic ${Buffer.from(`${SANDBOX_CLIENT_ID}:${SANDBOX_CLIENT_SECRET}`).toString('base64')}` },
        body,
      });
    await expectError(post(`refresh_token=${lou.refreshToken}`), 400, 1);
    await expectError(post(`grant_type=authorization_code&code=abc`), 400, 1);
    await expectError(post('grant_type=refresh_token'), 400, 1);
  });
});

describe('faults', () => {
  afterEach(() => sandbox.clearFaults());

  it.each<[Fault, number, number]>([
    [{ kind: 'status', status: 500 }, 500, 500],
    [{ kind: 'status', status: 502 }, 502, 502],
    [{ kind: 'status', status: 503 }, 503, 503],
    [{ kind: 'status', status: 504 }, 504, 504],
    [{ kind: 'board_not_found' }, 404, 40],
    [{ kind: 'section_not_found' }, 404, 2031],
    [{ kind: 'forbidden_trial' }, 403, 29],
    [{ kind: 'image_too_small' }, 403, 233],
    [{ kind: 'broken_image' }, 403, 235],
    [{ kind: 'invalid' }, 400, 1],
    [{ kind: 'unauthorized' }, 401, 2],
    [{ kind: 'rate_limit' }, 429, 8],
  ])('%o answers %i code %i once, creates nothing, then the next request succeeds', async (fault, status, code) => {
    sandbox.inject(fault);
    await expectError(createPin(alice.accessToken), status, code);
    expect(sandbox.pins()).toEqual([]);
    expect((await createPin(alice.accessToken)).status).toBe(201);
    expect(sandbox.pins()).toHaveLength(1);
    expect(sandbox.requests().map((r) => [r.status, r.fault])).toEqual([
      [status, fault.kind],
      [201, undefined],
    ]);
  });

  it('status and invalid faults carry a given code and message', async () => {
    sandbox.inject({ kind: 'status', status: 503, code: 7, message: 'Down for maintenance' });
    await expectError(createPin(alice.accessToken), 503, 7, 'Down for maintenance');
    sandbox.inject({ kind: 'invalid', message: 'Nope' });
    await expectError(createPin(alice.accessToken), 400, 1, 'Nope');
  });

  it('rate_limit sends Retry-After only when given', async () => {
    sandbox.inject({ kind: 'rate_limit', retryAfterSeconds: 17 });
    sandbox.inject({ kind: 'rate_limit' });
    const withHeader = await createPin(alice.accessToken);
    expect([withHeader.status, withHeader.headers.get('retry-after')]).toEqual([429, '17']);
    const without = await createPin(alice.accessToken);
    expect([without.status, without.headers.get('retry-after')]).toEqual([429, null]);
  });

  it('malformed_success answers 201 with a body that is not a Pin and creates nothing', async () => {
    sandbox.inject({ kind: 'malformed_success' });
    const res = await createPin(alice.accessToken);
    expect(res.status).toBe(201);
    expect(await res.json()).toEqual({ ok: true });
    expect(sandbox.pins()).toEqual([]);
  });

  it('drop_after_create: fetch rejects, yet exactly one pin exists and the board lists it', async () => {
    sandbox.inject({ kind: 'drop_after_create' });
    await expect(createPin(alice.accessToken, pinBody({ title: 'lost response' }))).rejects.toThrow();
    expect(sandbox.pins()).toHaveLength(1);
    const listed = (await (await listBoard(alice.accessToken, '111')).json()) as { items: { title: string }[] };
    expect(listed.items.map((p) => p.title)).toEqual(['lost response']);
    expect(sandbox.requests()[0]).toMatchObject({ method: 'POST', path: '/v5/pins', status: 0, fault: 'drop_after_create', user: 'alice' });
  });

  it('drop_after_create on an invalid request drops the connection and creates nothing', async () => {
    sandbox.inject({ kind: 'drop_after_create' });
    await expect(createPin(alice.accessToken, pinBody({ board_id: '999' }))).rejects.toThrow();
    expect(sandbox.pins()).toEqual([]);
  });

  it('drop_before: fetch rejects and nothing is created', async () => {
    sandbox.inject({ kind: 'drop_before' });
    await expect(createPin(alice.accessToken)).rejects.toThrow();
    expect(sandbox.pins()).toEqual([]);
    expect(sandbox.requests()[0]).toMatchObject({ status: 0, fault: 'drop_before' });
  });

  it('slow: a client timeout shorter than the delay fails, and the pin is still created after the delay', async () => {
    sandbox.inject({ kind: 'slow', delayMs: 1_000 });
    const started = Date.now();
    await expect(createPin(alice.accessToken, pinBody(), { signal: AbortSignal.timeout(100) })).rejects.toThrow(/abort|timeout/i);
    expect(sandbox.pins()).toEqual([]); // still waiting: the client gave up first
    await until(() => sandbox.pins().length === 1);
    expect(Date.now() - started).toBeGreaterThanOrEqual(990);
    expect(sandbox.requests()[0]).toMatchObject({ fault: 'slow', status: 201 }); // answered into a closed connection
  });

  it('slow: a patient client gets the normal answer after the delay', async () => {
    sandbox.inject({ kind: 'slow', delayMs: 150 });
    const started = Date.now();
    const res = await createPin(alice.accessToken);
    expect(res.status).toBe(201);
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
    expect(sandbox.requests()[0]).toMatchObject({ status: 201, fault: 'slow' });
  });

  it('times: hits that many matching requests, then stops', async () => {
    sandbox.inject({ kind: 'status', status: 503 }, { times: 2 });
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await createPin(alice.accessToken)).status);
    expect(statuses).toEqual([503, 503, 201]);
  });

  it('is consumed only by matching requests: POST /v5/pins by default', async () => {
    sandbox.inject({ kind: 'status', status: 503 });
    expect((await listBoard(alice.accessToken, '111')).status).toBe(200);
    expect((await refresh(sandbox.addUser({ username: 'mo' }).refreshToken)).status).toBe(200);
    expect((await createPin(alice.accessToken)).status).toBe(503);
  });

  it('matches by user, by method, and by path as a regular expression string or RegExp', async () => {
    sandbox.inject({ kind: 'forbidden_trial' }, { match: { user: 'bob' } });
    expect((await createPin(alice.accessToken)).status).toBe(201);
    await expectError(createPin(bob.accessToken, pinBody({ board_id: '999' })), 403, 29);

    sandbox.inject({ kind: 'status', status: 502 }, { match: { path: '/v5/boards/\\d+/pins' } });
    expect((await createPin(alice.accessToken)).status).toBe(201);
    expect((await listBoard(alice.accessToken, '111')).status).toBe(502);

    sandbox.inject({ kind: 'drop_before' }, { match: { method: 'get', path: /^\/v5\/boards\// } });
    await expect(listBoard(alice.accessToken, '222')).rejects.toThrow();

    sandbox.inject({ kind: 'status', status: 500 }, { match: { path: '/v5/oauth/token' } });
    await expectError(refresh(sandbox.addUser({ username: 'nia' }).refreshToken), 500, 500);
  });

  it('hits requests with an invalid token too (faults come before normal handling)', async () => {
    sandbox.inject({ kind: 'status', status: 503 });
    await expectError(createPin('pina_bogus'), 503, 503);
  });

  it('injectRate is reproducible by seed', async () => {
    const run = async (seed: number) => {
      sandbox.reset();
      sandbox.injectRate({ kind: 'status', status: 503 }, 0.5, { seed });
      const statuses: number[] = [];
      for (let i = 0; i < 24; i++) statuses.push((await createPin(alice.accessToken)).status);
      return statuses;
    };
    const first = await run(42);
    expect(await run(42)).toEqual(first);
    expect(first).toContain(503);
    expect(first).toContain(201);
    expect(sandbox.pins()).toHaveLength(first.filter((s) => s === 201).length);
    expect(await run(7)).not.toEqual(first);
  });

  it('injectRate with probability 0 never fires and 1 always fires, until cleared', async () => {
    sandbox.injectRate({ kind: 'status', status: 500 }, 0);
    expect((await createPin(alice.accessToken)).status).toBe(201);
    sandbox.clearFaults();
    sandbox.injectRate({ kind: 'status', status: 500 }, 1);
    for (let i = 0; i < 3; i++) expect((await createPin(alice.accessToken)).status).toBe(500);
    sandbox.clearFaults();
    expect((await createPin(alice.accessToken)).status).toBe(201);
  });

  it('refuses malformed faults', () => {
    expect(() => sandbox.inject({ kind: 'status', status: 501 } as unknown as Fault)).toThrow(TypeError);
    expect(() => sandbox.inject({ kind: 'explode' } as unknown as Fault)).toThrow(TypeError);
    expect(() => sandbox.inject({ kind: 'slow', delayMs: -1 })).toThrow(TypeError);
    expect(() => sandbox.inject({ kind: 'drop_before' }, { times: 0 })).toThrow(TypeError);
    expect(() => sandbox.injectRate({ kind: 'drop_before' }, 1.5)).toThrow(TypeError);
  });
});

describe('rate limit (org_write, per user, rolling 60 s)', () => {
  let limited: PinterestSandbox;
  let ann: { accessToken: string };
  let ben: { accessToken: string };

  beforeAll(async () => {
    limited = await startPinterestSandbox({ now, ratePerMinute: 5 });
    ann = limited.addUser({ username: 'ann', boards: ['10'] });
    ben = limited.addUser({ username: 'ben', boards: ['20'] });
  });
  afterAll(() => limited?.stop());
  beforeEach(() => limited.reset());

  const post = (token: string, board: string, body: Record<string, unknown> = {}) =>
    fetch(`${limited.url}/v5/pins`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
      body: JSON.stringify(pinBody({ board_id: board, ...body })),
    });

  it('allows 5 in a minute, answers the 6th with 429 code 8 without creating, and allows again 60 s later', async () => {
    const remaining: (string | null)[] = [];
    for (let i = 0; i < 5; i++) {
      clock = T0 + i * 1000;
      const res = await post(ann.accessToken, '10');
      expect(res.status).toBe(201);
      expect(res.headers.get('x-ratelimit-limit')).toBe('5');
      remaining.push(res.headers.get('x-ratelimit-remaining'));
    }
    expect(remaining).toEqual(['4', '3', '2', '1', '0']);

    clock = T0 + 59_999;
    const sixth = await post(ann.accessToken, '10');
    await expectError(sixth, 429, 8);
    expect(sixth.headers.get('retry-after')).toBe('1');
    expect(limited.pins()).toHaveLength(5);

    clock = T0 + 60_000; // the first request has left the window
    expect((await post(ann.accessToken, '10')).status).toBe(201);
    await expectError(post(ann.accessToken, '10'), 429, 8);
    expect(limited.pins()).toHaveLength(6);
  });

  it('is a rolling window, not a fixed minute', async () => {
    for (let i = 0; i < 3; i++) expect((await post(ann.accessToken, '10')).status).toBe(201); // t = 0 s
    clock = T0 + 30_000;
    for (let i = 0; i < 2; i++) expect((await post(ann.accessToken, '10')).status).toBe(201); // t = 30 s
    clock = T0 + 60_000; // the three from t = 0 expire, the two from t = 30 s do not
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push((await post(ann.accessToken, '10')).status);
    expect(statuses).toEqual([201, 201, 201, 429]);
  });

  it('counts per user: one user at the limit does not limit another', async () => {
    for (let i = 0; i < 5; i++) await post(ann.accessToken, '10');
    await expectError(post(ann.accessToken, '10'), 429, 8);
    expect((await post(ben.accessToken, '20')).status).toBe(201);
  });

  it('counts admitted requests that then fail validation, but not rejected (429) ones', async () => {
    for (let i = 0; i < 5; i++) expect((await post(ann.accessToken, '10', { title: 'x'.repeat(101) })).status).toBe(400);
    for (let i = 0; i < 3; i++) await expectError(post(ann.accessToken, '10'), 429, 8);
    clock = T0 + 60_000;
    for (let i = 0; i < 5; i++) expect((await post(ann.accessToken, '10')).status).toBe(201); // the 429s did not extend the wait
    expect(limited.pins()).toHaveLength(5);
  });

  it('does not count reads, injected faults, or unauthenticated requests', async () => {
    for (let i = 0; i < 10; i++) expect((await fetch(`${limited.url}/v5/boards/10/pins`, { headers: { Authorization: `Bearer ${ann.accessToken}` } })).status).toBe(200);
    limited.inject({ kind: 'status', status: 503 }, { times: 3 });
    for (let i = 0; i < 3; i++) expect((await post(ann.accessToken, '10')).status).toBe(503);
    for (let i = 0; i < 3; i++) expect((await post('pina_nobody', '10')).status).toBe(401);
    for (let i = 0; i < 5; i++) expect((await post(ann.accessToken, '10')).status).toBe(201);
  });

  it('takes a per-user limit from addUser', async () => {
    const cy = limited.addUser({ username: 'cy', boards: ['30'], ratePerMinute: 2 });
    expect([(await post(cy.accessToken, '30')).status, (await post(cy.accessToken, '30')).status]).toEqual([201, 201]);
    const third = await post(cy.accessToken, '30');
    expect(third.status).toBe(429);
    expect(third.headers.get('x-ratelimit-limit')).toBe('2');
  });

  it('logs every request so a caller can check its own rolling windows', async () => {
    for (let i = 0; i < 7; i++) {
      clock = T0 + i * 10_000;
      await post(ann.accessToken, '10');
    }
    const log = limited.requests();
    expect(log.map((r) => r.at - T0)).toEqual([0, 10_000, 20_000, 30_000, 40_000, 50_000, 60_000]);
    expect(log.map((r) => r.status)).toEqual([201, 201, 201, 201, 201, 429, 201]);
    expect(log.every((r) => r.user === 'ann' && r.method === 'POST' && r.path === '/v5/pins')).toBe(true);
  });
});

describe('fault modes for pacing: a lower real limit, 429 on the n-th request, 429 on reads, per-account rates', () => {
  let paced: PinterestSandbox;
  let ann: { accessToken: string };
  let ben: { accessToken: string };

  beforeAll(async () => {
    paced = await startPinterestSandbox({ now, ratePerMinute: 60 });
    ann = paced.addUser({ username: 'ann', boards: ['10'] });
    ben = paced.addUser({ username: 'ben', boards: ['20'] });
  });
  afterAll(() => paced?.stop());
  beforeEach(() => {
    paced.reset();
    paced.setLimits('ann', { ratePerMinute: null, readRatePerMinute: null, rateLimitRetryAfter: null });
  });

  const post = (token: string, board: string) =>
    fetch(`${paced.url}/v5/pins`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
      body: JSON.stringify(pinBody({ board_id: board })),
    });
  const list = (token: string, board: string) => fetch(`${paced.url}/v5/boards/${board}/pins`, { headers: { Authorization: `Bearer ${token}` } });

  it('a real limit lower than the configured one, set while running; its 429s logged as the limiter’s, with or without Retry-After', async () => {
    paced.setLimits('ann', { ratePerMinute: 3, rateLimitRetryAfter: false });
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push((await post(ann.accessToken, '10')).status);
    expect(statuses).toEqual([201, 201, 201, 429]);
    const refused = await post(ann.accessToken, '10');
    await expectError(refused, 429, 8);
    expect(refused.headers.get('retry-after')).toBeNull(); // real Pinterest may send none
    expect(refused.headers.get('x-ratelimit-limit')).toBe('3');
    expect(paced.requests().map((r) => r.limiter ?? null)).toEqual([null, null, null, 'org_write', 'org_write']);
    expect(paced.requests().every((r) => r.fault === undefined)).toBe(true);

    paced.setLimits('ann', { rateLimitRetryAfter: true });
    expect((await post(ann.accessToken, '10')).headers.get('retry-after')).toBe('60');
    paced.setLimits('ann', { ratePerMinute: null }); // back to the sandbox's 60
    expect((await post(ann.accessToken, '10')).status).toBe(201);
    expect((await post(ben.accessToken, '20')).status).toBe(201); // never affected
    expect(() => paced.setLimits('nobody', { ratePerMinute: 1 })).toThrow('unknown user');
    expect(() => paced.setLimits('ann', { ratePerMinute: 0 })).toThrow('ratePerMinute');
  });

  it('429 with Retry-After at the n-th matching request: the first n − 1 go through, then `times` are hit', async () => {
    paced.inject({ kind: 'rate_limit', retryAfterSeconds: 20 }, { nth: 3, times: 2, match: { user: 'ann' } });
    const faults = (await (await fetch(`${paced.url}/_sandbox/faults`)).json()) as { faults: unknown[] };
    expect(faults.faults[0]).toMatchObject({ remaining: 2, nth: 3 });

    const statuses: number[] = [];
    const retryAfter: (string | null)[] = [];
    for (let i = 0; i < 5; i++) {
      const res = await post(ann.accessToken, '10');
      statuses.push(res.status);
      retryAfter.push(res.headers.get('retry-after'));
      if (i === 0) expect((await post(ben.accessToken, '20')).status).toBe(201); // another user's creates do not count
    }
    expect(statuses).toEqual([201, 201, 429, 429, 201]);
    expect(retryAfter.slice(2, 4)).toEqual(['20', '20']);
    expect(paced.requests().filter((r) => r.fault === 'rate_limit')).toHaveLength(2);

    // Over the control plane too.
    const armed = await fetch(`${paced.url}/_sandbox/faults`, { method: 'POST', body: JSON.stringify({ fault: { kind: 'rate_limit', retryAfterSeconds: 5 }, nth: 2 }) });
    expect(armed.status).toBe(201);
    expect([(await post(ann.accessToken, '10')).status, (await post(ann.accessToken, '10')).status]).toEqual([201, 429]);
    const both = await fetch(`${paced.url}/_sandbox/faults`, { method: 'POST', body: JSON.stringify({ fault: { kind: 'rate_limit' }, nth: 2, probability: 0.5 }) });
    expect(both.status).toBe(400);
    expect(() => paced.inject({ kind: 'rate_limit' }, { nth: 0 })).toThrow('nth');
  });

  it('429 on reads: a read limit per user (org_read), apart from writes, and faults on the listing path', async () => {
    paced.setLimits('ann', { readRatePerMinute: 2 });
    expect([(await list(ann.accessToken, '10')).status, (await list(ann.accessToken, '10')).status]).toEqual([200, 200]);
    const third = await list(ann.accessToken, '10');
    await expectError(third, 429, 8);
    expect(third.headers.get('retry-after')).toBe('60');
    expect(paced.requests().at(-1)).toMatchObject({ method: 'GET', status: 429, limiter: 'org_read' });
    expect((await post(ann.accessToken, '10')).status).toBe(201); // writes have their own limit
    expect((await list(ben.accessToken, '20')).status).toBe(200); // and so does every other user
    clock = T0 + 60_000;
    expect((await list(ann.accessToken, '10')).status).toBe(200);

    paced.inject({ kind: 'rate_limit', retryAfterSeconds: 7 }, { match: { path: '/v5/boards/.*/pins' } });
    const faulted = await list(ben.accessToken, '20');
    await expectError(faulted, 429, 8);
    expect(faulted.headers.get('retry-after')).toBe('7');
  });

  it('per-account fault rates: each user its own seeded rate, reproducibly', async () => {
    const run = async () => {
      paced.reset();
      paced.injectRate({ kind: 'status', status: 503 }, 0.5, { seed: 7, match: { user: 'ann' } });
      paced.injectRate({ kind: 'rate_limit' }, 0.1, { seed: 8, match: { user: 'ben' } });
      const out: string[] = [];
      for (let i = 0; i < 20; i++) {
        clock = T0 + i * 1000;
        out.push(`a${(await post(ann.accessToken, '10')).status}`, `b${(await post(ben.accessToken, '20')).status}`);
      }
      return out;
    };
    const first = await run();
    const annFaults = first.filter((o) => o === 'a503').length;
    const benFaults = first.filter((o) => o === 'b429').length;
    expect(annFaults).toBeGreaterThan(benFaults);
    expect(first.filter((o) => o === 'a429' || o === 'b503')).toEqual([]); // each rate hits its own user only
    expect(await run()).toEqual(first); // same seeds, same sequence
  });
});

describe('/_sandbox control plane', () => {
  const control = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${sandbox.url}/_sandbox${path}`, {
      method,
      ...(body === undefined ? {} : { headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) }),
    });
    return { status: res.status, body: (await res.json()) as any };
  };

  it('adds users and boards whose tokens work on the API', async () => {
    const added = await control('POST', '/users', { username: 'olga', boards: ['5000'], ratePerMinute: 3 });
    expect(added.status).toBe(201);
    expect(added.body).toEqual({ username: 'olga', accessToken: expect.stringMatching(/^pina_/), refreshToken: expect.stringMatching(/^pinr_/) });
    expect((await control('POST', '/boards', { username: 'olga', boardId: '5001', sections: ['6000'] })).status).toBe(201);
    expect((await createPin(added.body.accessToken, pinBody({ board_id: '5001', board_section_id: '6000' }))).status).toBe(201);
    const fixed = await control('POST', '/users', { username: 'pat', accessToken: 'pina_fixed_pat', refreshToken: 'pinr_fixed_pat' });
    expect(fixed.body).toMatchObject({ accessToken: 'pina_fixed_pat', refreshToken: 'pinr_fixed_pat' });
    expect((await control('POST', '/users', { username: 'not valid!' })).status).toBe(400);
    expect((await control('POST', '/users', { username: 'quinn', boards: ['111'] })).status).toBe(400); // alice's board
  });

  it('lists pins with per-board counts and filters, and the request log', async () => {
    await createPin(alice.accessToken);
    await createPin(alice.accessToken);
    await createPin(alice.accessToken, pinBody({ board_id: '222' }));
    await createPin(bob.accessToken, pinBody({ board_id: '999' }));
    const all = await control('GET', '/pins');
    expect(all.body.total).toBe(4);
    expect(all.body.counts).toEqual({ '111': 2, '222': 1, '999': 1 });
    expect(all.body.pins[0]).toMatchObject({ board_id: '111', user: 'alice' });
    expect((await control('GET', '/pins?board_id=222')).body.total).toBe(1);
    expect((await control('GET', '/pins?user=bob')).body.counts).toEqual({ '999': 1 });
    const log = await control('GET', '/requests');
    expect(log.body.requests).toHaveLength(4); // /_sandbox calls are not logged
    expect(log.body.requests[3]).toMatchObject({ method: 'POST', path: '/v5/pins', user: 'bob', status: 201 });
  });

  it('injects, lists and clears faults (times, probability with seed, match with a path regex)', async () => {
    expect((await control('POST', '/faults', { fault: { kind: 'status', status: 503 }, times: 2 })).status).toBe(201);
    expect((await control('POST', '/faults', { fault: { kind: 'drop_before' }, probability: 0.25, seed: 9, match: { path: '/v5/boards/.*/pins' } })).status).toBe(201);
    const listed = await control('GET', '/faults');
    expect(listed.body.faults).toEqual([
      { fault: { kind: 'status', status: 503 }, match: { method: 'POST', path: '/v5/pins' }, remaining: 2 },
      { fault: { kind: 'drop_before' }, match: { method: '*', path: '/v5/boards/.*/pins' }, probability: 0.25, seed: 9 },
    ]);
    expect((await createPin(alice.accessToken)).status).toBe(503);
    expect((await control('DELETE', '/faults')).body).toEqual({ ok: true, cleared: 2 });
    expect((await createPin(alice.accessToken)).status).toBe(201);

    expect((await control('POST', '/faults', { fault: { kind: 'rate_limit', retryAfterSeconds: 3 }, match: { user: 'alice' } })).status).toBe(201);
    const limited = await createPin(alice.accessToken);
    expect([limited.status, limited.headers.get('retry-after')]).toEqual([429, '3']);
  });

  it('refuses bad fault requests with 400', async () => {
    expect((await control('POST', '/faults', { fault: { kind: 'nope' } })).status).toBe(400);
    expect((await control('POST', '/faults', { fault: { kind: 'drop_before' }, times: 1, probability: 0.5 })).status).toBe(400);
    expect((await control('POST', '/faults', { fault: { kind: 'drop_before' }, match: { path: '(' } })).status).toBe(400);
    const notJson = await fetch(`${sandbox.url}/_sandbox/faults`, { method: 'POST', body: '{' });
    expect(notJson.status).toBe(400);
    expect((await control('GET', '/nothing')).status).toBe(404);
  });

  it('expires access tokens and revokes refresh tokens', async () => {
    const rita = sandbox.addUser({ username: 'rita', boards: ['900'] });
    expect((await control('POST', '/tokens/expire', { accessToken: rita.accessToken })).status).toBe(200);
    await expectError(createPin(rita.accessToken, pinBody({ board_id: '900' })), 401, 2);
    expect((await control('POST', '/tokens/revoke', { refreshToken: rita.refreshToken })).status).toBe(200);
    await expectError(refresh(rita.refreshToken), 400, 283);
    expect((await control('POST', '/tokens/revoke', { refreshToken: 'pinr_unknown' })).status).toBe(400);
  });

  it('resets pins, the log, faults and rate windows, keeping users and tokens', async () => {
    await createPin(alice.accessToken);
    sandbox.inject({ kind: 'status', status: 503 });
    expect((await control('POST', '/reset')).body).toEqual({ ok: true });
    expect(sandbox.pins()).toEqual([]);
    expect(sandbox.requests()).toEqual([]);
    expect((await createPin(alice.accessToken)).status).toBe(201);
  });
});

describe('npm run sandbox (local/sandbox.ts)', () => {
  const ROOT = new URL('../../', import.meta.url).pathname;
  const run = promisify(execFile);
  const children: ChildProcess[] = [];
  afterEach(() => {
    for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
  });

  function startCli(env: Record<string, string>): { child: ChildProcess; output: () => string; exited: Promise<number | null> } {
    const child = spawn(process.execPath, ['--import', 'tsx', 'local/sandbox.ts'], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(child);
    let output = '';
    child.stdout!.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr!.on('data', (c: Buffer) => (output += c.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    return { child, output: () => output, exited };
  }

  it('prints the demo credentials and working curls, then stops on SIGINT leaving the port closed', async () => {
    const cli = startCli({ PORT: '0' });
    await until(() => /^pinterest sandbox ready on http:\/\/127\.0\.0\.1:\d+$/m.test(cli.output()) || cli.child.exitCode !== null, 20_000);
    const url = /^pinterest sandbox ready on (http:\/\/127\.0\.0\.1:(\d+))$/m.exec(cli.output());
    expect(url, cli.output()).not.toBeNull();
    const port = Number(url![2]);
    expect(port).toBeGreaterThan(0);
    expect(cli.output()).toContain('pina_sandbox_demo');
    expect(cli.output()).toContain('pinr_sandbox_demo');
    expect(cli.output()).toContain(SANDBOX_CLIENT_ID);
    expect(cli.output()).toContain(SANDBOX_CLIENT_SECRET);
    expect(cli.output().trimEnd().split('\n').at(-1)).toBe(`pinterest sandbox ready on ${url![1]}`);

    const curls = cli.output().split('Try it:\n')[1]!.split('\n\n')[0]!.split('\n').map((l) => l.trim()).filter((l) => l.startsWith('curl'));
    expect(curls.length).toBeGreaterThanOrEqual(3);
    const answers: any[] = [];
    for (const curl of curls) answers.push(JSON.parse((await run('bash', ['-c', curl])).stdout)); // in order, as pasted
    const [created, listed, fault, refreshed, pins] = answers;
    expect(created).toMatchObject({ board_id: '1234567890', title: 'Hello', id: expect.stringMatching(/^\d{18}$/) });
    expect(listed.items.map((p: { id: string }) => p.id)).toEqual([created.id]);
    expect(fault).toMatchObject({ ok: true });
    expect(refreshed).toMatchObject({ token_type: 'bearer', refresh_token: expect.stringMatching(/^pinr_/) });
    expect(pins).toMatchObject({ total: 1, counts: { '1234567890': 1 } });
    // The injected 503 is waiting for the next create.
    const next = await fetch(`${url![1]}/v5/pins`, { method: 'POST', headers: { Authorization: 'Bearer pina_sandbox_demo' }, body: '{}' });
    expect(next.status).toBe(503);

    cli.child.kill('SIGINT');
    expect(await cli.exited).toBe(0);
    expect(await listening(port)).toBe(false);
  }, 30_000);

  it('refuses a non-loopback HOST and a bad PORT', async () => {
    const wide = startCli({ HOST: '0.0.0.0', PORT: '0' });
    expect(await wide.exited).toBe(2);
    expect(wide.output()).toMatch(/not a loopback address/);
    const badPort = startCli({ PORT: 'eighty' });
    expect(await badPort.exited).toBe(2);
  }, 30_000);
});
