import { describe, expect, it } from 'vitest';
import { backoffDelay, DEFAULT_RETRY_TIMING, parseRetryAfter, RateLimiter } from '../../../local/stand-ins/eventbridge/delivery-timing.ts';

describe('retry backoff', () => {
  const timing = { ...DEFAULT_RETRY_TIMING, jitter: 0 };

  it('starts at firstDelayMs, grows by the multiplier and stops at maxDelayMs', () => {
    expect([1, 2, 3, 4, 5, 6, 10].map((retry) => backoffDelay(retry, timing))).toEqual([1000, 2000, 4000, 8000, 16000, 20000, 20000]);
  });

  it('by default retries within a second first and never waits longer than 20 s', () => {
    for (let retry = 1; retry <= 185; retry++) {
      const delay = backoffDelay(retry, DEFAULT_RETRY_TIMING);
      expect(delay).toBeLessThanOrEqual(20_000);
      if (retry === 1) expect(delay).toBeLessThanOrEqual(1000);
    }
  });

  it('shortens each wait by up to the jitter fraction', () => {
    const jittered = { ...DEFAULT_RETRY_TIMING, jitter: 0.5 };
    expect(backoffDelay(1, jittered, () => 0)).toBe(1000);
    expect(backoffDelay(1, jittered, () => 0.999999)).toBe(500);
    expect(backoffDelay(2, jittered, () => 0.5)).toBe(1500);
  });
});

describe('Retry-After', () => {
  const now = Date.parse('2025-01-01T12:00:00Z');

  it('reads delay-seconds', () => {
    expect(parseRetryAfter('2', now)).toBe(2000);
    expect(parseRetryAfter(' 0 ', now)).toBe(0);
    expect(parseRetryAfter(['3', '9'], now)).toBe(3000);
  });

  it('reads an HTTP date, never negative', () => {
    expect(parseRetryAfter('Wed, 01 Jan 2025 12:00:05 GMT', now)).toBe(5000);
    expect(parseRetryAfter('Wed, 01 Jan 2025 11:00:00 GMT', now)).toBe(0);
  });

  it('ignores what it cannot read', () => {
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
    expect(parseRetryAfter('', now)).toBeUndefined();
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter('-1', now)).toBeUndefined();
  });
});

describe('rate limiter (InvocationRateLimitPerSecond)', () => {
  it('lets N requests start at once, then one per freed slot a second later', () => {
    const limiter = new RateLimiter();
    expect([0, 0, 0, 0, 0].map((now) => limiter.reserve(now, 2))).toEqual([0, 0, 1000, 1000, 2000]);
  });

  it('never lets more than N start in any one-second window', () => {
    const limiter = new RateLimiter();
    const starts = [0, 100, 200, 300, 1500, 1500, 1600, 1700].map((now) => limiter.reserve(now, 3));
    for (let i = 3; i < starts.length; i++) expect(starts[i]! - starts[i - 3]!).toBeGreaterThanOrEqual(1000);
    expect(starts).toEqual([0, 100, 200, 1000, 1500, 1500, 2000, 2500]);
  });

  it('does not delay requests that are spaced out anyway', () => {
    const limiter = new RateLimiter();
    expect([0, 1000, 2000, 3000].map((now) => limiter.reserve(now, 1))).toEqual([0, 1000, 2000, 3000]);
  });
});
