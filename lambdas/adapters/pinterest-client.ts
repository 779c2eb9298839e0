import type { PinFields } from '../api/schemas.ts';
import type { AttemptInput } from '../domain/classify.ts';

/**
 * Pinterest API v5 over fetch (undici), with one typed error per failure mode:
 * - `PinterestHttpError`: Pinterest (or something in front of it) answered with a non-2xx status;
 * - `PinterestTransportError`: no answer. `phase` says whether the request provably never left
 *   (`before_send`: safe to resend) or may have reached Pinterest (`after_send`: the outcome is unknown);
 * - `PinterestResponseError`: a 2xx whose body is not what the API promises.
 * `attemptInputOf` maps them to the classifier's input, once.
 *
 * Secrets (access, refresh and client credentials) never appear in an error's message, stack, body or
 * cause: everything that could echo them is redacted before the error is built.
 */

export interface PinterestPin {
  id: string;
  created_at?: string;
  link?: string | null;
  title?: string | null;
  description?: string | null;
  board_id?: string;
  board_section_id?: string | null;
  alt_text?: string | null;
  [k: string]: unknown;
}

export interface BoardPinsPage {
  items: PinterestPin[];
  bookmark: string | null;
}

export interface RefreshedTokens {
  accessToken: string;
  refreshToken: string;
  expiresAt: string;
  refreshTokenExpiresAt: string | null;
  scope?: string;
}

export interface PinterestApi {
  createPin(accessToken: string, pin: PinFields): Promise<PinterestPin>;
  listBoardPins(accessToken: string, boardId: string, page?: { pageSize?: number; bookmark?: string }): Promise<BoardPinsPage>;
  refreshAccessToken(refreshToken: string): Promise<RefreshedTokens>;
}

export interface PinterestClientOptions {
  /** Origin without /v5: https://api.pinterest.com, https://api-sandbox.pinterest.com, http://127.0.0.1:3100. */
  readonly baseUrl: string;
  readonly clientId: string;
  readonly clientSecret: string;
  /** Per request, body included. */
  readonly timeoutMs: number;
  readonly fetch?: typeof fetch;
  readonly now?: () => Date;
}

export type PinterestOperation = 'create_pin' | 'list_board_pins' | 'refresh_token';
export type SendPhase = 'before_send' | 'after_send';

