/** When delivery attempts may start: retry backoff, `Retry-After`, and the per-destination rate limit. */

/** Local retry timing; EventBridge's own schedule (up to minutes between retries) is too slow here. */
export interface RetryTiming {
  /** Backoff before the first retry. @default 1000 */
  readonly firstDelayMs: number;
  /** Backoff cap. @default 20000 */
  readonly maxDelayMs: number;
  /** Growth per retry. @default 2 */
  readonly multiplier: number;
  /** Each backoff is shortened by a random fraction up to this (0 = none, 1 = "full jitter"). @default 0.5 */
  readonly jitter: number;
  /** MaximumEventAgeInSeconds is applied × this: 1 takes it literally, 0.01 turns 60 s into 0.6 s. @default 1 */
  readonly ageScale: number;
}

export const DEFAULT_RETRY_TIMING: RetryTiming = { firstDelayMs: 1000, maxDelayMs: 20_000, multiplier: 2, jitter: 0.5, ageScale: 1 };

/** The wait before retry number `retry` (1 = first retry): exponential, capped, jittered. */
export function backoffDelay(retry: number, timing: RetryTiming, random: () => number = Math.random): number {
  const base = Math.min(timing.maxDelayMs, timing.firstDelayMs * timing.multiplier ** Math.max(0, retry - 1));
  return Math.max(0, Math.round(base * (1 - Math.min(1, Math.max(0, timing.jitter)) * random())));
}

/** `Retry-After` as milliseconds from `nowMs`: delay-seconds or an HTTP date; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | readonly string[] | undefined, nowMs: number): number | undefined {
  const text = (Array.isArray(value) ? value[0] : value)?.trim();
  if (!text) return undefined;
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  // An HTTP date always names its month; this keeps Date.parse from reading "-1" as a year.
  if (!/[A-Za-z]{3}/.test(text)) return undefined;
  const date = Date.parse(text);
  return Number.isNaN(date) ? undefined : Math.max(0, date - nowMs);
}

/** At most `perSecond` starts in any one-second window; `reserve` returns when the next may start. */
export class RateLimiter {
  private readonly starts: number[] = [];

  reserve(now: number, perSecond: number): number {
    const limit = Math.max(1, Math.floor(perSecond));
    // The start `limit` places back: the next may begin a second after it (none yet while under the limit).
    const windowStart = this.starts.length >= limit ? this.starts[this.starts.length - limit] : undefined;
    const earliest = windowStart === undefined ? now : windowStart + 1000;
    const at = Math.max(now, earliest, this.starts.at(-1) ?? now);
    this.starts.push(at);
    if (this.starts.length > limit) this.starts.splice(0, this.starts.length - limit);
    return at;
  }
}
