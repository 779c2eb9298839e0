/**
 * A local Pinterest API v5 for pinrelay: the endpoints the worker and the token vault call, with
 * Pinterest's status codes and `{"code", "message"}` error bodies, exact per-user rolling-window rate
 * limiters for writes (org_write) and, when set, reads (org_read), continuous refresh tokens, and fault
 * injection, so that every outcome class of lambdas/domain/classify.ts can be produced on demand, pacing
 * can be measured against a real limit lower than the configured one, and duplicate pins counted exactly.
 *
 *   POST /v5/pins                  create (org_write, rate limited)
 *   GET  /v5/boards/{id}/pins      newest first, bookmark paging (how pinrelay verifies an unknown outcome; org_read)
 *   GET  /v5/pins/{id}, GET /v5/user_account
 *   POST /v5/oauth/token           grant_type=refresh_token, rotates the refresh token
 *   /_sandbox/…                    inspection and fault control for tests and curl (not Pinterest)
 *
 * Used by local mode (`npm start`), by the integration tests and by `npm run sandbox`
 * (local/sandbox.ts). Binds loopback only. What differs from the real API: docs/sandbox.md.
 */
import { createHash, randomBytes, randomInt } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { isIP, type AddressInfo } from 'node:net';

// ---- public types ------------------------------------------------------------------------------

export interface SandboxOptions {
  /** 0 picks a free port. @default 0 */
  port?: number;
  /** Loopback only (127.0.0.0/8, ::1 or localhost). @default 127.0.0.1 */
  host?: string;
  /** @default 'pinrelay-sandbox-client' */
  clientId?: string;
  /** @default 'pinrelay-sandbox-secret' */
  clientSecret?: string;
  /** Accepted POST /v5/pins per user (access token owner) in any rolling 60 s window (org_write). @default 100 */
  ratePerMinute?: number;
  /** Accepted GETs per user in any rolling 60 s window (org_read). @default unlimited */
  readRatePerMinute?: number;
  /** Whether the limiters' 429s carry `Retry-After` (real Pinterest may send none). @default true */
  rateLimitRetryAfter?: boolean;
  /** Lifetime of access tokens issued by the sandbox. @default 2592000 (30 days) */
  accessTokenTtlSeconds?: number;
  /** Millisecond clock for token expiry, rate limiting and `created_at`. @default Date.now */
  now?: () => number;
}

export interface SandboxPin {
  id: string;
  board_id: string;
  board_section_id?: string;
  title?: string;
  description?: string;
  link?: string;
  alt_text?: string;
  note?: string;
  dominant_color?: string;
  parent_pin_id?: string;
  media_source: unknown;
  created_at: string;
  /** Username of the access token's owner. */
  user: string;
}

export interface SandboxRequestLog {
  /** Arrival time on the sandbox clock (ms). */
  at: number;
  method: string;
  /** Path without query string or trailing slash. */
  path: string;
  /** Owner of the bearer token (or, on /v5/oauth/token, of the refresh token), when the token is known. */
  user?: string;
  /** HTTP status sent; 0 = no response (connection dropped, or still in flight). */
  status: number;
  /** Kind of the injected fault that hit this request. */
  fault?: string;
  /** The rate limiter that refused this request (429 code 8 not caused by a fault). */
  limiter?: 'org_write' | 'org_read';
}

/**
 * Which requests a fault hits. `path`: a RegExp is tested as given; a string is a regular
 * expression matched against the whole path (`'/v5/boards/.*\/pins'`). `method`: case-insensitive,
 * `'*'` for any. Defaults: POST /v5/pins when neither path nor method is given; any method when only
 * a path is given. `user`: username of the token owner.
 */
export interface FaultMatch {
  method?: string;
  path?: RegExp | string;
  user?: string;
}

export type Fault =
  | { kind: 'status'; status: 500 | 502 | 503 | 504; code?: number; message?: string }
  /** 429 code 8, with `Retry-After` when given. Counts nothing against the rate limit. */
  | { kind: 'rate_limit'; retryAfterSeconds?: number }
  /** Waits, then handles the request normally — even if the client has gone (the pin is still created). */
  | { kind: 'slow'; delayMs: number }
  /** Handles the request normally (a valid create creates the pin), then destroys the socket unanswered. */
  | { kind: 'drop_after_create' }
  /** Destroys the socket without doing anything. */
  | { kind: 'drop_before' }
  | { kind: 'board_not_found' }
  | { kind: 'section_not_found' }
  | { kind: 'forbidden_trial' }
  | { kind: 'image_too_small' }
  | { kind: 'broken_image' }
  | { kind: 'invalid'; message?: string }
  | { kind: 'unauthorized' }
  /** 201 with `{"ok":true}`; creates nothing. */
  | { kind: 'malformed_success' };

export interface PinterestSandbox {
  /** Origin, e.g. http://127.0.0.1:PORT (no /v5 suffix; the API lives under /v5). */
  readonly url: string;
  /** Register a user with a board list and an initial token pair; returns the tokens. */
  addUser(user: {
    username: string;
    boards?: string[];
    accessToken?: string;
    refreshToken?: string;
    /** ms epoch on the sandbox clock. @default now + accessTokenTtlSeconds */
    accessTokenExpiresAt?: number;
    /** ms epoch on the sandbox clock. @default now + 60 days */
    refreshTokenExpiresAt?: number;
    /** Overrides SandboxOptions.ratePerMinute for this user. */
    ratePerMinute?: number;
    /** Overrides SandboxOptions.readRatePerMinute for this user. */
    readRatePerMinute?: number;
    /** Overrides SandboxOptions.rateLimitRetryAfter for this user. */
    rateLimitRetryAfter?: boolean;
  }): { accessToken: string; refreshToken: string };
  /**
   * Changes a user's limits while running (a real limit lower than the one pinrelay is configured with,
   * a read limit, limiter 429s without Retry-After). `null` restores the sandbox-wide value.
   */
  setLimits(username: string, limits: UserLimits): void;
  addBoard(username: string, boardId: string, sections?: string[]): void;
  /** Every pin created, in creation order. */
  pins(filter?: { boardId?: string; user?: string }): SandboxPin[];
  /** Every /v5 request, in arrival order (/_sandbox requests are not logged). */
  requests(): SandboxRequestLog[];
  /**
   * Hits the next `times` (default 1) matching requests; with `nth`, lets the first nth − 1 matching
   * requests through and hits from the nth on ("429 with Retry-After on the 10th create").
   */
  inject(fault: Fault, options?: { times?: number; match?: FaultMatch; nth?: number }): void;
  /**
   * Hits each matching request with `probability`, drawn from a PRNG seeded with `seed` (default 1), until
   * cleared. Per-account fault rates: one call per user with `match: { user }`.
   */
  injectRate(fault: Fault, probability: number, options?: { seed?: number; match?: FaultMatch }): void;
  clearFaults(): void;
  revokeRefreshToken(refreshToken: string): void;
  expireAccessToken(accessToken: string): void;
  /** Forgets pins, the request log, faults and rate-limit windows; keeps users, boards and tokens. */
  reset(): void;
  /** Closes the listener and every connection; pending slow responses are dropped. Idempotent. */
  stop(): Promise<void>;
}

