/**
 * The /_sandbox control plane over HTTP, and `npm run sandbox` (local/sandbox.ts) as a user runs it.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET } from '../../../local/pinterest-sandbox.ts';
import { waitFor } from '../wait.ts';
import { alice, bob, createPin, expectError, listening, pinBody, refresh, sandbox, useSharedSandbox } from './fixture.ts';

useSharedSandbox();

/** The control plane's answers the tests read into (local/pinterest-sandbox/control-plane.ts). */
interface AddedUser {
  readonly accessToken: string;
  readonly refreshToken: string;
}
interface PinsAnswer {
  readonly total: number;
  readonly counts: Record<string, number>;
  readonly pins: unknown[];
}

describe('/_sandbox control plane', () => {
  /** A control-plane call; `Body` names the answer the test expects, which its assertions check. */
  const control = async <Body = unknown>(method: string, path: string, body?: unknown) => {
    const res = await fetch(`${sandbox.url}/_sandbox${path}`, {
      method,
      ...(body === undefined ? {} : { headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) }),
    });
    return { status: res.status, body: (await res.json()) as Body };
  };

  it('adds users and boards whose tokens work on the API', async () => {
    const added = await control<AddedUser>('POST', '/users', { username: 'olga', boards: ['5000'], ratePerMinute: 3 });
    expect(added.status).toBe(201);
    expect(added.body).toEqual({
      username: 'olga',
      accessToken: expect.stringMatching(/^pina_/),
      refreshToken: expect.stringMatching(/^pinr_/),
    });
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
    const all = await control<PinsAnswer>('GET', '/pins');
    expect(all.body.total).toBe(4);
    expect(all.body.counts).toEqual({ '111': 2, '222': 1, '999': 1 });
    expect(all.body.pins[0]).toMatchObject({ board_id: '111', user: 'alice' });
    expect((await control<PinsAnswer>('GET', '/pins?board_id=222')).body.total).toBe(1);
    expect((await control<PinsAnswer>('GET', '/pins?user=bob')).body.counts).toEqual({ '999': 1 });
    const log = await control<{ requests: unknown[] }>('GET', '/requests');
    expect(log.body.requests).toHaveLength(4); // /_sandbox calls are not logged
    expect(log.body.requests[3]).toMatchObject({ method: 'POST', path: '/v5/pins', user: 'bob', status: 201 });
  });

  it('injects, lists and clears faults (times, probability with seed, match with a path regex)', async () => {
    expect((await control('POST', '/faults', { fault: { kind: 'status', status: 503 }, times: 2 })).status).toBe(201);
    expect(
      (
        await control('POST', '/faults', {
          fault: { kind: 'drop_before' },
          probability: 0.25,
          seed: 9,
          match: { path: '/v5/boards/.*/pins' },
        })
      ).status,
    ).toBe(201);
    const listed = await control<{ faults: unknown[] }>('GET', '/faults');
    expect(listed.body.faults).toEqual([
      { fault: { kind: 'status', status: 503 }, match: { method: 'POST', path: '/v5/pins' }, remaining: 2 },
      { fault: { kind: 'drop_before' }, match: { method: '*', path: '/v5/boards/.*/pins' }, probability: 0.25, seed: 9 },
    ]);
    expect((await createPin(alice.accessToken)).status).toBe(503);
    expect((await control('DELETE', '/faults')).body).toEqual({ ok: true, cleared: 2 });
    expect((await createPin(alice.accessToken)).status).toBe(201);

    expect(
      (await control('POST', '/faults', { fault: { kind: 'rate_limit', retryAfterSeconds: 3 }, match: { user: 'alice' } })).status,
    ).toBe(201);
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
  const ROOT = new URL('../../../', import.meta.url).pathname;
  const run = promisify(execFile);
  const children: ChildProcess[] = [];
  afterEach(() => {
    for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
  });

  function startCli(env: Record<string, string>): { child: ChildProcess; output: () => string; exited: Promise<number | null> } {
    const child = spawn(process.execPath, ['--import', 'tsx', 'local/sandbox.ts'], {
      cwd: ROOT,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(child);
    let output = '';
    child.stdout!.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr!.on('data', (c: Buffer) => (output += c.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    return { child, output: () => output, exited };
  }

  it('prints the demo credentials and working curls, then stops on SIGINT leaving the port closed', async () => {
    const cli = startCli({ PORT: '0' });
    await waitFor(() => /^pinterest sandbox ready on http:\/\/127\.0\.0\.1:\d+$/m.test(cli.output()) || cli.child.exitCode !== null, {
      what: 'the ready line or an exit',
      timeoutMs: 20_000,
    });
    const url = /^pinterest sandbox ready on (http:\/\/127\.0\.0\.1:(\d+))$/m.exec(cli.output());
    expect(url, cli.output()).not.toBeNull();
    const port = Number(url![2]);
    expect(port).toBeGreaterThan(0);
    expect(cli.output()).toContain('pina_sandbox_demo');
    expect(cli.output()).toContain('pinr_sandbox_demo');
    expect(cli.output()).toContain(SANDBOX_CLIENT_ID);
    expect(cli.output()).toContain(SANDBOX_CLIENT_SECRET);
    expect(cli.output().trimEnd().split('\n').at(-1)).toBe(`pinterest sandbox ready on ${url![1]}`);

    const curls = cli
      .output()
      .split('Try it:\n')[1]!
      .split('\n\n')[0]!
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l.startsWith('curl'));
    expect(curls.length).toBeGreaterThanOrEqual(3);
    const answers: unknown[] = [];
    for (const curl of curls) answers.push(JSON.parse((await run('bash', ['-c', curl])).stdout)); // in order, as pasted
    // The printed curls, in order: create a pin, list the board, inject a fault, refresh the token, the control plane's pins.
    const [created, listed, fault, refreshed, pins] = answers as [
      { id: string },
      { items: Array<{ id: string }> },
      unknown,
      unknown,
      unknown,
    ];
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
