/** The sandbox's shapes: what tests and the CLI see (re-exported by ../pinterest-sandbox.ts), and its resolved settings. */

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

/** Which rate limiter refused a request. */
export type Limiter = 'org_write' | 'org_read';

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
  limiter?: Limiter;
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

export interface NewUser {
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
}

export interface PinterestSandbox {
  /** Origin, e.g. http://127.0.0.1:PORT (no /v5 suffix; the API lives under /v5). */
  readonly url: string;
  /** Register a user with a board list and an initial token pair; returns the tokens. */
  addUser(user: NewUser): { accessToken: string; refreshToken: string };
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

/** SandboxOptions with the defaults applied and checked. */
export interface SandboxConfig {
  clientId: string;
  clientSecret: string;
  ratePerMinute: number;
  readRatePerMinute?: number;
  rateLimitRetryAfter: boolean;
  accessTokenTtlSeconds: number;
  now: () => number;
}
