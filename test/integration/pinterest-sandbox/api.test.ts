/**
 * The sandbox as a server and its pin endpoints: POST /v5/pins (Pinterest's shapes, validation and error codes)
 * and GET /v5/boards/{board_id}/pins (newest first, bookmark paging).
 */
import { describe, expect, it } from 'vitest';
import { startPinterestSandbox } from '../../../local/pinterest-sandbox.ts';
import { waitFor } from '../wait.ts';
import { alice, bob, createPin, expectError, listBoard, listening, pinBody, sandbox, setClock, T0, useSharedSandbox } from './fixture.ts';

useSharedSandbox();

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
    const pending = fetch(`${own.url}/v5/pins`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${accessToken}` },
      body: JSON.stringify(pinBody({ board_id: '1' })),
    });
    await waitFor(() => own.requests().length === 1, { what: 'the slow create to arrive', timeoutMs: 5_000 });
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
    const pin = (await res.json()) as { id: string; dominant_color: string; media: { images: Record<string, unknown> } };
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
    expect(pin.id).toMatch(/^\d{18}$/);
    expect(pin.dominant_color).toMatch(/^#[0-9A-F]{6}$/);
    expect(Object.keys(pin.media.images)).toEqual(['150x150', '400x300', '600x', '1200x']);

    expect(sandbox.pins()).toEqual([
      {
        id: pin.id,
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
      {
        source_type: 'multiple_image_urls',
        items: [{ url: 'https://e.com/1.jpg' }, { url: 'https://e.com/2.jpg', title: 't', link: 'https://e.com/2' }],
      },
      { source_type: 'multiple_image_urls', items: [1, 2, 3, 4, 5].map((n) => ({ url: `https://e.com/${n}.jpg` })), index: 0 },
      { source_type: 'video_id', media_id: '12345', cover_image_url: 'https://e.com/cover.jpg' },
      { source_type: 'video_id', media_id: '12345', cover_image_key_frame_time: 2.5 },
    ];
    for (const media_source of accepted)
      expect((await createPin(alice.accessToken, pinBody({ media_source }))).status, JSON.stringify(media_source)).toBe(201);
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
    [
      'image_base64 with a bad content_type',
      pinBody({ media_source: { source_type: 'image_base64', content_type: 'image/gif', data: 'AAAA' } }),
    ],
    ['image_base64 without data', pinBody({ media_source: { source_type: 'image_base64', content_type: 'image/png' } })],
    [
      'multiple_image_urls with 1 item',
      pinBody({ media_source: { source_type: 'multiple_image_urls', items: [{ url: 'https://e.com/1.jpg' }] } }),
    ],
    [
      'multiple_image_urls with 6 items',
      pinBody({
        media_source: { source_type: 'multiple_image_urls', items: [1, 2, 3, 4, 5, 6].map((n) => ({ url: `https://e.com/${n}.jpg` })) },
      }),
    ],
    ['video_id without media_id', pinBody({ media_source: { source_type: 'video_id', cover_image_url: 'https://e.com/c.jpg' } })],
    ['video_id without a cover', pinBody({ media_source: { source_type: 'video_id', media_id: '1' } })],
    [
      'video_id with both covers',
      pinBody({
        media_source: { source_type: 'video_id', media_id: '1', cover_image_url: 'https://e.com/c.jpg', cover_image_key_frame_time: 1 },
      }),
    ],
  ])('rejects a %s with 400 code 1 and creates nothing', async (_name, body) => {
    await expectError(createPin(alice.accessToken, body), 400, 1);
    expect(sandbox.pins()).toEqual([]);
  });

  it.each([
    ['link', pinBody({ link: 'not a url' })],
    ['link with another scheme', pinBody({ link: 'ftp://example.com/a' })],
    ['image url', pinBody({ media_source: { source_type: 'image_url', url: 'javascript:alert(1)' } })],
    [
      'carousel item url',
      pinBody({ media_source: { source_type: 'multiple_image_urls', items: [{ url: 'https://e.com/1.jpg' }, { url: '/relative.jpg' }] } }),
    ],
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
    await expectError(
      createPin(
        alice.accessToken,
        pinBody({ media_source: { source_type: 'image_url', url: 'https://cdn.example.com/img/too-small.jpg' } }),
      ),
      403,
      233,
    );
    await expectError(
      createPin(alice.accessToken, pinBody({ media_source: { source_type: 'image_url', url: 'https://cdn.example.com/broken/a.jpg' } })),
      403,
      235,
    );
    const carousel = { source_type: 'multiple_image_urls', items: [{ url: 'https://e.com/ok.jpg' }, { url: 'https://e.com/broken.png' }] };
    await expectError(createPin(alice.accessToken, pinBody({ media_source: carousel })), 403, 235);
    // Only the path decides: a query string or host that says "broken" does not.
    expect(
      (
        await createPin(
          alice.accessToken,
          pinBody({ media_source: { source_type: 'image_url', url: 'https://broken.example.com/a.jpg?x=too-small' } }),
        )
      ).status,
    ).toBe(201);
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
      setClock(T0 + n * 1000);
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
    expect(all.items.map((p) => p.created_at)).toEqual([
      '2030-01-01T00:00:05',
      '2030-01-01T00:00:04',
      '2030-01-01T00:00:03',
      '2030-01-01T00:00:02',
      '2030-01-01T00:00:01',
    ]);
  });

  it('pages by cursor: a pin created between pages does not shift the next page', async () => {
    for (const n of [1, 2, 3]) await createPin(alice.accessToken, pinBody({ title: `p${n}` }));
    const first = (await (await listBoard(alice.accessToken, '111', '?page_size=2')).json()) as {
      items: { title: string }[];
      bookmark: string;
    };
    await createPin(alice.accessToken, pinBody({ title: 'p4' }));
    const second = (await (await listBoard(alice.accessToken, '111', `?page_size=2&bookmark=${first.bookmark}`)).json()) as {
      items: { title: string }[];
    };
    expect([...first.items, ...second.items].map((p) => p.title)).toEqual(['p3', 'p2', 'p1']);
  });

  it('defaults page_size to 25 and allows 250', async () => {
    for (let n = 0; n < 27; n++) await createPin(alice.accessToken);
    const page = (await (await listBoard(alice.accessToken, '111')).json()) as { items: unknown[]; bookmark: string | null };
    expect(page.items).toHaveLength(25);
    expect(page.bookmark).toEqual(expect.any(String));
    const big = (await (await listBoard(alice.accessToken, '111', '?page_size=250')).json()) as {
      items: unknown[];
      bookmark: string | null;
    };
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
