/** The Pinterest API v5 endpoints pinrelay calls: routing, authentication, rate limits and the answers. */
import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Accounts, UserState } from './accounts.ts';
import { ERRORS, PinterestError, invalidParameter } from './errors.ts';
import { bearerToken, type Reply } from './http.ts';
import { refreshTokens } from './oauth.ts';
import { checkImageContent, parsePinCreate } from './pin-create.ts';
import type { PinStore } from './pins.ts';
import { admit } from './rate-limits.ts';
import type { SandboxConfig } from './types.ts';

const PAGE_SIZE_DEFAULT = 25;
const PAGE_SIZE_MAX = 250;

export class PinterestEndpoints {
  constructor(
    private readonly accounts: Accounts,
    private readonly pins: PinStore,
    private readonly config: SandboxConfig,
  ) {}

  /** The answer to a /v5 request, Pinterest's errors included. */
  answer(method: string, path: string, query: URLSearchParams, request: IncomingMessage, raw: string): Reply {
    try {
      return this.route(method, path, query, request, raw);
    } catch (error) {
      if (error instanceof PinterestError) {
        return {
          status: error.status,
          body: { code: error.code, message: error.message },
          headers: error.headers,
          ...(error.limiter ? { limiter: error.limiter } : {}),
        };
      }
      throw error;
    }
  }

  private route(method: string, path: string, query: URLSearchParams, request: IncomingMessage, raw: string): Reply {
    if (path === '/v5/pins' && method === 'POST') return this.createPin(this.authenticate(request), raw);
    if (path === '/v5/oauth/token' && method === 'POST') return refreshTokens(this.accounts, this.config, request, raw);
    if (path === '/v5/user_account' && method === 'GET') return this.userAccount(this.authenticateRead(request));
    const boardId = /^\/v5\/boards\/([^/]+)\/pins$/.exec(path)?.[1];
    if (boardId !== undefined && method === 'GET')
      return this.listBoardPins(this.authenticateRead(request), decodeURIComponent(boardId), query);
    const pinId = /^\/v5\/pins\/([^/]+)$/.exec(path)?.[1];
    if (pinId !== undefined && method === 'GET') return this.getPin(this.authenticateRead(request), decodeURIComponent(pinId));
    throw PinterestError.of(ERRORS.noSuchMethod);
  }

  private authenticate(request: IncomingMessage): UserState {
    const user = this.accounts.authenticate(bearerToken(request));
    if (!user) throw PinterestError.of(ERRORS.authentication);
    return user;
  }

  /** A GET: authenticated, then counted against the user's read limit when one applies (org_read). */
  private authenticateRead(request: IncomingMessage): UserState {
    const user = this.authenticate(request);
    const limit = user.readRatePerMinute ?? this.config.readRatePerMinute;
    if (limit !== undefined) admit(user, 'org_read', limit, this.config.now(), this.withRetryAfter(user));
    return user;
  }

  private withRetryAfter(user: UserState): boolean {
    return user.rateLimitRetryAfter ?? this.config.rateLimitRetryAfter;
  }

  private createPin(user: UserState, raw: string): Reply {
    const rateHeaders = admit(
      user,
      'org_write',
      user.ratePerMinute ?? this.config.ratePerMinute,
      this.config.now(),
      this.withRetryAfter(user),
    );
    try {
      const input = parsePinCreate(raw);
      const board = this.accounts.ownedBoard(user.username, input.board_id);
      if (!board) throw PinterestError.of(ERRORS.boardNotFound);
      if (input.board_section_id !== undefined && !board.sections.has(input.board_section_id))
        throw PinterestError.of(ERRORS.sectionNotFound);
      checkImageContent(input.media_source);
      const record = this.pins.add(user.username, input, this.config.now());
      return { status: 201, body: record.json, headers: rateHeaders };
    } catch (error) {
      if (error instanceof PinterestError)
        throw new PinterestError(error.status, error.code, error.message, { ...rateHeaders, ...error.headers });
      throw error;
    }
  }

  private listBoardPins(user: UserState, boardId: string, query: URLSearchParams): Reply {
    if (!this.accounts.ownedBoard(user.username, boardId)) throw PinterestError.of(ERRORS.boardNotFound);
    const rawSize = query.get('page_size');
    const pageSize = rawSize === null ? PAGE_SIZE_DEFAULT : /^\d+$/.test(rawSize) ? Number(rawSize) : Number.NaN;
    if (!(pageSize >= 1 && pageSize <= PAGE_SIZE_MAX)) {
      throw invalidParameter(`page_size must be an integer from 1 to ${PAGE_SIZE_MAX} (was ${rawSize ?? ''}).`);
    }
    const bookmark = query.get('bookmark');
    let before = Number.POSITIVE_INFINITY;
    if (bookmark !== null && bookmark !== '') before = decodeBookmark(bookmark, boardId);
    const newestFirst = this.pins.onBoard(boardId, before);
    const page = newestFirst.slice(0, pageSize);
    const last = page.at(-1);
    const more = newestFirst.length > pageSize && last !== undefined;
    return {
      status: 200,
      body: { items: page.map((r) => structuredClone(r.json)), bookmark: more ? encodeBookmark(boardId, last.seq) : null },
    };
  }

  private getPin(user: UserState, pinId: string): Reply {
    const record = this.pins.byId(pinId);
    if (!record || record.pin.user !== user.username) throw PinterestError.of(ERRORS.pinNotFound);
    return { status: 200, body: structuredClone(record.json) };
  }

  private userAccount(user: UserState): Reply {
    return {
      status: 200,
      body: {
        account_type: 'BUSINESS',
        id: user.id,
        username: user.username,
        profile_image: `https://i.pinimg.com/600x600_R/${createHash('sha1').update(user.username).digest('hex').slice(0, 32)}.jpg`,
        website_url: null,
        board_count: this.accounts.boardCount(user.username),
        pin_count: this.pins.countBy(user.username),
        follower_count: 0,
        following_count: 0,
        monthly_views: 0,
      },
    };
  }
}

function encodeBookmark(boardId: string, seq: number): string {
  return Buffer.from(`${boardId}:${seq}`).toString('base64url');
}

function decodeBookmark(bookmark: string, boardId: string): number {
  const match = /^(\d+):(\d+)$/.exec(Buffer.from(bookmark, 'base64url').toString('utf8'));
  if (!match || match[1] !== boardId) throw invalidParameter('bookmark is not valid for this request.');
  return Number(match[2]);
}