/** Per-user limiter settings; `null` = the sandbox-wide value. */
export interface UserLimits {
  ratePerMinute?: number | null;
  readRatePerMinute?: number | null;
  rateLimitRetryAfter?: boolean | null;
}

export const SANDBOX_CLIENT_ID = 'pinrelay-sandbox-client';
export const SANDBOX_CLIENT_SECRET = 'pinrelay-sandbox-secret';
export const SANDBOX_DEFAULT_RATE_PER_MINUTE = 100;

// ---- Pinterest facts -----------------------------------------------------------------------------

const ACCESS_TOKEN_TTL_SECONDS = 30 * 24 * 3600; // 2,592,000
const REFRESH_TOKEN_TTL_SECONDS = 60 * 24 * 3600; // 5,184,000: continuous refresh
const RATE_WINDOW_MS = 60_000;
const DEFAULT_SCOPE = 'boards:read boards:write pins:read pins:write user_accounts:read';
const PAGE_SIZE_DEFAULT = 25;
const PAGE_SIZE_MAX = 250;
const MAX_BODY_BYTES = 20 * 1024 * 1024;
const LIMITS = { title: 100, description: 800, link: 2048, alt_text: 500, note: 500 } as const;

/** Error bodies as Pinterest's OpenAPI description gives them (pins/create, pins/save, boards/*). */
const ERRORS = {
  authentication: { status: 401, code: 2, message: 'Authentication failed.' },
  invalidUrl: {
    status: 400,
    code: 1,
    message: 'Whoops! It looks like you entered an invalid URL. Try creating a Pin again with a valid URL.',
  },
  forbidden: { status: 403, code: 29, message: 'You are not permitted to access that resource.' },
  imageTooSmall: { status: 403, code: 233, message: 'Your image is too small. Please choose a larger image and try again.' },
  brokenImage: { status: 403, code: 235, message: 'Sorry, this image is broken. Please pick a different image.' },
  boardNotFound: { status: 404, code: 40, message: 'Board not found.' },
  sectionNotFound: { status: 404, code: 2031, message: "Sorry! We couldn't find this board section." },
  pinNotFound: { status: 404, code: 50, message: 'Pin not found.' },
  rateLimited: {
    status: 429,
    code: 8,
    message:
      'This request exceeded a rate limit. This can happen if the client exceeds one of the published rate limits ' +
      'or if multiple write operations are applied to an object within a short time window.',
  },
  // Reported by Pinterest's own SDK issue tracker for a bad refresh token (the status is our choice, see docs).
  invalidGrant: { status: 400, code: 283, message: 'The authorization grant is invalid' },
  // Not documented; shape kept, code is the HTTP status.
  noSuchMethod: { status: 404, code: 404, message: 'API method not found.' },
} as const;

const STATUS_MESSAGES: Record<number, string> = {
  500: 'Internal server error.',
  502: 'Bad gateway.',
  503: 'Service unavailable. Please try again later.',
  504: 'Gateway timeout.',
};

class PinterestError extends Error {
  constructor(
    readonly status: number,
    readonly code: number,
    message: string,
    readonly headers: Record<string, string> = {},
    /** Set on a rate limiter's refusal. */
    readonly limiter?: 'org_write' | 'org_read',
  ) {
    super(message);
  }

  static of(spec: { status: number; code: number; message: string }, message: string = spec.message): PinterestError {
    return new PinterestError(spec.status, spec.code, message);
  }
}

const invalidParameter = (message: string) => new PinterestError(400, 1, `Invalid parameters: ${message}`);

// ---- internal state ------------------------------------------------------------------------------

interface Reply {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
  limiter?: 'org_write' | 'org_read';
}

interface UserState {
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

interface TokenState {
  user: string;
  expiresAt: number;
  scope: string;
  /** Refresh tokens only: rotated away or revoked. */
  dead?: boolean;
}

interface PinRecord {
  seq: number;
  pin: SandboxPin;
  json: Record<string, unknown>;
}

interface CompiledMatch {
  method: string;
  path: RegExp;
  /** The path rule as given, for GET /_sandbox/faults. */
  pathText: string;
  user?: string;
}

interface FaultEntry {
  fault: Fault;
  match: CompiledMatch;
  /** One-shot faults: how many matching requests are still to be hit. */
  remaining?: number;
  /** One-shot faults armed with `nth`: matching requests still to let through before the first hit. */
  skip?: number;
  probability?: number;
  seed?: number;
  random?: () => number;
}

interface PendingDelay {
  timer: NodeJS.Timeout;
  resolve: (elapsed: boolean) => void;
}

// ---- the server ----------------------------------------------------------------------------------

export async function startPinterestSandbox(options: SandboxOptions = {}): Promise<PinterestSandbox> {
  const host = options.host ?? '127.0.0.1';
  if (!isLoopback(host)) throw new Error(`host ${host} is not a loopback address; the Pinterest sandbox listens on loopback only.`);
  const port = options.port ?? 0;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`port ${String(port)} is not a port number.`);
  const ratePerMinute = options.ratePerMinute ?? SANDBOX_DEFAULT_RATE_PER_MINUTE;
  assertPositiveInteger(ratePerMinute, 'ratePerMinute');
  const accessTokenTtlSeconds = options.accessTokenTtlSeconds ?? ACCESS_TOKEN_TTL_SECONDS;
  assertPositiveInteger(accessTokenTtlSeconds, 'accessTokenTtlSeconds');
  if (options.readRatePerMinute !== undefined) assertPositiveInteger(options.readRatePerMinute, 'readRatePerMinute');
  if (options.rateLimitRetryAfter !== undefined && typeof options.rateLimitRetryAfter !== 'boolean') throw new TypeError('rateLimitRetryAfter must be a boolean.');

  const sandbox = new Sandbox({
    clientId: options.clientId ?? SANDBOX_CLIENT_ID,
    clientSecret: options.clientSecret ?? SANDBOX_CLIENT_SECRET,
    ratePerMinute,
    ...(options.readRatePerMinute !== undefined ? { readRatePerMinute: options.readRatePerMinute } : {}),
    rateLimitRetryAfter: options.rateLimitRetryAfter ?? true,
    accessTokenTtlSeconds,
    now: options.now ?? Date.now,
  });
  await sandbox.listen(host, port);
  return sandbox;
}

