import { describe, expect, it } from 'vitest';
import {
  bucketParams,
  fullAtMs,
  initialBucket,
  refund,
  take,
  takeFromFull,
  tokensAt,
  touch,
  waitMsFor,
  type BucketParams,
  type BucketState,
} from '../../../lambdas/domain/token-bucket.ts';
import { mulberry32 } from '../../../local/seeded-random.ts';

const T0 = Date.parse('2026-03-01T12:00:00.000Z');
const MINUTE = 60_000;
const SEED = 20_260_301;

/** A seeded PRNG (mulberry32), so every schedule below is reproducible. */
const prng = mulberry32;

/** The most grants inside any closed 60 s window [t, t + 60 000 ms] (both ends count). */
function maxInAnyWindow(grants: readonly number[]): number {
  let max = 0;
  let start = 0;
  for (let end = 0; end < grants.length; end++) {
    while (grants[end]! - grants[start]! > MINUTE) start++;
    max = Math.max(max, end - start + 1);
  }
  return max;
}

type Pattern = 'uniform' | 'bursts' | 'top_of_minute';

/** Sorted request times (ms) over `minutes`, shaped by `pattern`, about `perMinute` on average. */
function arrivals(random: () => number, pattern: Pattern, minutes: number, perMinute: number): number[] {
  const horizon = minutes * MINUTE;
  const count = Math.round(perMinute * minutes);
  const times: number[] = [];
  for (let i = 0; i < count; i++) {
    if (pattern === 'uniform') times.push(Math.floor(random() * horizon));
    else if (pattern === 'bursts') {
      // Clusters of requests within 200 ms of a few random instants.
      const centre = Math.floor(random() * 12) * Math.floor(horizon / 12);
      times.push(centre + Math.floor(random() * 200));
    } else {
      // Schedules that align on the minute: everything within 2 s after each minute starts.
      times.push(Math.floor(random() * minutes) * MINUTE + Math.floor(random() * 2000));
    }
  }
  return times.map((t) => T0 + t).sort((a, b) => a - b);
}

/**
 * Every request calls `take` once when it arrives (a refused one is dropped: its retry is just another
 * arrival); `adjust` may change the parameters before each call. Returns the grant times.
 */
function simulate(params: BucketParams, requests: readonly number[], adjust?: (now: number, p: BucketParams) => BucketParams): number[] {
  let state: BucketState = initialBucket(params, T0);
  let current = params;
  const grants: number[] = [];
  for (const now of requests) {
    if (adjust) current = adjust(now, current);
    const result = take(state, current, now);
    if (result.granted) {
      state = result.state;
      grants.push(now);
    }
  }
  return grants;
}

/** A saturated backlog: the caller asks again exactly when told; returns the grant times. */
function saturated(params: BucketParams, minutes: number): number[] {
  let state = initialBucket(params, T0);
  const grants: number[] = [];
  let now = T0;
  while (now < T0 + minutes * MINUTE) {
    const result = take(state, params, now);
    if (result.granted) {
      state = result.state;
      grants.push(now);
    } else now += Math.max(1, result.waitMs);
  }
  return grants;
}

describe('bucketParams', () => {
  it.each([
    [2, 1, 1 / 60],
    [10, 1, 9 / 60],
    [29, 1, 28 / 60],
    [60, 2, 58 / 60],
    [100, 3, 97 / 60],
    [1000, 33, 967 / 60],
  ])('L = %i ⇒ capacity %i (⌊L/30⌋, at least 1), refill (L − C)/60 per second', (limit, capacity, refill) => {
    // Act
    const params = bucketParams(limit);

    // Assess: burst + refill over a minute never exceeds L
    expect(params).toEqual({ capacity, refillPerSecond: refill });
    expect(params.capacity + params.refillPerSecond * 60).toBeLessThanOrEqual(limit + 1e-9);
  });

  it('L = 1 refills one token per two minutes (capacity 1 already uses the whole budget)', () => {
    expect(bucketParams(1)).toEqual({ capacity: 1, refillPerSecond: 1 / 120 });
  });

  it('supports another window (per-second app limits)', () => {
    expect(bucketParams(10, 1)).toEqual({ capacity: 1, refillPerSecond: 9 });
  });

  it.each([0, 0.5, -3, Number.NaN, Number.POSITIVE_INFINITY])('refuses limit %s', (limit) => {
    expect(() => bucketParams(limit)).toThrow(RangeError);
  });
});

