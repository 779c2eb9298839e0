/**
 * Injected faults: exact pin counts under every fault (including a create whose response never arrives),
 * which requests a fault hits, and seeded fault rates.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Fault } from '../../../local/pinterest-sandbox.ts';
import { waitFor } from '../wait.ts';
import { alice, bob, createPin, expectError, listBoard, pinBody, refresh, sandbox, useSharedSandbox } from './fixture.ts';

useSharedSandbox();

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
    await waitFor(() => sandbox.pins().length === 1, { what: 'the slow create to store its pin', timeoutMs: 5_000 });
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