export class PinterestError extends Error {
  constructor(
    readonly operation: PinterestOperation,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

export class PinterestHttpError extends PinterestError {
  constructor(
    operation: PinterestOperation,
    readonly status: number,
    /** Pinterest's numeric error code, when the body carried one. */
    readonly code: number | null,
    message: string,
    readonly retryAfterSeconds: number | null,
    /** The parsed JSON body (or its text, shortened), secrets redacted; null when unreadable. */
    readonly body: unknown,
  ) {
    super(operation, message);
  }
}

export class PinterestTransportError extends PinterestError {
  /** The underlying error (redacted copy if it mentioned a secret). */
  declare readonly cause: unknown;

  constructor(
    operation: PinterestOperation,
    readonly phase: SendPhase,
    message: string,
    cause: unknown,
  ) {
    super(operation, message, { cause });
  }
}

export class PinterestResponseError extends PinterestError {
  constructor(
    operation: PinterestOperation,
    readonly status: number,
    message: string,
    /** The parsed body, secrets redacted; null for token responses (they carry tokens). */
    readonly body: unknown,
  ) {
    super(operation, message);
  }
}

/**
 * Error codes that prove the request never left this process: name resolution, connection setup, TLS
 * handshake and request construction. Everything else, in particular a timeout of our own signal,
 * ECONNRESET, EPIPE and undici's UND_ERR_SOCKET ("other side closed"), is `after_send`: undici may have
 * written the request already (it does so as soon as the socket connects), and a false "before_send"
 * can duplicate a pin where a false "after_send" only costs a board listing.
 */
export const BEFORE_SEND_CODES: ReadonlySet<string> = new Set([
  // DNS
  'ENOTFOUND',
  'EAI_AGAIN',
  'EAI_FAIL',
  'EAI_NONAME',
  'EAI_NODATA',
  // TCP connect
  'ECONNREFUSED',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EHOSTDOWN',
  'ENETDOWN',
  'EADDRNOTAVAIL',
  'UND_ERR_CONNECT_TIMEOUT',
  // TLS handshake (certificate verification and protocol negotiation)
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_REVOKED',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'ERR_SSL_WRONG_VERSION_NUMBER',
  'ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION',
  'ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE',
  'ERR_SSL_TLSV1_ALERT_UNKNOWN_CA',
  'ERR_SSL_UNSUPPORTED_PROTOCOL',
  // request construction
  'ERR_INVALID_URL',
  'UND_ERR_INVALID_ARG',
  'ERR_INVALID_ARG_TYPE',
  'ERR_INVALID_ARG_VALUE',
]);

/** Node's net/dns errors name the system call; these two happen before anything is written. */
const BEFORE_SEND_SYSCALLS: ReadonlySet<string> = new Set(['connect', 'getaddrinfo']);

/**
 * Where a rejected fetch failed. fetch wraps network failures as `TypeError('fetch failed', { cause })`;
 * the first error in the cause chain that carries a code decides. An AggregateError (happy-eyeballs
 * connection attempts) is before_send only if every attempt is.
 */
export function sendPhaseOf(error: unknown): SendPhase {
  let current: unknown = error;
  for (let depth = 0; depth < 8 && current !== null && typeof current === 'object'; depth++) {
    const e = current as { name?: unknown; code?: unknown; syscall?: unknown; cause?: unknown };
    if (e.name === 'TimeoutError' || e.name === 'AbortError') return 'after_send';
    if (current instanceof AggregateError && current.errors.length > 0) {
      return current.errors.every((inner) => sendPhaseOf(inner) === 'before_send') ? 'before_send' : 'after_send';
    }
    if (typeof e.code === 'string') {
      if (BEFORE_SEND_CODES.has(e.code)) return 'before_send';
      return typeof e.syscall === 'string' && BEFORE_SEND_SYSCALLS.has(e.syscall) ? 'before_send' : 'after_send';
    }
    current = e.cause;
  }
  return 'after_send';
}

/**
 * The classifier's input for an error thrown while working on a pin (mapped once, here).
 * - token endpoint: an HTTP answer is `token_refresh_failed`; a transport failure is `before_send`
 *   with respect to the pin (no create was sent).
 * - board listing (verification of an unknown outcome): a transport failure stays `after_send`, so the
 *   outcome stays unknown and the next attempt verifies again before any create.
 * - anything that is not a PinterestError is a crash.
 */
export function attemptInputOf(error: unknown): AttemptInput {
  if (error instanceof PinterestHttpError) {
    if (error.operation === 'refresh_token') return { kind: 'token_refresh_failed', status: error.status };
    return { kind: 'http', status: error.status, code: error.code, retryAfterSeconds: error.retryAfterSeconds };
  }
  if (error instanceof PinterestTransportError) {
    if (error.operation === 'refresh_token') return { kind: 'transport', phase: 'before_send' };
    if (error.operation === 'list_board_pins') return { kind: 'transport', phase: 'after_send' };
    return { kind: 'transport', phase: error.phase };
  }
  if (error instanceof PinterestResponseError) return { kind: 'bad_response', operation: error.operation };
  return { kind: 'crash' };
}

/**
 * Retry-After as whole seconds from `now`: delta-seconds or an HTTP-date (RFC 9110 §10.2.3).
 * A date in the past is 0; anything unparseable is null.
 */
export function parseRetryAfter(value: string | null, now: Date): number | null {
  if (value === null) return null;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text);
  // Only accept something that looks like a date, not any string Date.parse happens to understand.
  if (!/[A-Za-z]{3}/.test(text)) return null;
  const at = Date.parse(text);
  if (Number.isNaN(at)) return null;
  return Math.max(0, Math.ceil((at - now.getTime()) / 1000));
}

const MAX_PAGE_SIZE = 250;
const MAX_BODY_CHARS = 2000;
const MAX_MESSAGE_CHARS = 300;
const REDACTED = '[redacted]';

interface Prepared {
  readonly url: URL;
  readonly init: RequestInit;
}

interface RawResponse {
  readonly status: number;
  readonly text: string;
}

export class PinterestClient implements PinterestApi {
  private readonly baseUrl: string;
  private readonly clientId: string;
  private readonly clientSecret: string;
  private readonly timeoutMs: number;
  private readonly fetchImpl: typeof fetch;
  private readonly now: () => Date;

  constructor(options: PinterestClientOptions) {
    if (!Number.isFinite(options.timeoutMs) || options.timeoutMs <= 0) throw new RangeError('timeoutMs must be a positive number');
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.clientId = options.clientId;
    this.clientSecret = options.clientSecret;
    this.timeoutMs = options.timeoutMs;
    // Resolved at call time, so the global fetch is used as it is then.
    this.fetchImpl = options.fetch ?? ((input, init) => fetch(input, init));
    this.now = options.now ?? (() => new Date());
  }