describe('take', () => {
  const params = { capacity: 1, refillPerSecond: 1 }; // one token per second

  it.each([
    // state tokens, ms since update, granted, tokens after, waitMs
    ['a full bucket', 1, 0, true, 0, 0],
    ['an empty bucket', 0, 0, false, 0, 1000],
    ['half refilled', 0, 500, false, 0, 500],
    ['just refilled', 0, 1000, true, 0, 0],
    ['refill beyond capacity is lost', 0, 10_000, true, 0, 0],
    ['a fractional remainder', 0.25, 250, false, 0.25, 500],
  ] as const)('%s', (_what, tokens, elapsed, granted, tokensAfter, waitMs) => {
    // Prepare
    const state = { tokens, updatedAtMs: T0 };

    // Act
    const result = take(state, params, T0 + elapsed);

    // Assess
    expect(result.granted).toBe(granted);
    expect(result.waitMs).toBe(waitMs);
    if (granted) {
      expect(result.state.tokens).toBeCloseTo(tokensAfter, 12);
      expect(result.state.updatedAtMs).toBe(Math.max(T0 + elapsed, T0 + 1)); // strictly after the stored version
    } else {
      expect(result.state).toBe(state); // nothing to write
    }
  });

  it('moves updatedAtMs strictly forward even when the caller clock is behind, and refills nothing for it', () => {
    // Prepare: another worker stored the bucket 5 s "in the future"
    const state = { tokens: 1, updatedAtMs: T0 + 5000 };

    // Act
    const first = take(state, params, T0);
    const second = take(first.state, params, T0);

    // Assess
    expect(first).toMatchObject({ granted: true, state: { tokens: 0, updatedAtMs: T0 + 5001 } });
    expect(second.granted).toBe(false);
    expect(tokensAt(first.state, params, T0 + 5001)).toBe(0);
  });

  it('keeps the state plain numbers that survive a JSON round trip (what a DynamoDB item stores)', () => {
    const { state } = take(initialBucket(bucketParams(7), T0), bucketParams(7), T0 + 12_345);
    expect(JSON.parse(JSON.stringify(state))).toEqual(state);
    expect(Object.values(state).every((v) => typeof v === 'number')).toBe(true);
  });

  it.each([0, -1, 2])('refuses cost %s (outside (0, capacity])', (cost) => {
    expect(() => take(initialBucket(params, T0), params, T0, cost)).toThrow(RangeError);
  });

  it('reports an infinite wait for a bucket that never refills', () => {
    expect(waitMsFor({ tokens: 0, updatedAtMs: T0 }, { capacity: 1, refillPerSecond: 0 }, T0)).toBe(Number.POSITIVE_INFINITY);
  });
});

describe('property: at most L grants in every rolling 60 s window', () => {
  const limits = [1, 2, 5, 10, 60, 100, 1000];
  const patterns: Pattern[] = ['uniform', 'bursts', 'top_of_minute'];
  const cases = limits.flatMap((limit) => patterns.map((pattern) => [limit, pattern] as const));

  it.each(cases)('L = %i, %s arrivals at 20 × L/min (≤ 8 000/min) over 6 minutes', (limit, pattern) => {
    // Prepare
    const random = prng(SEED + limit);
    const params = bucketParams(limit);
    const requests = arrivals(random, pattern, 6, Math.min(20 * limit, 8000)); // capped to keep the suite fast

    // Act
    const grants = simulate(params, requests);

    // Assess
    expect(grants.length).toBeGreaterThan(0);
    expect(maxInAnyWindow(grants)).toBeLessThanOrEqual(limit);
  });

  it.each(limits)('L = %i, saturated backlog', (limit) => {
    const grants = saturated(bucketParams(limit), 6);
    expect(maxInAnyWindow(grants)).toBeLessThanOrEqual(limit);
  });

  it('the check itself fails for a bucket that bursts beyond the budget', () => {
    // Prepare: capacity L plus refill L/60 — the classic but wrong choice
    const limit = 60;
    const naive = { capacity: limit, refillPerSecond: limit / 60 };

    // Act
    const grants = simulate(naive, arrivals(prng(SEED), 'top_of_minute', 6, 3 * limit));

    // Assess
    expect(maxInAnyWindow(grants)).toBeGreaterThan(limit);
  });
});

