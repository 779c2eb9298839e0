/** Users, their boards and their tokens: who a request speaks for, and what they may post to. */
import { randomBytes, randomInt } from 'node:crypto';
import type { NewUser, SandboxConfig, UserLimits } from './types.ts';
import { assertPositiveInteger } from './values.ts';

export const ACCESS_TOKEN_TTL_SECONDS = 30 * 24 * 3600; // 2,592,000
export const REFRESH_TOKEN_TTL_SECONDS = 60 * 24 * 3600; // 5,184,000: continuous refresh
const DEFAULT_SCOPE = 'boards:read boards:write pins:read pins:write user_accounts:read';

export interface UserState {
  username: string;
  id: string;
  ratePerMinute?: number;
  readRatePerMinute?: number;
  rateLimitRetryAfter?: boolean;
  /** Sandbox-clock times of POST /v5/pins requests admitted by the limiter. */
  writes: number[];
  /** Sandbox-clock times of GET requests admitted by the read limiter (only kept while one applies). */
  reads: number[];
}

interface BoardState {
  owner: string;
  sections: Set<string>;
}

export interface TokenState {
  user: string;
  expiresAt: number;
  scope: string;
  /** Refresh tokens only: rotated away or revoked. */
  dead?: boolean;
}

export interface TokenPair {
  accessToken: string;
  refreshToken: string;
}

export class Accounts {
  private readonly users = new Map<string, UserState>();
  private readonly boards = new Map<string, BoardState>();
  private readonly accessTokens = new Map<string, TokenState>();
  private readonly refreshTokens = new Map<string, TokenState>();

  constructor(private readonly config: SandboxConfig) {}

  addUser(input: NewUser): TokenPair {
    const { username } = input;
    if (typeof username !== 'string' || !/^[A-Za-z0-9_.-]{1,64}$/.test(username)) {
      throw new TypeError('username must be 1-64 characters of letters, digits, "_", "." or "-".');
    }
    if (input.ratePerMinute !== undefined) assertPositiveInteger(input.ratePerMinute, 'ratePerMinute');
    if (input.readRatePerMinute !== undefined) assertPositiveInteger(input.readRatePerMinute, 'readRatePerMinute');
    if (input.rateLimitRetryAfter !== undefined && typeof input.rateLimitRetryAfter !== 'boolean')
      throw new TypeError('rateLimitRetryAfter must be a boolean.');
    const accessToken = input.accessToken ?? newToken('pina');
    const refreshToken = input.refreshToken ?? newToken('pinr');
    assertToken(accessToken, 'accessToken');
    assertToken(refreshToken, 'refreshToken');
    this.assertTokenFree(this.accessTokens, accessToken, username, 'accessToken');
    this.assertTokenFree(this.refreshTokens, refreshToken, username, 'refreshToken');
    for (const board of input.boards ?? []) this.assertBoardFree(board, username);

    const existing = this.users.get(username);
    const limits = {
      ...(input.ratePerMinute !== undefined ? { ratePerMinute: input.ratePerMinute } : {}),
      ...(input.readRatePerMinute !== undefined ? { readRatePerMinute: input.readRatePerMinute } : {}),
      ...(input.rateLimitRetryAfter !== undefined ? { rateLimitRetryAfter: input.rateLimitRetryAfter } : {}),
    };
    if (existing) Object.assign(existing, limits);
    else this.users.set(username, { username, id: digits(18), writes: [], reads: [], ...limits });
    for (const board of input.boards ?? []) this.addBoard(username, board);
    const now = this.config.now();
    this.accessTokens.set(accessToken, {
      user: username,
      expiresAt: input.accessTokenExpiresAt ?? now + this.config.accessTokenTtlSeconds * 1000,
      scope: DEFAULT_SCOPE,
    });
    this.refreshTokens.set(refreshToken, {
      user: username,
      expiresAt: input.refreshTokenExpiresAt ?? now + REFRESH_TOKEN_TTL_SECONDS * 1000,
      scope: DEFAULT_SCOPE,
    });
    return { accessToken, refreshToken };
  }

  addBoard(username: string, boardId: string, sections: string[] = []): void {
    if (!this.users.has(username)) throw new Error(`unknown user ${username}; addUser first.`);
    this.assertBoardFree(boardId, username);
    for (const section of sections) {
      if (typeof section !== 'string' || !/^\d+$/.test(section)) throw new TypeError(`board section id ${String(section)} must be digits.`);
    }
    const board = this.boards.get(boardId) ?? { owner: username, sections: new Set<string>() };
    for (const section of sections) board.sections.add(section);
    this.boards.set(boardId, board);
  }