  async createPin(accessToken: string, pin: PinFields): Promise<PinterestPin> {
    const raw = await this.send('create_pin', [accessToken], () => ({
      url: this.url('/v5/pins'),
      init: {
        method: 'POST',
        headers: this.headers({ Authorization: `Bearer ${accessToken}`, 'Content-Type': 'application/json' }),
        body: JSON.stringify(pin),
      },
    }));
    const body = this.json('create_pin', raw, [accessToken]);
    if (!isPin(body)) throw this.shapeError('create_pin', raw, body, [accessToken], 'a Pin with a string id');
    return body;
  }

  async listBoardPins(accessToken: string, boardId: string, page: { pageSize?: number; bookmark?: string } = {}): Promise<BoardPinsPage> {
    const raw = await this.send('list_board_pins', [accessToken], () => {
      const url = this.url(`/v5/boards/${encodeURIComponent(boardId)}/pins`);
      const wanted = page.pageSize !== undefined && Number.isFinite(page.pageSize) ? Math.trunc(page.pageSize) : MAX_PAGE_SIZE;
      const pageSize = Math.min(MAX_PAGE_SIZE, Math.max(1, wanted));
      url.searchParams.set('page_size', String(pageSize));
      if (page.bookmark) url.searchParams.set('bookmark', page.bookmark);
      return { url, init: { method: 'GET', headers: this.headers({ Authorization: `Bearer ${accessToken}` }) } };
    });
    const body = this.json('list_board_pins', raw, [accessToken]);
    if (!isRecord(body) || !Array.isArray(body.items) || !body.items.every(isPin)) {
      throw this.shapeError('list_board_pins', raw, body, [accessToken], '{items: Pin[], bookmark}');
    }
    const bookmark = typeof body.bookmark === 'string' && body.bookmark !== '' ? body.bookmark : null;
    return { items: body.items, bookmark };
  }