interface SandboxConfig {
  clientId: string;
  clientSecret: string;
  ratePerMinute: number;
  readRatePerMinute?: number;
  rateLimitRetryAfter: boolean;
  accessTokenTtlSeconds: number;
  now: () => number;
}

class Sandbox implements PinterestSandbox {
  private readonly server = createServer((request, response) => {
    void this.handle(request, response).catch((error: unknown) => {
      console.error('[pinterest-sandbox] internal error', error);
      if (!response.headersSent) send(response, { status: 500, body: { code: 0, message: 'Internal sandbox error.' } });
      else response.destroy();
    });
  });
  private origin = '';
  private stopping: Promise<void> | undefined;

  private readonly users = new Map<string, UserState>();
  private readonly boards = new Map<string, BoardState>();
  private readonly accessTokens = new Map<string, TokenState>();
  private readonly refreshTokens = new Map<string, TokenState>();
  private records: PinRecord[] = [];
  private log: SandboxRequestLog[] = [];
  private faults: FaultEntry[] = [];
  private readonly delays = new Set<PendingDelay>();
  private pinSeq = 0;

  constructor(private readonly config: SandboxConfig) {}

  get url(): string {
    return this.origin;
  }

  async listen(host: string, port: number): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen({ host, port }, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    const address = this.server.address() as AddressInfo;
    const shown = address.family === 'IPv6' ? `[${address.address}]` : address.address;
    this.origin = `http://${shown}:${address.port}`;
  }

  // ---- test/CLI API ----

