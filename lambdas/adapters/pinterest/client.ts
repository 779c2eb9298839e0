import type { PinFields } from '../../domain/pin.ts';
import type { BoardPinsPage, PinterestApi, PinterestOperation, PinterestPin, RefreshedTokens } from '../../use-cases/ports.ts';
import { PinterestHttpError, PinterestResponseError, PinterestTransportError } from './errors.ts';
import { describe, redact, redactError, scrubTokens } from './redact.ts';
import { parseRetryAfter } from './retry-after.ts';
import { sendPhaseOf } from './send-phase.ts';
import { refreshedTokensOf, tokenResponseProblem, type TokenResponse } from './token-response.ts';

/**
 * Pinterest API v5 over fetch (undici). Every failure becomes one of the typed errors of errors.ts,
 * built from redacted material only (redact.ts): a secret the request carried never reaches an error.
 */

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

const MAX_PAGE_SIZE = 250;
const MAX_BODY_CHARS = 2000;
const MAX_MESSAGE_CHARS = 300;

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
      throw new PinterestResponseError(
        'refresh_token',
        raw.status,
        `Pinterest token refresh answered HTTP ${raw.status} with a body that is not JSON`,
        null,
      );
    }
    // The body holds fresh tokens: never keep it on an error, name only what was wrong.
    const problem = tokenResponseProblem(body);
    if (problem !== null) {
      throw new PinterestResponseError(
        'refresh_token',
        raw.status,
        `Pinterest token refresh answered HTTP ${raw.status} without ${problem}`,
        null,
      );
    }
    return refreshedTokensOf(body as TokenResponse, refreshToken, sentAt);
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
      throw new PinterestTransportError(
        operation,
        'before_send',
        `${label(operation)}: the request could not be built`,
        redactError(error, secrets),
      );
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

  private httpError(
    operation: PinterestOperation,
    response: Response,
    text: string | null,
    secrets: readonly string[],
  ): PinterestHttpError {
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

  private shapeError(
    operation: PinterestOperation,
    raw: RawResponse,
    body: unknown,
    secrets: readonly string[],
    expected: string,
  ): PinterestResponseError {
    const safe = parseJson(redact(raw.text, secrets));
    return new PinterestResponseError(
      operation,
      raw.status,
      `${label(operation)}: HTTP ${raw.status} but the body is not ${expected}`,
      scrubTokens(safe.ok ? safe.value : body),
    );
  }
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