  async refreshAccessToken(refreshToken: string): Promise<RefreshedTokens> {
    const basic = Buffer.from(`${this.clientId}:${this.clientSecret}`, 'utf8').toString('base64');
    const secrets = [refreshToken, this.clientSecret, basic];
    // Expiry counts from before the request: never later than Pinterest's own clock would put it.
    const sentAt = this.now().getTime();
    const raw = await this.send('refresh_token', secrets, () => ({
      url: this.url('/v5/oauth/token'),
      init: {
        method: 'POST',
        headers: this.headers({ Authorization: `Basic ${basic}`, 'Content-Type': 'application/x-www-form-urlencoded' }),
        body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken }).toString(),
      },
    }));
    let body: unknown;
    try {
      body = JSON.parse(raw.text);
    } catch {
      throw new PinterestResponseError('refresh_token', raw.status, `Pinterest token refresh answered HTTP ${raw.status} with a body that is not JSON`, null);
    }
    // The body holds fresh tokens: never keep it on an error, name only what was wrong.
    const problem = tokenResponseProblem(body);
    if (problem !== null) {
      throw new PinterestResponseError('refresh_token', raw.status, `Pinterest token refresh answered HTTP ${raw.status} without ${problem}`, null);
    }
    const tokens = body as TokenResponse;
    // A refresh-token lifetime that makes no sense is treated as unknown rather than failing the refresh.
    const expiresAtSeconds = tokens.refresh_token_expires_at;
    const refreshExpiresAtMs = isSeconds(tokens.refresh_token_expires_in)
      ? sentAt + tokens.refresh_token_expires_in * 1000
      : typeof expiresAtSeconds === 'number' && isSeconds(expiresAtSeconds - sentAt / 1000)
        ? expiresAtSeconds * 1000
        : null;
    return {
      accessToken: tokens.access_token,
      // Without continuous refresh Pinterest returns no new refresh token: the one we sent stays valid.
      refreshToken: typeof tokens.refresh_token === 'string' && tokens.refresh_token !== '' ? tokens.refresh_token : refreshToken,
      expiresAt: new Date(sentAt + tokens.expires_in * 1000).toISOString(),
      refreshTokenExpiresAt:
        typeof tokens.refresh_token === 'string' && tokens.refresh_token !== '' && refreshExpiresAtMs !== null
          ? new Date(refreshExpiresAtMs).toISOString()
          : null,
      ...(typeof tokens.scope === 'string' ? { scope: tokens.scope } : {}),
    };
  }

  private url(path: string): URL {
    return new URL(`${this.baseUrl}${path}`);
  }

  private headers(extra: Record<string, string>): Headers {
    return new Headers({ Accept: 'application/json', 'User-Agent': 'pinrelay', ...extra });
  }

  /**
   * One request: prepare (URL, headers; failures are before_send), fetch under the timeout, read the
   * whole body under the same timeout. Non-2xx answers become PinterestHttpError here.
   */
  private async send(operation: PinterestOperation, secrets: readonly string[], prepare: () => Prepared): Promise<RawResponse> {
    let prepared: Prepared;
    try {
      prepared = prepare();
    } catch (error) {
      throw new PinterestTransportError(operation, 'before_send', `${label(operation)}: the request could not be built`, redactError(error, secrets));
    }
    let response: Response;
    try {
      response = await this.fetchImpl(prepared.url.href, {
        ...prepared.init,
        // A redirect is unexpected and following it would resend a POST: surface it instead.
        redirect: 'manual',
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (error) {
      const phase = sendPhaseOf(error);
      const what = phase === 'before_send' ? 'the request was not sent' : 'no answer (the request may have reached Pinterest)';
      throw new PinterestTransportError(operation, phase, `${label(operation)}: ${what}: ${describe(error)}`, redactError(error, secrets));
    }
    const ok = response.status >= 200 && response.status <= 299;
    let text: string | null;
    try {
      text = await response.text();
    } catch (error) {
      // The status arrived: a 2xx was acted on (the pin may exist), a failure status is still a failure.
      if (ok) {
        throw new PinterestTransportError(
          operation,
          'after_send',
          `${label(operation)}: HTTP ${response.status} arrived but its body did not: ${describe(error)}`,
          redactError(error, secrets),
        );
      }
      text = null;
    }
    if (!ok) throw this.httpError(operation, response, text, secrets);
    return { status: response.status, text: text ?? '' };
  }

  private httpError(operation: PinterestOperation, response: Response, text: string | null, secrets: readonly string[]): PinterestHttpError {
    const safeText = text === null ? null : redact(text, secrets);
    const parsed = safeText === null ? ({ ok: false } as const) : parseJson(safeText);
    const body = parsed.ok ? scrubTokens(parsed.value) : safeText === null ? null : truncate(safeText, MAX_BODY_CHARS);
    const fields: Record<string, unknown> = parsed.ok && isRecord(parsed.value) ? parsed.value : {};
    const code = toCode(fields.code);
    const detail =
      firstString(fields.message, fields.error_description, fields.error, fields.detail) ??
      (safeText ? truncate(safeText.replace(/\s+/g, ' ').trim(), 120) : '');
    const message = `${label(operation)}: HTTP ${response.status}${code !== null ? ` (code ${code})` : ''}${detail ? `: ${truncate(detail, MAX_MESSAGE_CHARS)}` : ''}`;
    const retryAfterSeconds = parseRetryAfter(response.headers.get('retry-after'), this.now());
    return new PinterestHttpError(operation, response.status, code, message, retryAfterSeconds, body);
  }

  private json(operation: PinterestOperation, raw: RawResponse, secrets: readonly string[]): unknown {
    const parsed = parseJson(raw.text);
    if (!parsed.ok) {
      throw new PinterestResponseError(
        operation,
        raw.status,
        `${label(operation)}: HTTP ${raw.status} with a body that is not JSON`,
        truncate(redact(raw.text, secrets), MAX_BODY_CHARS),
      );
    }
    return parsed.value;
  }

  private shapeError(operation: PinterestOperation, raw: RawResponse, body: unknown, secrets: readonly string[], expected: string): PinterestResponseError {
    const safe = parseJson(redact(raw.text, secrets));
    return new PinterestResponseError(
      operation,
      raw.status,
      `${label(operation)}: HTTP ${raw.status} but the body is not ${expected}`,
      scrubTokens(safe.ok ? safe.value : body),
    );
  }
}

interface TokenResponse {
  access_token: string;
  expires_in: number;
  refresh_token?: unknown;
  refresh_token_expires_in?: unknown;
  refresh_token_expires_at?: unknown;
  scope?: unknown;
}

function tokenResponseProblem(body: unknown): string | null {
  if (!isRecord(body)) return 'a JSON object';
  if (typeof body.access_token !== 'string' || body.access_token === '') return 'a string access_token';
  if (!isSeconds(body.expires_in)) return 'a positive expires_in';
  if (body.refresh_token !== undefined && body.refresh_token !== null && typeof body.refresh_token !== 'string') return 'a string refresh_token';
  return null;
}

/** Up to ten years: anything longer is nonsense (and would not fit a Date). */
const MAX_LIFETIME_SECONDS = 10 * 365 * 86_400;

function isSeconds(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value) && value > 0 && value <= MAX_LIFETIME_SECONDS;
}

function label(operation: PinterestOperation): string {
  switch (operation) {
    case 'create_pin':
      return 'Pinterest create pin';
    case 'list_board_pins':
      return 'Pinterest list board pins';
    case 'refresh_token':
      return 'Pinterest token refresh';
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isPin(value: unknown): value is PinterestPin {
  return isRecord(value) && typeof value.id === 'string' && value.id !== '';
}

function parseJson(text: string): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return { ok: false };
  }
}

/** Pinterest's code is an integer; tolerate it as a numeric string. */
function toCode(value: unknown): number | null {
  if (typeof value === 'number' && Number.isInteger(value)) return value;
  if (typeof value === 'string' && /^-?\d{1,9}$/.test(value.trim())) return Number(value.trim());
  return null;
}

function firstString(...values: unknown[]): string | null {
  for (const value of values) if (typeof value === 'string' && value.trim() !== '') return value.trim();
  return null;
}

function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max)}…`;
}

function redact(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) if (secret.length > 0) out = out.split(secret).join(REDACTED);
  return out;
}

/** Values under keys that name a token or secret are replaced, at any depth. */
function scrubTokens(value: unknown, depth = 0): unknown {
  if (depth > 10) return REDACTED;
  if (Array.isArray(value)) return value.map((item) => scrubTokens(item, depth + 1));
  if (!isRecord(value)) return value;
  return Object.fromEntries(
    Object.entries(value).map(([key, inner]) => [key, /token|secret|password|authorization/i.test(key) ? REDACTED : scrubTokens(inner, depth + 1)]),
  );
}

/** A short, secret-free description of a fetch failure for the message: name and code only. */
function describe(error: unknown): string {
  const parts: string[] = [];
  let current: unknown = error;
  for (let depth = 0; depth < 4 && typeof current === 'object' && current !== null; depth++) {
    const e = current as { name?: unknown; code?: unknown; cause?: unknown };
    const name = typeof e.name === 'string' ? e.name : 'Error';
    parts.push(typeof e.code === 'string' ? `${name} ${e.code}` : name);
    current = e.cause;
  }
  return parts.length > 0 ? parts.join(' ← ') : String(typeof error);
}

function mentions(error: unknown, secrets: readonly string[], depth = 0): boolean {
  if (depth > 8 || typeof error !== 'object' || error === null) {
    return typeof error === 'string' && secrets.some((s) => s.length > 0 && error.includes(s));
  }
  const e = error as { message?: unknown; stack?: unknown; cause?: unknown; errors?: unknown };
  const texts = [e.message, e.stack].filter((t): t is string => typeof t === 'string');
  if (texts.some((t) => secrets.some((s) => s.length > 0 && t.includes(s)))) return true;
  if (Array.isArray(e.errors) && e.errors.some((inner) => mentions(inner, secrets, depth + 1))) return true;
  return mentions(e.cause, secrets, depth + 1);
}

/**
 * The original error when it does not mention a secret (keeps undici's details for debugging),
 * otherwise a redacted copy: same name, code and structure, secrets replaced.
 * (Headers validation, for one, quotes the offending header value: the token.)
 */
function redactError(error: unknown, secrets: readonly string[], depth = 0): unknown {
  if (!mentions(error, secrets)) return error;
  if (typeof error === 'string') return redact(error, secrets);
  if (depth > 8 || typeof error !== 'object' || error === null) return REDACTED;
  const e = error as { name?: unknown; message?: unknown; stack?: unknown; code?: unknown; cause?: unknown; errors?: unknown };
  const message = typeof e.message === 'string' ? redact(e.message, secrets) : '';
  const copy: Error & { code?: unknown; errors?: unknown } =
    e.cause !== undefined ? new Error(message, { cause: redactError(e.cause, secrets, depth + 1) }) : new Error(message);
  copy.name = typeof e.name === 'string' ? e.name : 'Error';
  copy.stack = typeof e.stack === 'string' ? redact(e.stack, secrets) : `${copy.name}: ${message}`;
  if (typeof e.code === 'string' || typeof e.code === 'number') copy.code = e.code;
  if (Array.isArray(e.errors)) copy.errors = e.errors.map((inner) => redactError(inner, secrets, depth + 1));
  return copy;
}