  addUser(input: Parameters<PinterestSandbox['addUser']>[0]): { accessToken: string; refreshToken: string } {
    const { username } = input;
    if (typeof username !== 'string' || !/^[A-Za-z0-9_.-]{1,64}$/.test(username)) {
      throw new TypeError('username must be 1-64 characters of letters, digits, "_", "." or "-".');
    }
    if (input.ratePerMinute !== undefined) assertPositiveInteger(input.ratePerMinute, 'ratePerMinute');
    if (input.readRatePerMinute !== undefined) assertPositiveInteger(input.readRatePerMinute, 'readRatePerMinute');
    if (input.rateLimitRetryAfter !== undefined && typeof input.rateLimitRetryAfter !== 'boolean') throw new TypeError('rateLimitRetryAfter must be a boolean.');
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

  pins(filter: { boardId?: string; user?: string } = {}): SandboxPin[] {
    return this.records
      .filter(({ pin }) => (filter.boardId === undefined || pin.board_id === filter.boardId) && (filter.user === undefined || pin.user === filter.user))
      .map(({ pin }) => structuredClone(pin));
  }

  requests(): SandboxRequestLog[] {
    return this.log.map((entry) => ({ ...entry }));
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
    const set = <K extends 'ratePerMinute' | 'readRatePerMinute' | 'rateLimitRetryAfter'>(key: K, value: UserState[K] | null | undefined) => {
      if (value === null) delete user[key];
      else if (value !== undefined) user[key] = value;
    };
    set('ratePerMinute', ratePerMinute);
    set('readRatePerMinute', readRatePerMinute);
    set('rateLimitRetryAfter', rateLimitRetryAfter);
  }

  inject(fault: Fault, options: { times?: number; match?: FaultMatch; nth?: number } = {}): void {
    const times = options.times ?? 1;
    assertPositiveInteger(times, 'times');
    const nth = options.nth ?? 1;
    assertPositiveInteger(nth, 'nth');
    this.faults.push({ fault: checkFault(fault), match: compileMatch(options.match), remaining: times, ...(nth > 1 ? { skip: nth - 1 } : {}) });
  }

  injectRate(fault: Fault, probability: number, options: { seed?: number; match?: FaultMatch } = {}): void {
    if (typeof probability !== 'number' || !(probability >= 0 && probability <= 1)) throw new TypeError('probability must be a number from 0 to 1.');
    const seed = options.seed ?? 1;
    if (!Number.isInteger(seed)) throw new TypeError('seed must be an integer.');
    this.faults.push({ fault: checkFault(fault), match: compileMatch(options.match), probability, seed, random: mulberry32(seed) });
  }

  clearFaults(): void {
    this.faults = [];
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

  reset(): void {
    this.records = [];
    this.log = [];
    this.faults = [];
    for (const user of this.users.values()) {
      user.writes = [];
      user.reads = [];
    }
  }

  stop(): Promise<void> {
    this.stopping ??= new Promise<void>((resolve, reject) => {
      for (const pending of this.delays) {
        clearTimeout(pending.timer);
        pending.resolve(false);
      }
      this.delays.clear();
      this.server.close((error) => (error ? reject(error) : resolve()));
      // fetch keeps connections alive; without this close() would wait for them to time out.
      this.server.closeAllConnections();
    });
    return this.stopping;
  }

  // ---- request pipeline ----

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const at = this.config.now();
    const url = new URL(request.url ?? '/', 'http://sandbox.invalid');
    const path = url.pathname.length > 1 ? url.pathname.replace(/\/+$/, '') : url.pathname;
    const method = (request.method ?? 'GET').toUpperCase();
    const controlPlane = path === '/_sandbox' || path.startsWith('/_sandbox/');
    const entry: SandboxRequestLog = { at, method, path, status: 0 };
    if (!controlPlane) this.log.push(entry);
    const raw = await readBody(request);
    if (raw === null) return; // the client went away mid-body
    if (raw === undefined) {
      entry.status = 413;
      send(response, { status: 413, body: { code: 1, message: `Request body is larger than ${MAX_BODY_BYTES} bytes.` } });
      return;
    }
    if (controlPlane) {
      send(response, this.control(method, path, url.searchParams, raw));
      return;
    }

    const user = this.identify(request, path, raw);
    if (user !== undefined) entry.user = user;

    // Faults are decided on arrival, before normal handling; only matching requests consume them.
    const fault = this.takeFault(method, path, user);
    if (fault) entry.fault = fault.kind;
    if (fault?.kind === 'drop_before') {
      drop(response);
      return;
    }
    if (fault?.kind === 'slow' && !(await this.delay(fault.delayMs))) {
      drop(response); // the sandbox is stopping
      return;
    }
    const reply = fault && fault.kind !== 'slow' && fault.kind !== 'drop_after_create' ? faultReply(fault) : this.answer(method, path, url.searchParams, request, raw);
    if (fault?.kind === 'drop_after_create') {
      drop(response);
      return;
    }
    entry.status = reply.status;
    if (reply.limiter) entry.limiter = reply.limiter;
    const { limiter: _limiter, ...wire } = reply;
    send(response, wire);
  }

  private answer(method: string, path: string, query: URLSearchParams, request: IncomingMessage, raw: string): Reply {
    try {
      return this.route(method, path, query, request, raw);
    } catch (error) {
      if (error instanceof PinterestError) {
        return { status: error.status, body: { code: error.code, message: error.message }, headers: error.headers, ...(error.limiter ? { limiter: error.limiter } : {}) };
      }
      throw error;
    }
  }

  private route(method: string, path: string, query: URLSearchParams, request: IncomingMessage, raw: string): Reply {
    if (path === '/v5/pins' && method === 'POST') return this.createPin(this.authenticate(request), raw);
    if (path === '/v5/oauth/token' && method === 'POST') return this.refresh(request, raw);
    if (path === '/v5/user_account' && method === 'GET') return this.userAccount(this.authenticateRead(request));
    const boardPins = /^\/v5\/boards\/([^/]+)\/pins$/.exec(path);
    if (boardPins && method === 'GET') return this.listBoardPins(this.authenticateRead(request), decodeURIComponent(boardPins[1]!), query);
    const pin = /^\/v5\/pins\/([^/]+)$/.exec(path);
    if (pin && method === 'GET') return this.getPin(this.authenticateRead(request), decodeURIComponent(pin[1]!));
    throw PinterestError.of(ERRORS.noSuchMethod);
  }

  /** The token owner for logging and fault matching, whether or not the token is still valid. */
  private identify(request: IncomingMessage, path: string, raw: string): string | undefined {
    if (path === '/v5/oauth/token') {
      const refreshToken = new URLSearchParams(raw).get('refresh_token');
      return refreshToken ? this.refreshTokens.get(refreshToken)?.user : undefined;
    }
    const token = bearerToken(request);
    return token ? this.accessTokens.get(token)?.user : undefined;
  }

  private authenticate(request: IncomingMessage): UserState {
    const token = bearerToken(request);
    const state = token ? this.accessTokens.get(token) : undefined;
    const user = state && state.expiresAt > this.config.now() ? this.users.get(state.user) : undefined;
    if (!user) throw PinterestError.of(ERRORS.authentication);
    return user;
  }

  /** A GET: authenticated, then counted against the user's read limit when one applies (org_read). */
  private authenticateRead(request: IncomingMessage): UserState {
    const user = this.authenticate(request);
    this.admitRead(user);
    return user;
  }

  private takeFault(method: string, path: string, user: string | undefined): Fault | undefined {
    for (const [index, entry] of this.faults.entries()) {
      const { match } = entry;
      if (match.method !== '*' && match.method !== method) continue;
      match.path.lastIndex = 0;
      if (!match.path.test(path)) continue;
      if (match.user !== undefined && match.user !== user) continue;
      if (entry.skip !== undefined && entry.skip > 0) {
        entry.skip -= 1; // armed for a later matching request: this one goes through
        continue;
      }
      if (entry.random) {
        if (entry.random() < (entry.probability ?? 0)) return entry.fault;
        continue;
      }
      entry.remaining = (entry.remaining ?? 1) - 1;
      if (entry.remaining <= 0) this.faults.splice(index, 1);
      return entry.fault;
    }
    return undefined;
  }

  private delay(ms: number): Promise<boolean> {
    return new Promise<boolean>((resolve) => {
      const pending: PendingDelay = {
        timer: setTimeout(() => {
          this.delays.delete(pending);
          resolve(true);
        }, ms),
        resolve,
      };
      this.delays.add(pending);
    });
  }

  // ---- Pinterest endpoints ----

  private createPin(user: UserState, raw: string): Reply {
    const rateHeaders = this.admitWrite(user);
    try {
      const input = parsePinCreate(raw);
      const board = this.boards.get(input.board_id);
      if (!board || board.owner !== user.username) throw PinterestError.of(ERRORS.boardNotFound);
      if (input.board_section_id !== undefined && !board.sections.has(input.board_section_id)) throw PinterestError.of(ERRORS.sectionNotFound);
      checkImageContent(input.media_source);
      const record = this.storePin(user, input);
      return { status: 201, body: record.json, headers: rateHeaders };
    } catch (error) {
      if (error instanceof PinterestError) throw new PinterestError(error.status, error.code, error.message, { ...rateHeaders, ...error.headers });
      throw error;
    }
  }

  /**
   * At most `limit` admitted requests in any rolling 60 s window per user. Requests the limiter
   * rejects are not counted (a client that keeps retrying is not locked out forever); admitted ones
   * count even when they then fail validation, as every call Pinterest answers does.
   */
  private admitWrite(user: UserState): Record<string, string> {
    const limit = user.ratePerMinute ?? this.config.ratePerMinute;
    return this.admit(user, 'writes', limit, 'org_write');
  }

  /** The read limiter (org_read): only when the user or the sandbox sets one. */
  private admitRead(user: UserState): void {
    const limit = user.readRatePerMinute ?? this.config.readRatePerMinute;
    if (limit !== undefined) this.admit(user, 'reads', limit, 'org_read');
  }

  private admit(user: UserState, log: 'writes' | 'reads', limit: number, category: 'org_write' | 'org_read'): Record<string, string> {
    const now = this.config.now();
    user[log] = user[log].filter((at) => at > now - RATE_WINDOW_MS && at <= now);
    const times = user[log];
    if (times.length >= limit) {
      const retryAfter = Math.max(1, Math.ceil((Math.min(...times) + RATE_WINDOW_MS - now) / 1000));
      const withRetryAfter = user.rateLimitRetryAfter ?? this.config.rateLimitRetryAfter;
      throw new PinterestError(
        ERRORS.rateLimited.status,
        ERRORS.rateLimited.code,
        ERRORS.rateLimited.message,
        { ...(withRetryAfter ? { 'retry-after': String(retryAfter) } : {}), 'x-ratelimit-limit': String(limit), 'x-ratelimit-remaining': '0' },
        category,
      );
    }
    times.push(now);
    return { 'x-ratelimit-limit': String(limit), 'x-ratelimit-remaining': String(limit - times.length) };
  }

  private storePin(user: UserState, input: PinInput): PinRecord {
    const seq = ++this.pinSeq;
    // 18 digits like real pin ids; the stride keeps them unique without a clock.
    const id = String(100_000_000_000_000_000n + BigInt(seq) * 1009n + BigInt(randomInt(1009)));
    const createdAt = new Date(this.config.now()).toISOString().slice(0, 19); // Pinterest: no ms, no zone
    const pin: SandboxPin = {
      id,
      board_id: input.board_id,
      ...optional('board_section_id', input.board_section_id),
      ...optional('title', input.title),
      ...optional('description', input.description),
      ...optional('link', input.link),
      ...optional('alt_text', input.alt_text),
      ...optional('note', input.note),
      ...optional('dominant_color', input.dominant_color),
      ...optional('parent_pin_id', input.parent_pin_id),
      media_source: structuredClone(input.media_source),
      created_at: createdAt,
      user: user.username,
    };
    const media = mediaOf(input.media_source);
    const json: Record<string, unknown> = {
      id,
      created_at: createdAt,
      link: input.link ?? null,
      title: input.title ?? null,
      description: input.description ?? null,
      dominant_color: input.dominant_color ?? colorOf(JSON.stringify(input.media_source)),
      alt_text: input.alt_text ?? null,
      creative_type: media.creativeType,
      board_id: input.board_id,
      board_section_id: input.board_section_id ?? null,
      board_owner: { username: user.username },
      is_owner: true,
      media: media.json,
      parent_pin_id: input.parent_pin_id ?? null,
      is_standard: true,
      has_been_promoted: false,
      note: input.note ?? null,
      pin_metrics: null,
    };
    const record = { seq, pin, json };
    this.records.push(record);
    return record;
  }

  private listBoardPins(user: UserState, boardId: string, query: URLSearchParams): Reply {
    const board = this.boards.get(boardId);
    if (!board || board.owner !== user.username) throw PinterestError.of(ERRORS.boardNotFound);
    const rawSize = query.get('page_size');
    const pageSize = rawSize === null ? PAGE_SIZE_DEFAULT : /^\d+$/.test(rawSize) ? Number(rawSize) : Number.NaN;
    if (!(pageSize >= 1 && pageSize <= PAGE_SIZE_MAX)) {
      throw invalidParameter(`page_size must be an integer from 1 to ${PAGE_SIZE_MAX} (was ${rawSize ?? ''}).`);
    }
    const bookmark = query.get('bookmark');
    let before = Number.POSITIVE_INFINITY;
    if (bookmark !== null && bookmark !== '') before = decodeBookmark(bookmark, boardId);
    const newestFirst = this.records.filter((r) => r.pin.board_id === boardId && r.seq < before).reverse();
    const page = newestFirst.slice(0, pageSize);
    const last = page.at(-1);
    const more = newestFirst.length > pageSize && last !== undefined;
    return {
      status: 200,
      body: { items: page.map((r) => structuredClone(r.json)), bookmark: more ? encodeBookmark(boardId, last.seq) : null },
    };
  }

  private getPin(user: UserState, pinId: string): Reply {
    const record = this.records.find((r) => r.pin.id === pinId);
    if (!record || record.pin.user !== user.username) throw PinterestError.of(ERRORS.pinNotFound);
    return { status: 200, body: structuredClone(record.json) };
  }

  private userAccount(user: UserState): Reply {
    const boardCount = [...this.boards.values()].filter((b) => b.owner === user.username).length;
    return {
      status: 200,
      body: {
        account_type: 'BUSINESS',
        id: user.id,
        username: user.username,
        profile_image: `https://i.pinimg.com/600x600_R/${createHash('sha1').update(user.username).digest('hex').slice(0, 32)}.jpg`,
        website_url: null,
        board_count: boardCount,
        pin_count: this.records.filter((r) => r.pin.user === user.username).length,
        follower_count: 0,
        following_count: 0,
        monthly_views: 0,
      },
    };
  }

  /** Continuous refresh: every refresh returns a new refresh token and kills the one presented. */
  private refresh(request: IncomingMessage, raw: string): Reply {
    const client = basicCredentials(request);
    if (!client || client.id !== this.config.clientId || client.secret !== this.config.clientSecret) {
      throw PinterestError.of(ERRORS.authentication);
    }
    const form = new URLSearchParams(raw);
    const grantType = form.get('grant_type');
    if (!grantType) throw invalidParameter('grant_type is required.');
    if (grantType !== 'refresh_token') throw invalidParameter(`grant_type ${grantType} is not supported by the sandbox (only refresh_token).`);
    const presented = form.get('refresh_token');
    if (!presented) throw invalidParameter('refresh_token is required.');
    const now = this.config.now();
    const old = this.refreshTokens.get(presented);
    if (!old || old.dead || old.expiresAt <= now || !this.users.has(old.user)) throw PinterestError.of(ERRORS.invalidGrant);
    const scope = form.get('scope')?.trim() || old.scope;

    old.dead = true;
    const accessToken = newToken('pina');
    const refreshToken = newToken('pinr');
    const refreshExpiresAt = now + REFRESH_TOKEN_TTL_SECONDS * 1000;
    this.accessTokens.set(accessToken, { user: old.user, expiresAt: now + this.config.accessTokenTtlSeconds * 1000, scope });
    this.refreshTokens.set(refreshToken, { user: old.user, expiresAt: refreshExpiresAt, scope });
    return {
      status: 200,
      body: {
        access_token: accessToken,
        refresh_token: refreshToken,
        response_type: 'refresh_token',
        token_type: 'bearer',
        expires_in: this.config.accessTokenTtlSeconds,
        refresh_token_expires_in: REFRESH_TOKEN_TTL_SECONDS,
        refresh_token_expires_at: Math.floor(refreshExpiresAt / 1000),
        scope,
      },
    };
  }

  // ---- /_sandbox control plane ----

  private control(method: string, path: string, query: URLSearchParams, raw: string): Reply {
    try {
      return this.controlRoute(method, path, query, raw);
    } catch (error) {
      // Everything the control plane throws is about its input (bad JSON, unknown user, bad fault).
      if (error instanceof Error) return { status: 400, body: { code: 1, message: error.message } };
      throw error;
    }
  }

  private controlRoute(method: string, path: string, query: URLSearchParams, raw: string): Reply {
    const route = `${method} ${path}`;
    switch (route) {
      case 'GET /_sandbox/pins': {
        const pins = this.pins({ ...optional('boardId', query.get('board_id') ?? undefined), ...optional('user', query.get('user') ?? undefined) });
        const counts: Record<string, number> = {};
        for (const pin of pins) counts[pin.board_id] = (counts[pin.board_id] ?? 0) + 1;
        return { status: 200, body: { total: pins.length, counts, pins } };
      }
      case 'GET /_sandbox/requests':
        return { status: 200, body: { requests: this.requests() } };
      case 'GET /_sandbox/faults':
        return {
          status: 200,
          body: {
            faults: this.faults.map((f) => ({
              fault: f.fault,
              match: { method: f.match.method, path: f.match.pathText, ...optional('user', f.match.user) },
              ...(f.random ? { probability: f.probability, seed: f.seed } : { remaining: f.remaining, ...(f.skip ? { nth: f.skip + 1 } : {}) }),
            })),
          },
        };
      case 'POST /_sandbox/faults': {
        const body = jsonObject(raw);
        const match = body['match'] === undefined ? undefined : (jsonObjectValue(body['match'], 'match') as FaultMatch);
        if (match?.path !== undefined && typeof match.path !== 'string') throw new TypeError('match.path must be a string (a regular expression).');
        if (body['probability'] !== undefined) {
          if (body['times'] !== undefined || body['nth'] !== undefined) throw new TypeError('give either times/nth or probability, not both.');
          this.injectRate(body['fault'] as Fault, body['probability'] as number, {
            ...optional('seed', body['seed'] as number | undefined),
            ...optional('match', match),
          });
        } else {
          this.inject(body['fault'] as Fault, {
            ...optional('times', body['times'] as number | undefined),
            ...optional('nth', body['nth'] as number | undefined),
            ...optional('match', match),
          });
        }
        return { status: 201, body: { ok: true, active_faults: this.faults.length } };
      }
      case 'DELETE /_sandbox/faults': {
        const cleared = this.faults.length;
        this.clearFaults();
        return { status: 200, body: { ok: true, cleared } };
      }
      case 'POST /_sandbox/users': {
        const body = jsonObject(raw) as Parameters<PinterestSandbox['addUser']>[0];
        if (body.boards !== undefined && !Array.isArray(body.boards)) throw new TypeError('boards must be an array of board ids.');
        const tokens = this.addUser(body);
        return { status: 201, body: { username: body.username, ...tokens } };
      }
      case 'POST /_sandbox/limits': {
        const body = jsonObject(raw);
        const { username, ...limits } = body;
        const known = new Set(['ratePerMinute', 'readRatePerMinute', 'rateLimitRetryAfter']);
        for (const name of Object.keys(limits)) if (!known.has(name)) throw new TypeError(`unknown limit ${name}.`);
        this.setLimits(username as string, limits as UserLimits);
        return { status: 200, body: { ok: true } };
      }
      case 'POST /_sandbox/boards': {
        const body = jsonObject(raw);
        if (body['sections'] !== undefined && !Array.isArray(body['sections'])) throw new TypeError('sections must be an array of section ids.');
        this.addBoard(body['username'] as string, body['boardId'] as string, body['sections'] as string[] | undefined);
        return { status: 201, body: { ok: true } };
      }
      case 'POST /_sandbox/tokens/expire':
        this.expireAccessToken(jsonObject(raw)['accessToken'] as string);
        return { status: 200, body: { ok: true } };
      case 'POST /_sandbox/tokens/revoke':
        this.revokeRefreshToken(jsonObject(raw)['refreshToken'] as string);
        return { status: 200, body: { ok: true } };
      case 'POST /_sandbox/reset':
        this.reset();
        return { status: 200, body: { ok: true } };
      default:
        return { status: 404, body: { code: 404, message: `No sandbox endpoint ${route}.` } };
    }
  }

  // ---- guards ----

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

// ---- PinCreate validation ------------------------------------------------------------------------

interface PinInput {
  board_id: string;
  board_section_id?: string;
  title?: string;
  description?: string;
  link?: string;
  alt_text?: string;
  note?: string;
  dominant_color?: string;
  parent_pin_id?: string;
  media_source: Record<string, unknown>;
}

function parsePinCreate(raw: string): PinInput {
  let body: unknown;
  try {
    body = JSON.parse(raw);
  } catch {
    throw invalidParameter('the request body is not valid JSON.');
  }
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw invalidParameter('the request body must be a JSON object.');
  const input = body as Record<string, unknown>;

  const boardId = input['board_id'];
  if (boardId === undefined || boardId === null) throw invalidParameter("'board_id' is a required property.");
  const link = optionalText(input, 'link', LIMITS.link);
  if (link !== undefined && !isHttpUrl(link)) throw PinterestError.of(ERRORS.invalidUrl);
  const dominantColor = optionalText(input, 'dominant_color', 7);
  if (dominantColor !== undefined && !/^#[0-9A-Fa-f]{6}$/.test(dominantColor)) throw invalidParameter("'dominant_color' must be a hex color like #6E7874.");
  if (input['media_source'] === undefined || input['media_source'] === null) throw invalidParameter("'media_source' is a required property.");

  return {
    board_id: digitString(input, 'board_id')!,
    ...optional('board_section_id', digitString(input, 'board_section_id')),
    ...optional('title', optionalText(input, 'title', LIMITS.title)),
    ...optional('description', optionalText(input, 'description', LIMITS.description)),
    ...optional('link', link),
    ...optional('alt_text', optionalText(input, 'alt_text', LIMITS.alt_text)),
    ...optional('note', optionalText(input, 'note', LIMITS.note)),
    ...optional('dominant_color', dominantColor),
    ...optional('parent_pin_id', digitString(input, 'parent_pin_id')),
    media_source: parseMediaSource(input['media_source']),
  };
}

function parseMediaSource(value: unknown): Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw invalidParameter("'media_source' must be an object.");
  const source = value as Record<string, unknown>;
  const type = source['source_type'];
  switch (type) {
    case 'image_url': {
      requireUrl(source, 'url', 'media_source.url');
      optionalBoolean(source, 'is_standard', 'media_source.is_standard');
      break;
    }
    case 'image_base64': {
      const contentType = source['content_type'];
      if (contentType !== 'image/jpeg' && contentType !== 'image/png') throw invalidParameter("'media_source.content_type' must be image/jpeg or image/png.");
      const data = source['data'];
      if (typeof data !== 'string' || data === '' || !/^[A-Za-z0-9+/\r\n]+={0,2}$/.test(data)) throw invalidParameter("'media_source.data' must be base64 image data.");
      optionalBoolean(source, 'is_standard', 'media_source.is_standard');
      break;
    }
    case 'multiple_image_urls': {
      const items = source['items'];
      if (!Array.isArray(items) || items.length < 2 || items.length > 5) throw invalidParameter("'media_source.items' must be an array of 2 to 5 images.");
      items.forEach((item, index) => {
        if (item === null || typeof item !== 'object' || Array.isArray(item)) throw invalidParameter(`'media_source.items[${index}]' must be an object.`);
        const image = item as Record<string, unknown>;
        requireUrl(image, 'url', `media_source.items[${index}].url`);
        optionalText(image, 'title', LIMITS.title, `media_source.items[${index}].title`);
        optionalText(image, 'description', LIMITS.description, `media_source.items[${index}].description`);
        const itemLink = optionalText(image, 'link', LIMITS.link, `media_source.items[${index}].link`);
        if (itemLink !== undefined && !isHttpUrl(itemLink)) throw PinterestError.of(ERRORS.invalidUrl);
      });
      const index = source['index'];
      if (index !== undefined && index !== null && !(Number.isInteger(index) && (index as number) >= 0)) {
        throw invalidParameter("'media_source.index' must be a non-negative integer.");
      }
      break;
    }
    case 'video_id': {
      const mediaId = source['media_id'];
      if (typeof mediaId !== 'string' || !/^\d+$/.test(mediaId)) throw invalidParameter("'media_source.media_id' must be a string of digits.");
      const cover = source['cover_image_url'];
      const keyFrame = source['cover_image_key_frame_time'];
      const hasCover = cover !== undefined && cover !== null;
      const hasKeyFrame = keyFrame !== undefined && keyFrame !== null;
      if (hasCover === hasKeyFrame) throw invalidParameter("'media_source' needs exactly one of cover_image_url and cover_image_key_frame_time.");
      if (hasCover) requireUrl(source, 'cover_image_url', 'media_source.cover_image_url');
      if (hasKeyFrame && !(typeof keyFrame === 'number' && Number.isFinite(keyFrame) && keyFrame >= 0)) {
        throw invalidParameter("'media_source.cover_image_key_frame_time' must be a non-negative number.");
      }
      break;
    }
    default:
      throw invalidParameter(`'media_source.source_type' ${JSON.stringify(type ?? null)} is not one of image_url, image_base64, multiple_image_urls, video_id.`);
  }
  return structuredClone(source);
}

/** Deterministic content faults users can trigger from outside: the image URL's path decides. */
function checkImageContent(source: Record<string, unknown>): void {
  const urls: string[] = [];
  if (typeof source['url'] === 'string') urls.push(source['url']);
  if (typeof source['cover_image_url'] === 'string') urls.push(source['cover_image_url']);
  if (Array.isArray(source['items'])) for (const item of source['items'] as Array<Record<string, unknown>>) urls.push(item['url'] as string);
  for (const url of urls) {
    const path = new URL(url).pathname.toLowerCase();
    if (path.includes('too-small')) throw PinterestError.of(ERRORS.imageTooSmall);
    if (path.includes('broken')) throw PinterestError.of(ERRORS.brokenImage);
  }
}

function optionalText(input: Record<string, unknown>, key: string, max: number, name = key): string | undefined {
  const value = input[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw invalidParameter(`'${name}' must be a string.`);
  // Characters, not UTF-16 units: an emoji counts once.
  const length = [...value].length;
  if (length > max) throw invalidParameter(`'${name}' must be at most ${max} characters (was ${length}).`);
  return value;
}

function digitString(input: Record<string, unknown>, key: string): string | undefined {
  const value = input[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string' || !/^\d{1,32}$/.test(value)) throw invalidParameter(`'${key}' must be a string of digits.`);
  return value;
}

function requireUrl(input: Record<string, unknown>, key: string, name: string): void {
  const value = input[key];
  if (value === undefined || value === null) throw invalidParameter(`'${name}' is a required property.`);
  if (typeof value !== 'string' || [...value].length > LIMITS.link || !isHttpUrl(value)) throw PinterestError.of(ERRORS.invalidUrl);
}

function optionalBoolean(input: Record<string, unknown>, key: string, name: string): void {
  const value = input[key];
  if (value !== undefined && value !== null && typeof value !== 'boolean') throw invalidParameter(`'${name}' must be a boolean.`);
}

function isHttpUrl(value: string): boolean {
  if (/[\s\u0000-\u001f\u007f]/.test(value)) return false;
  try {
    const url = new URL(value);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== '';
  } catch {
    return false;
  }
}

// ---- Pin JSON helpers ----------------------------------------------------------------------------

function mediaOf(source: Record<string, unknown>): { creativeType: string; json: Record<string, unknown> } {
  switch (source['source_type']) {
    case 'multiple_image_urls':
      return {
        creativeType: 'CAROUSEL',
        json: {
          media_type: 'multiple_images',
          items: (source['items'] as Array<Record<string, unknown>>).map((item) => ({
            item_type: 'image',
            title: item['title'] ?? null,
            description: item['description'] ?? null,
            link: item['link'] ?? null,
            images: imageSet(item['url'] as string),
          })),
        },
      };
    case 'video_id':
      return {
        creativeType: 'VIDEO',
        json: {
          media_type: 'video',
          cover_image_url: typeof source['cover_image_url'] === 'string' ? imageSet(source['cover_image_url'])['1200x'].url : null,
          video_url: null,
          duration: null,
          height: null,
          width: null,
        },
      };
    case 'image_base64':
      return { creativeType: 'REGULAR', json: { media_type: 'image', images: imageSet(source['data'] as string) } };
    default:
      return { creativeType: 'REGULAR', json: { media_type: 'image', images: imageSet(source['url'] as string) } };
  }
}

/** The four renditions Pinterest returns, on its CDN's URL scheme (the sandbox serves none of them). */
function imageSet(source: string) {
  const hash = createHash('md5').update(source).digest('hex');
  const file = `${hash.slice(0, 2)}/${hash.slice(2, 4)}/${hash.slice(4, 6)}/${hash}.jpg`;
  const rendition = (size: string, width: number, height: number) => ({ width, height, url: `https://i.pinimg.com/${size}/${file}` });
  return {
    '150x150': rendition('150x150', 150, 150),
    '400x300': rendition('400x300', 400, 300),
    '600x': rendition('600x', 600, 900),
    '1200x': rendition('1200x', 1200, 1800),
  };
}

function colorOf(seed: string): string {
  return `#${createHash('md5').update(seed).digest('hex').slice(0, 6).toUpperCase()}`;
}

function encodeBookmark(boardId: string, seq: number): string {
  return Buffer.from(`${boardId}:${seq}`).toString('base64url');
}

function decodeBookmark(bookmark: string, boardId: string): number {
  const match = /^(\d+):(\d+)$/.exec(Buffer.from(bookmark, 'base64url').toString('utf8'));
  if (!match || match[1] !== boardId) throw invalidParameter('bookmark is not valid for this request.');
  return Number(match[2]);
}

// ---- faults --------------------------------------------------------------------------------------

const FAULT_KINDS = new Set([
  'status',
  'rate_limit',
  'slow',
  'drop_after_create',
  'drop_before',
  'board_not_found',
  'section_not_found',
  'forbidden_trial',
  'image_too_small',
  'broken_image',
  'invalid',
  'unauthorized',
  'malformed_success',
]);

function checkFault(value: unknown): Fault {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new TypeError('fault must be an object with a kind.');
  const fault = value as Record<string, unknown>;
  const kind = fault['kind'];
  if (typeof kind !== 'string' || !FAULT_KINDS.has(kind)) throw new TypeError(`fault.kind must be one of ${[...FAULT_KINDS].join(', ')}.`);
  if (kind === 'status') {
    if (![500, 502, 503, 504].includes(fault['status'] as number)) throw new TypeError('fault.status must be 500, 502, 503 or 504.');
    if (fault['code'] !== undefined && !Number.isInteger(fault['code'])) throw new TypeError('fault.code must be an integer.');
  }
  if ((kind === 'status' || kind === 'invalid') && fault['message'] !== undefined && typeof fault['message'] !== 'string') {
    throw new TypeError('fault.message must be a string.');
  }
  if (kind === 'rate_limit' && fault['retryAfterSeconds'] !== undefined) {
    const seconds = fault['retryAfterSeconds'];
    if (!Number.isInteger(seconds) || (seconds as number) < 0) throw new TypeError('fault.retryAfterSeconds must be a non-negative integer.');
  }
  if (kind === 'slow') {
    const delayMs = fault['delayMs'];
    if (typeof delayMs !== 'number' || !Number.isFinite(delayMs) || delayMs < 0 || delayMs > 600_000) {
      throw new TypeError('fault.delayMs must be a number of milliseconds from 0 to 600000.');
    }
  }
  return structuredClone(fault) as Fault;
}

function faultReply(fault: Fault): Reply {
  const error = (spec: { status: number; code: number; message: string }, message: string = spec.message): Reply => ({
    status: spec.status,
    body: { code: spec.code, message },
  });
  switch (fault.kind) {
    case 'status':
      return { status: fault.status, body: { code: fault.code ?? fault.status, message: fault.message ?? STATUS_MESSAGES[fault.status] } };
    case 'rate_limit':
      return {
        ...error(ERRORS.rateLimited),
        headers: fault.retryAfterSeconds === undefined ? {} : { 'retry-after': String(fault.retryAfterSeconds) },
      };
    case 'board_not_found':
      return error(ERRORS.boardNotFound);
    case 'section_not_found':
      return error(ERRORS.sectionNotFound);
    case 'forbidden_trial':
      return error(ERRORS.forbidden);
    case 'image_too_small':
      return error(ERRORS.imageTooSmall);
    case 'broken_image':
      return error(ERRORS.brokenImage);
    case 'invalid':
      return { status: 400, body: { code: 1, message: fault.message ?? 'Invalid parameters.' } };
    case 'unauthorized':
      return error(ERRORS.authentication);
    case 'malformed_success':
      return { status: 201, body: { ok: true } };
    default:
      // slow, drop_before and drop_after_create never get here.
      throw new Error(`fault ${fault.kind} has no canned reply.`);
  }
}

function compileMatch(match: FaultMatch = {}): CompiledMatch {
  if (match === null || typeof match !== 'object') throw new TypeError('match must be an object.');
  const pathGiven = match.path !== undefined;
  if (match.method !== undefined && (typeof match.method !== 'string' || match.method === '')) throw new TypeError('match.method must be a string.');
  if (match.user !== undefined && typeof match.user !== 'string') throw new TypeError('match.user must be a string.');
  const method = (match.method ?? (pathGiven ? '*' : 'POST')).toUpperCase();
  let path: RegExp;
  if (match.path instanceof RegExp) path = match.path;
  else if (typeof match.path === 'string') path = new RegExp(`^(?:${match.path})$`);
  else if (match.path === undefined) path = /^\/v5\/pins$/;
  else throw new TypeError('match.path must be a RegExp or a string.');
  const pathText = match.path === undefined ? '/v5/pins' : String(match.path);
  return { method, path, pathText, ...optional('user', match.user) };
}

/** mulberry32: small, fast and good enough to make "30 % of requests fail" reproducible by seed. */
function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// ---- small helpers -------------------------------------------------------------------------------

function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || (isIP(host) === 4 && host.startsWith('127.'));
}

function assertPositiveInteger(value: unknown, name: string): void {
  if (!Number.isInteger(value) || (value as number) < 1) throw new TypeError(`${name} must be a positive integer.`);
}

function assertToken(token: unknown, name: string): void {
  if (typeof token !== 'string' || !/^[\x21-\x7e]{1,512}$/.test(token)) throw new TypeError(`${name} must be 1-512 printable ASCII characters without spaces.`);
}

function newToken(prefix: 'pina' | 'pinr'): string {
  return `${prefix}_${randomBytes(32).toString('base64url')}`;
}

function digits(count: number): string {
  let out = String(randomInt(1, 10));
  while (out.length < count) out += String(randomInt(10));
  return out;
}

function bearerToken(request: IncomingMessage): string | undefined {
  return /^Bearer\s+(\S+)\s*$/i.exec(request.headers.authorization ?? '')?.[1];
}

function basicCredentials(request: IncomingMessage): { id: string; secret: string } | undefined {
  const encoded = /^Basic\s+(\S+)\s*$/i.exec(request.headers.authorization ?? '')?.[1];
  if (!encoded) return undefined;
  const decoded = Buffer.from(encoded, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon < 0 ? undefined : { id: decoded.slice(0, colon), secret: decoded.slice(colon + 1) };
}

function jsonObject(raw: string): Record<string, unknown> {
  const parsed: unknown = raw.trim() === '' ? {} : JSON.parse(raw);
  return jsonObjectValue(parsed, 'the request body');
}

function jsonObjectValue(value: unknown, name: string): Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new TypeError(`${name} must be a JSON object.`);
  return value as Record<string, unknown>;
}

/** The whole body as UTF-8; undefined when larger than MAX_BODY_BYTES (drained, not kept); null when the client aborted. */
function readBody(request: IncomingMessage): Promise<string | undefined | null> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
    });
    request.on('end', () => resolve(size > MAX_BODY_BYTES ? undefined : Buffer.concat(chunks).toString('utf8')));
    request.on('error', () => resolve(null));
  });
}

function send(response: ServerResponse, reply: Reply): void {
  const body = JSON.stringify(reply.body);
  response.writeHead(reply.status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
    ...reply.headers,
  });
  response.end(body);
}

/** No response at all: the client sees the connection close (ECONNRESET / "other side closed"). */
function drop(response: ServerResponse): void {
  response.socket?.destroy();
}