describe('property: a saturated backlog uses the limit', () => {
  it.each([20, 60, 100, 1000])('L = %i ⇒ ≥ 95 % of L per minute over 5 minutes', (limit) => {
    // Act
    const grants = saturated(bucketParams(limit), 5).filter((t) => t < T0 + 5 * MINUTE);

    // Assess: close to (L − 1)/L of the limit (plus the first token); a retry that comes up to 1 ms
    // late (waitMs is rounded up) loses that fraction of a token, since the bucket holds at most one.
    const utilization = grants.length / (5 * limit);
    expect(utilization).toBeGreaterThanOrEqual(0.95);
    expect(grants.length).toBeLessThanOrEqual(1 + 5 * (limit - 1));
  });

  it.each([
    [1, 3], // one per 120 s: t = 0, 120, 240 s
    [2, 5], // one per 60 s: t = 0, 60, …, 240 s
    [10, 45],
  ])('small limits pay for the one-slot margin: L = %i ⇒ %i grants in 5 minutes', (limit, expected) => {
    expect(saturated(bucketParams(limit), 5).filter((t) => t < T0 + 5 * MINUTE)).toHaveLength(expected);
  });
});

describe('refund / touch', () => {
  const params = { capacity: 2, refillPerSecond: 1 };

  it('refund gives a token back, never above the capacity, and moves the version forward', () => {
    const taken = take({ tokens: 1.5, updatedAtMs: T0 }, params, T0 + 100).state; // 1.6 − 1
    expect(refund(taken, params, T0 + 100)).toEqual({ tokens: 1.6, updatedAtMs: T0 + 101 });
    expect(refund({ tokens: 1.9, updatedAtMs: T0 }, params, T0 + 1000).tokens).toBe(2);
  });

  it('a refunded grant leaves the bucket where it would be had the grant never happened', () => {
    const start = { tokens: 0.5, updatedAtMs: T0 };
    const later = T0 + 2000;
    const untouched = tokensAt(start, params, later);
    const granted = take(start, params, T0 + 600).state;
    expect(tokensAt(refund(granted, params, T0 + 700), params, later)).toBeLessThanOrEqual(untouched + 1e-9);
  });

  it('touch keeps the tokens (refilled to now) under a new version', () => {
    expect(touch({ tokens: 0.25, updatedAtMs: T0 }, params, T0 + 500)).toEqual({ tokens: 0.75, updatedAtMs: T0 + 500 });
    expect(touch({ tokens: 0.25, updatedAtMs: T0 + 900 }, params, T0 + 500)).toEqual({ tokens: 0.25, updatedAtMs: T0 + 901 });
  });
});

// The app bucket's write without a read (lambdas/adapters/dynamo-pacer.ts) is exact only if this holds.
describe('fullAtMs: after it, a take is the same as from a full bucket', () => {
  it('for random states and limits, every take after fullAtMs grants exactly takeFromFull; the ms before may not', () => {
    const random = prng(SEED + 7);
    for (let i = 0; i < 5000; i++) {
      const params = bucketParams(1 + Math.floor(random() * 2000), random() < 0.5 ? 1 : 60);
      const state: BucketState = { tokens: random() * params.capacity, updatedAtMs: T0 + Math.floor(random() * 10_000) };
      const fullAt = fullAtMs(state, params);
      const nowMs = fullAt + 1 + Math.floor(random() * 3) * Math.floor(random() * 5000);
      expect(take(state, params, nowMs)).toEqual({ granted: true, state: takeFromFull(params, nowMs), waitMs: 0 });
      expect(fullAt).toBeGreaterThanOrEqual(state.updatedAtMs); // so the write's version (now) moves past the stored one
      if (state.tokens < params.capacity - 1e-9) expect(tokensAt(state, params, fullAt - 1)).toBeLessThan(params.capacity);
    }
  });
});