  setLimits(username: string, limits: UserLimits): void {
    const user = this.users.get(username);
    if (!user) throw new Error(`unknown user ${username}; addUser first.`);
    if (limits === null || typeof limits !== 'object') throw new TypeError('limits must be an object.');
    const { ratePerMinute, readRatePerMinute, rateLimitRetryAfter } = limits;
    if (ratePerMinute !== undefined && ratePerMinute !== null) assertPositiveInteger(ratePerMinute, 'ratePerMinute');
    if (readRatePerMinute !== undefined && readRatePerMinute !== null) assertPositiveInteger(readRatePerMinute, 'readRatePerMinute');
    if (rateLimitRetryAfter !== undefined && rateLimitRetryAfter !== null && typeof rateLimitRetryAfter !== 'boolean') {
      throw new TypeError('rateLimitRetryAfter must be a boolean.');
    }
    const set = <K extends 'ratePerMinute' | 'readRatePerMinute' | 'rateLimitRetryAfter'>(
      key: K,
      value: UserState[K] | null | undefined,
    ) => {
      if (value === null) delete user[key];
      else if (value !== undefined) user[key] = value;
    };
    set('ratePerMinute', ratePerMinute);
    set('readRatePerMinute', readRatePerMinute);
    set('rateLimitRetryAfter', rateLimitRetryAfter);
  }

  /** The user a valid (known, unexpired) access token belongs to. */
  authenticate(accessToken: string | undefined): UserState | undefined {
    const state = accessToken ? this.accessTokens.get(accessToken) : undefined;
    return state && state.expiresAt > this.config.now() ? this.users.get(state.user) : undefined;
  }

  /** The owner of a token whether or not it is still valid, for logging and fault matching. */
  ownerOf(kind: 'access' | 'refresh', token: string): string | undefined {
    return (kind === 'access' ? this.accessTokens : this.refreshTokens).get(token)?.user;
  }

  /** A refresh token the user still exists for, as stored (the caller rotates it). */
  liveRefreshToken(refreshToken: string, now: number): TokenState | undefined {
    const token = this.refreshTokens.get(refreshToken);
    return token && !token.dead && token.expiresAt > now && this.users.has(token.user) ? token : undefined;
  }

  /** A new token pair for `user`, valid from `now` for the configured lifetimes. */
  issueTokens(user: string, scope: string, now: number): TokenPair & { refreshExpiresAt: number } {
    const accessToken = newToken('pina');
    const refreshToken = newToken('pinr');
    const refreshExpiresAt = now + REFRESH_TOKEN_TTL_SECONDS * 1000;
    this.accessTokens.set(accessToken, { user, expiresAt: now + this.config.accessTokenTtlSeconds * 1000, scope });
    this.refreshTokens.set(refreshToken, { user, expiresAt: refreshExpiresAt, scope });
    return { accessToken, refreshToken, refreshExpiresAt };
  }

  revokeRefreshToken(refreshToken: string): void {
    const token = this.refreshTokens.get(refreshToken);
    if (!token) throw new Error('unknown refresh token.');
    token.dead = true;
  }

  expireAccessToken(accessToken: string): void {
    const token = this.accessTokens.get(accessToken);
    if (!token) throw new Error('unknown access token.');
    token.expiresAt = Number.NEGATIVE_INFINITY;
  }

  /** The board, when it exists and belongs to `username`. */
  ownedBoard(username: string, boardId: string): BoardState | undefined {
    const board = this.boards.get(boardId);
    return board && board.owner === username ? board : undefined;
  }

  boardCount(username: string): number {
    return [...this.boards.values()].filter((b) => b.owner === username).length;
  }

  /** Forgets every user's rate-limit windows. */
  clearRateWindows(): void {
    for (const user of this.users.values()) {
      user.writes = [];
      user.reads = [];
    }
  }

  private assertTokenFree(tokens: Map<string, TokenState>, token: string, username: string, name: string): void {
    const owner = tokens.get(token)?.user;
    if (owner !== undefined && owner !== username) throw new Error(`${name} already belongs to user ${owner}.`);
  }

  private assertBoardFree(boardId: string, username: string): void {
    if (typeof boardId !== 'string' || !/^\d+$/.test(boardId)) throw new TypeError(`board id ${String(boardId)} must be digits.`);
    const owner = this.boards.get(boardId)?.owner;
    if (owner !== undefined && owner !== username) throw new Error(`board ${boardId} already belongs to user ${owner}.`);
  }
}

function assertToken(token: unknown, name: string): void {
  if (typeof token !== 'string' || !/^[\x21-\x7e]{1,512}$/.test(token))
    throw new TypeError(`${name} must be 1-512 printable ASCII characters without spaces.`);
}

function newToken(prefix: 'pina' | 'pinr'): string {
  return `${prefix}_${randomBytes(32).toString('base64url')}`;
}

function digits(count: number): string {
  let out = String(randomInt(1, 10));
  while (out.length < count) out += String(randomInt(10));
  return out;
}
