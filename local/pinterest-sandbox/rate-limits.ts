/** Pinterest's per-user rolling-window limiters: org_write for creates, and org_read for GETs when one is set. */
import type { UserState } from './accounts.ts';
import { ERRORS, PinterestError } from './errors.ts';
import type { Limiter } from './types.ts';

const RATE_WINDOW_MS = 60_000;

/**
 * At most `limit` admitted requests in any rolling 60 s window per user. Requests the limiter
 * rejects are not counted (a client that keeps retrying is not locked out forever); admitted ones
 * count even when they then fail validation, as every call Pinterest answers does.
 * Returns the rate headers of an admitted request; throws the 429 of a refused one.
 */
export function admit(user: UserState, limiter: Limiter, limit: number, now: number, withRetryAfter: boolean): Record<string, string> {
  const log = limiter === 'org_write' ? 'writes' : 'reads';
  user[log] = user[log].filter((at) => at > now - RATE_WINDOW_MS && at <= now);
  const times = user[log];
  if (times.length >= limit) {
    const retryAfter = Math.max(1, Math.ceil((Math.min(...times) + RATE_WINDOW_MS - now) / 1000));
    throw new PinterestError(
      ERRORS.rateLimited.status,
      ERRORS.rateLimited.code,
      ERRORS.rateLimited.message,
      {
        ...(withRetryAfter ? { 'retry-after': String(retryAfter) } : {}),
        'x-ratelimit-limit': String(limit),
        'x-ratelimit-remaining': '0',
      },
      limiter,
    );
  }
  times.push(now);
  return { 'x-ratelimit-limit': String(limit), 'x-ratelimit-remaining': String(limit - times.length) };
}
