/**
 * The per-user rolling-window rate limits on an injected clock (org_write, and org_read when set), and
 * the fault modes the pacing tests use: a lower real limit, 429 on the n-th request, per-account rates.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startPinterestSandbox, type PinterestSandbox } from '../../../local/pinterest-sandbox.ts';
import { expectError, now, pinBody, setClock, T0, useClock } from './fixture.ts';

useClock();

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
      setClock(T0 + i * 1000);
      const res = await post(ann.accessToken, '10');
      expect(res.status).toBe(201);
      expect(res.headers.get('x-ratelimit-limit')).toBe('5');
      remaining.push(res.headers.get('x-ratelimit-remaining'));
    }
    expect(remaining).toEqual(['4', '3', '2', '1', '0']);

    setClock(T0 + 59_999);
    const sixth = await post(ann.accessToken, '10');
    await expectError(sixth, 429, 8);
    expect(sixth.headers.get('retry-after')).toBe('1');
    expect(limited.pins()).toHaveLength(5);

    setClock(T0 + 60_000); // the first request has left the window
    expect((await post(ann.accessToken, '10')).status).toBe(201);
    await expectError(post(ann.accessToken, '10'), 429, 8);
    expect(limited.pins()).toHaveLength(6);
  });

  it('is a rolling window, not a fixed minute', async () => {
    for (let i = 0; i < 3; i++) expect((await post(ann.accessToken, '10')).status).toBe(201); // t = 0 s
    setClock(T0 + 30_000);
    for (let i = 0; i < 2; i++) expect((await post(ann.accessToken, '10')).status).toBe(201); // t = 30 s
    setClock(T0 + 60_000); // the three from t = 0 expire, the two from t = 30 s do not
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
    setClock(T0 + 60_000);
    for (let i = 0; i < 5; i++) expect((await post(ann.accessToken, '10')).status).toBe(201); // the 429s did not extend the wait
    expect(limited.pins()).toHaveLength(5);
  });

  it('does not count reads, injected faults, or unauthenticated requests', async () => {
    for (let i = 0; i < 10; i++)
      expect((await fetch(`${limited.url}/v5/boards/10/pins`, { headers: { Authorization: `Bearer ${ann.accessToken}` } })).status).toBe(
        200,
      );
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
      setClock(T0 + i * 10_000);
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
  const list = (token: string, board: string) =>
    fetch(`${paced.url}/v5/boards/${board}/pins`, { headers: { Authorization: `Bearer ${token}` } });

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
    const armed = await fetch(`${paced.url}/_sandbox/faults`, {
      method: 'POST',
      body: JSON.stringify({ fault: { kind: 'rate_limit', retryAfterSeconds: 5 }, nth: 2 }),
    });
    expect(armed.status).toBe(201);
    expect([(await post(ann.accessToken, '10')).status, (await post(ann.accessToken, '10')).status]).toEqual([201, 429]);
    const both = await fetch(`${paced.url}/_sandbox/faults`, {
      method: 'POST',
      body: JSON.stringify({ fault: { kind: 'rate_limit' }, nth: 2, probability: 0.5 }),
    });
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
    setClock(T0 + 60_000);
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
        setClock(T0 + i * 1000);
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
