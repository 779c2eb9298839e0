/**
 * What the Pinterest sandbox's test files share: a clock they move by hand, request helpers, and the
 * sandbox most tests use (alice with boards 111, 222 and 333 — section 444 —, bob with board 999).
 *
 * `sandbox`, `alice`, `bob` and `clock` are live bindings: `useSharedSandbox()` (called once at the top
 * of a test file) sets them before the file's tests run, and `setClock` moves the clock.
 */
import { connect } from 'node:net';
import { afterAll, beforeAll, beforeEach, expect } from 'vitest';
import {
  SANDBOX_CLIENT_ID,
  SANDBOX_CLIENT_SECRET,
  startPinterestSandbox,
  type PinterestSandbox,
} from '../../../local/pinterest-sandbox.ts';

export const T0 = Date.parse('2030-01-01T00:00:00.000Z');
export let clock = T0;
export const now = () => clock;
export const setClock = (ms: number): void => {
  clock = ms;
};

export let sandbox: PinterestSandbox;
export let alice: { accessToken: string; refreshToken: string };
export let bob: { accessToken: string; refreshToken: string };

/** Starts the shared sandbox for this file; before each test the clock is back at T0 and the sandbox reset. */
export function useSharedSandbox(): void {
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
}

/** For files whose tests start their own sandboxes on `now`: the clock is back at T0 before each test. */
export function useClock(): void {
  beforeEach(() => {
    clock = T0;
  });
}

export interface PinterestErrorBody {
  code: number;
  message: string;
}

export const pinBody = (overrides: Record<string, unknown> = {}) => ({
  board_id: '111',
  title: 'Hello',
  link: 'https://example.com/hello',
  media_source: { source_type: 'image_url', url: 'https://example.com/hello.jpg' },
  ...overrides,
});

export function createPin(token: string, body: unknown = pinBody(), init: RequestInit = {}): Promise<Response> {
  return fetch(`${sandbox.url}/v5/pins`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
    ...init,
  });
}

export function listBoard(token: string, boardId: string, query = ''): Promise<Response> {
  return fetch(`${sandbox.url}/v5/boards/${boardId}/pins${query}`, { headers: { Authorization: `Bearer ${token}` } });
}

export function refresh(
  refreshToken: string,
  client = `${SANDBOX_CLIENT_ID}:${SANDBOX_CLIENT_SECRET}`,
  extra: Record<string, string> = {},
): Promise<Response> {
  return fetch(`${sandbox.url}/v5/oauth/token`, {
    method: 'POST',
    headers: { Authorization: `Basic ${Buffer.from(client).toString('base64')}`, 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken, ...extra }).toString(),
  });
}

export async function expectError(
  response: Response | Promise<Response>,
  status: number,
  code: number,
  message?: string,
): Promise<PinterestErrorBody> {
  const res = await response;
  const body = (await res.json()) as PinterestErrorBody;
  expect({ status: res.status, code: body.code }).toEqual({ status, code });
  expect(typeof body.message).toBe('string');
  if (message !== undefined) expect(body.message).toBe(message);
  return body;
}

export const listening = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
