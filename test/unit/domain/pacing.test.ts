import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ADOPT_MARGIN, effectiveLimit } from '../../../lambdas/domain/adaptive-limit.ts';
import {
  acceptedInWindow,
  decideRead,
  decideWrite,
  pacingSignalOf,
  READ_HOLD_MS,
  reportRead,
  reportWrite,
  sentInWindow,
  windowWaitMs,
  type WriteState,
} from '../../../lambdas/domain/pacing.ts';
import { classifyAttempt } from '../../../lambdas/domain/classify.ts';
import { bucketParams } from '../../../lambdas/domain/token-bucket.ts';
import { simulate, windows, type Answer, type SimJob } from './pacing-simulation.ts';

/**
 * The bound of lambdas/domain/pacing.ts, held with generated schedules: arrivals, latencies before the
 * create (token refresh, board listings), answer latencies, 429 patterns (lone, runs, Retry-After, a real
 * limiter below the configured one), 5xx, and several workers at once. Seed 20261124 unless FC_SEED says.
 */
const SEED = Number(process.env.FC_SEED ?? 20_261_124);
const T0 = Date.parse('2026-03-01T12:00:00.000Z');
const MINUTE = 60_000;

const answer: fc.Arbitrary<Answer> = fc.oneof(
  { weight: 12, arbitrary: fc.constant<Answer>({ kind: 'ok' }) },
  { weight: 2, arbitrary: fc.constant<Answer>({ kind: '5xx' }) },
  { weight: 2, arbitrary: fc.constant<Answer>({ kind: '429', retryAfterSeconds: null }) },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: 40 }).map<Answer>((s) => ({ kind: '429', retryAfterSeconds: s })) },
);

const job = (maxArrivalMs: number): fc.Arbitrary<SimJob> =>
  fc.record({
    arrivalMs: fc.integer({ min: 0, max: maxArrivalMs }),
    // Mostly quick, sometimes a refresh at the timeout plus four listings at the timeout.
    beforeCreateMs: fc.array(fc.oneof(fc.integer({ min: 0, max: 300 }), fc.integer({ min: 0, max: 50_000 })), {
      minLength: 1,
      maxLength: 3,
    }),
    answerMs: fc.array(fc.oneof(fc.integer({ min: 5, max: 400 }), fc.integer({ min: 0, max: 12_000 })), { minLength: 1, maxLength: 3 }),
    answers: fc.array(answer, { minLength: 1, maxLength: 4 }),
  });

const scenario = fc.record({
  configured: fc.constantFrom(1, 2, 3, 5, 10, 30, 60, 100),
  jobs: fc.integer({ min: 0, max: 5 * MINUTE }).chain((spread) => fc.array(job(spread), { minLength: 1, maxLength: 90 })),
  workers: fc.constantFrom(1, 1, 1, 2, 4),
  realLimit: fc.option(fc.record({ fraction: fc.double({ min: 0.2, max: 1, noNaN: true }), retryAfter: fc.boolean() }), { nil: undefined }),
});

type Scenario = typeof scenario extends fc.Arbitrary<infer T> ? T : never;

function run(s: Scenario, options: { tokenBeforeCalls?: boolean } = {}) {
  return simulate({
    configured: s.configured,
    jobs: s.jobs,
    workers: s.workers,
    horizonMs: 20 * MINUTE,
    ...(s.realLimit
      ? { realLimit: { perMinute: Math.max(1, Math.floor(s.configured * s.realLimit.fraction)), retryAfter: s.realLimit.retryAfter } }
      : {}),
    ...options,
  });
}

describe('property: no rolling 60 s window holds more creates than the effective limit at its last create', () => {
  it('whatever the arrivals, latencies before the create, answers, 429 patterns and concurrency', () => {
    fc.assert(
      fc.property(scenario, (s) => {
        const result = run(s);
        for (const w of windows(result.grants)) {
          if (w.count > w.limit) return false;
          if (w.limit > s.configured) return false;
        }
        // Grant times strictly increase (the bucket's version).
        return result.grants.every((g, i) => i === 0 || g.atMs > result.grants[i - 1]!.atMs);
      }),
      { seed: SEED, numRuns: 300 },
    );
  });

  it('a 429 with Retry-After holds the whole account: no create is granted until it passes', () => {
    fc.assert(
      fc.property(scenario, (s) => {
        const result = run(s);
        return result.holds.every((h) => !result.grants.some((g) => g.atMs >= h.atMs && g.atMs < h.untilMs));
      }),
      { seed: SEED + 1, numRuns: 300 },
    );
  });

  it('the limit is lowered exactly when 3 of 5 consecutive creates were refused: lone 429s leave it where it is', () => {
    // One worker (a FIFO message group): each create is answered before the next is granted.
    // Configured 1 cannot go lower: its verdicts change nothing.
    const serial = scenario.filter((s) => s.configured > 1).map((s): Scenario => ({ ...s, workers: 1, realLimit: undefined }));
    fc.assert(
      fc.property(serial, (s) => {
        const result = run(s);
        const refused = result.answers.map((a) => a.kind === '429');
        const run3of5 =
          refused.some((_, i) => i >= 4 && refused.slice(i - 4, i + 1).filter(Boolean).length >= 3) ||
          (refused.length < 5 && refused.filter(Boolean).length >= 3);
        return result.lowered === run3of5;
      }),
      { seed: SEED + 2, numRuns: 300 },
    );
  });

  it('the check has teeth: the previous order (token before the refresh and listings) puts more than the limit in a window', () => {
    const found = fc.check(
      fc.property(scenario, (s) =>
        windows(run(s, { tokenBeforeCalls: true }).grants, (g) => g.sentMs).every((w) => w.count <= s.configured),
      ),
      { seed: SEED + 3, numRuns: 300 },
    );
    expect(found.failed).toBe(true);
  });
});

describe('a real limit below the configured one', () => {
  /** A saturated backlog of `count` jobs, all there at t = 0, answering ok unless Pinterest's limiter refuses. */
  const backlog = (count: number, answers: Answer[] = [{ kind: 'ok' }]): SimJob[] =>
    Array.from({ length: count }, () => ({ arrivalMs: 0, beforeCreateMs: [80], answerMs: [150], answers }));

  it.each([
    [60, 30],
    [60, 45],
    [100, 40],
    [30, 12],
  ])(
    'configured %i, real %i, 429s without Retry-After: adopts what Pinterest accepted, keeps 429s few and uses ≥ 80 % of the real limit',
    (configured, real) => {
      const result = simulate({
        configured,
        jobs: backlog(Math.max(6 * real, 60)),
        realLimit: { perMinute: real, retryAfter: false },
        backoffMs: () => 30_000,
      });

      const realRefusals = result.answers.filter((a) => a.real).length;
      expect(result.lowered).toBe(true);
      // At most halved per verdict, the limit comes down until the rate it sends (L − C a minute) fits what
      // Pinterest accepts, and not far below (the margin).
      const lowest = Math.min(...result.limits.map((l) => l.limit));
      expect(lowest - bucketParams(lowest).capacity).toBeLessThanOrEqual(real);
      expect(lowest).toBeGreaterThanOrEqual(Math.floor(real * (1 - ADOPT_MARGIN)) - 1);
      expect(realRefusals / result.grants.length).toBeLessThanOrEqual(0.1);
      // Sustained rate: creates per minute from the first create to the last first attempt.
      const span = (result.grants.at(-1)!.atMs - result.grants[0]!.atMs) / MINUTE;
      expect((result.grants.length - 1) / span).toBeGreaterThanOrEqual(0.8 * real);
    },
  );

  it('configured 60, real 30, 429s with Retry-After: the holds alone keep 429s few and the rate near the real limit', () => {
    const result = simulate({
      configured: 60,
      jobs: backlog(180),
      realLimit: { perMinute: 30, retryAfter: true },
      backoffMs: () => 30_000,
    });
    const span = (result.grants.at(-1)!.atMs - result.grants[0]!.atMs) / MINUTE;
    expect(result.answers.filter((a) => a.real).length / result.grants.length).toBeLessThanOrEqual(0.05);
    expect((result.grants.length - 1) / span).toBeGreaterThanOrEqual(0.8 * 30);
  });

  it('a run of 429s in the first seconds of a backlog (thin proof) costs at most half the limit, and only for minutes', () => {
    // The 2nd, 3rd and 5th creates are refused (noise), everything else goes through.
    const jobs = backlog(120).map((job, i) =>
      i === 1 || i === 2 || i === 4
        ? { ...job, answers: [{ kind: '429', retryAfterSeconds: null } as Answer, { kind: 'ok' } as Answer] }
        : job,
    );
    const result = simulate({ configured: 60, jobs, backoffMs: () => 30_000 });
    expect(result.lowered).toBe(true);
    expect(Math.min(...result.limits.map((l) => l.limit))).toBeGreaterThanOrEqual(27);
    expect(result.done).toBe(120);
    const span = (result.grants.at(-1)!.atMs - result.grants[0]!.atMs) / MINUTE;
    expect((result.grants.length - 1) / span).toBeGreaterThanOrEqual(24); // at worst about half, never one per two minutes
  });

  it('with no lower limit the configured rate is kept: 60/min, 150 jobs ⇒ L − C per minute', () => {
    const result = simulate({ configured: 60, jobs: backlog(150) });
    const span = (result.grants.at(-1)!.atMs - result.grants[0]!.atMs) / MINUTE;
    expect(result.lowered).toBe(false);
    expect((result.grants.length - 1) / span).toBeGreaterThanOrEqual(0.96 * 60);
  });
});

describe('decideWrite', () => {
  const L = 60; // capacity 2, refill 58/60 per second
  const interval = Math.ceil(1000 / bucketParams(L).refillPerSecond); // 1035 ms
  const full = (over: Partial<WriteState> = {}): WriteState => ({
    bucket: { tokens: 2, updatedAtMs: T0 - 10_000 },
    log: [],
    recent: [],
    ...over,
  });

  it('admission takes nothing and writes nothing', () => {
    expect(decideWrite(full(), L, T0, { take: false, reserve: true })).toEqual({ kind: 'ready' });
  });

  it('a grant takes a token, logs it under its second and remembers the create', () => {
    const decision = decideWrite(full(), L, T0 + 1500, { take: true, reserve: false });
    expect(decision).toMatchObject({ kind: 'granted', grantAtMs: T0 + 1500 });
    const { state } = decision as Extract<typeof decision, { kind: 'granted' }>;
    expect(state.bucket).toEqual({ tokens: 1, updatedAtMs: T0 + 1500 });
    expect(state.log).toEqual([[Math.floor((T0 + 1500) / 1000), 1, 0]]);
    expect(state.recent).toEqual([{ grantAtMs: T0 + 1500, refused: false }]);
  });

  it('without a token: a reservation one interval behind the last, stored; the token stays', () => {
    const decision = decideWrite(full({ bucket: { tokens: 2, updatedAtMs: T0 }, nextSlotMs: T0 + 3000 }), L, T0, {
      take: false,
      reserve: true,
    });
    expect(decision).toMatchObject({ kind: 'wait', waitMs: 3000 + interval, slotMs: T0 + 3000 + interval });
    expect((decision as { state: WriteState }).state).toMatchObject({ nextSlotMs: T0 + 3000 + interval, bucket: { tokens: 2 } });
  });

  it('a job whose own slot is due passes the queue; a hair early it sleeps, keeps the slot, writes nothing', () => {
    const state = full({ bucket: { tokens: 0.5, updatedAtMs: T0 }, nextSlotMs: T0 + 5000 });
    expect(decideWrite(state, L, T0 + 2000, { reservedSlotMs: T0 + 2000, take: true, reserve: false })).toMatchObject({ kind: 'granted' });
    expect(decideWrite(state, L, T0, { reservedSlotMs: T0 + 500, take: false, reserve: true })).toEqual({
      kind: 'wait',
      waitMs: 518,
      slotMs: T0 + 500,
    });
  });

  it('a Retry-After hold: no grant before it ends, reservations after it, the bucket untouched', () => {
    const held = full({ holdUntilMs: T0 + 20_000 });
    expect(decideWrite(held, L, T0 + 19_999, { take: true, reserve: false })).toMatchObject({ kind: 'wait', waitMs: 1 });
    expect(decideWrite(held, L, T0, { take: false, reserve: true })).toMatchObject({ kind: 'wait', slotMs: T0 + 20_000 });
    expect(decideWrite(held, L, T0 + 20_000, { take: true, reserve: false })).toMatchObject({ kind: 'granted' });
  });

  it('the last minute bounds a grant even with tokens: a lowered limit applies at once', () => {
    const second = Math.floor(T0 / 1000);
    // 30 creates in the last minute (one per two seconds); the limit was just lowered to 27.
    const log = Array.from({ length: 30 }, (_, i) => [second - 58 + 2 * i, 1, 0] as const);
    const state = full({ log, limit: { floor: 27, ceiling: 30, sinceMs: T0 } });
    expect(effectiveLimit(L, state.limit, T0)).toBe(27);
    const decision = decideWrite(state, L, T0, { take: true, reserve: false });
    // Room for one more once 4 of the 30 have left the window: the 4th oldest, at second − 52, leaves at +9 s.
    expect(decision).toEqual({ kind: 'wait', waitMs: 9000 });
    expect(windowWaitMs(log, T0, 27)).toBe(9000);
  });
});

describe('reportWrite', () => {
  const L = 60;
  const granted = (state: WriteState | undefined, at: number) => {
    const d = decideWrite(state, L, at, { take: true, reserve: false });
    if (d.kind !== 'granted') throw new Error(`no grant at ${at}`);
    return d;
  };

  it('a lone 429 changes nothing but the record: the rate is kept, no pause', () => {
    const g = granted(undefined, T0);
    const state = reportWrite(g.state, L, T0 + 200, { kind: 'rate_limited', grantAtMs: g.grantAtMs, retryAfterSeconds: null });
    expect(state.limit).toBeUndefined();
    expect(state.holdUntilMs).toBeUndefined();
    expect(state.recent).toEqual([{ grantAtMs: g.grantAtMs, refused: true }]);
    expect(sentInWindow(state.log, T0 + 200)).toBe(1);
    expect(acceptedInWindow(state.log, T0 + 200)).toBe(0);
  });

  it('Retry-After holds the account from the answer on; a later, shorter one does not shorten it', () => {
    const g = granted(undefined, T0);
    const held = reportWrite(g.state, L, T0 + 500, { kind: 'rate_limited', grantAtMs: g.grantAtMs, retryAfterSeconds: 20 });
    expect(held.holdUntilMs).toBe(T0 + 20_500);
    expect(reportWrite(held, L, T0 + 600, { kind: 'rate_limited', grantAtMs: g.grantAtMs, retryAfterSeconds: 1 }).holdUntilMs).toBe(
      T0 + 20_500,
    );
  });

  it('3 of the last 5 creates refused: the limit becomes the creates that got through in the last minute, minus 10 %', () => {
    let state: WriteState | undefined;
    let at = T0;
    // 40 accepted creates, then refusals.
    for (let i = 0; i < 40; i++, at += 1100) state = granted(state, at).state;
    const refused: number[] = [];
    for (let i = 0; i < 3; i++, at += 1100) {
      const g = granted(state, at);
      refused.push(g.grantAtMs);
      state = reportWrite(g.state, L, at + 100, { kind: 'rate_limited', grantAtMs: g.grantAtMs, retryAfterSeconds: null });
      if (i < 2) expect(state.limit).toBeUndefined();
    }
    const accepted = acceptedInWindow(state!.log, at - 1000);
    expect(accepted).toBeGreaterThan(40 - 8); // the oldest seconds have left the window
    expect(state!.limit).toEqual({ floor: Math.floor(accepted * 0.9), ceiling: accepted, sinceMs: at - 1000 });
    expect(state!.recent).toEqual([]); // fresh evidence for the next verdict
  });

  it('a 5xx counts as sent, not as proven accepted; it is no 429', () => {
    const g = granted(undefined, T0);
    const state = reportWrite(g.state, L, T0 + 100, { kind: 'unproven', grantAtMs: g.grantAtMs });
    expect(state.recent).toEqual([{ grantAtMs: g.grantAtMs, refused: false }]);
    expect(acceptedInWindow(state.log, T0 + 100)).toBe(0);
  });

  it('every write keeps the reservations and the hold', () => {
    const g = granted(undefined, T0);
    const waiting: WriteState = {
      ...g.state,
      nextSlotMs: T0 + 9000,
      holdUntilMs: T0 + 8000,
      limit: { floor: 20, ceiling: 25, sinceMs: T0 },
    };
    for (const signal of [
      { kind: 'unproven', grantAtMs: g.grantAtMs },
      { kind: 'rate_limited', grantAtMs: g.grantAtMs, retryAfterSeconds: null },
    ] as const) {
      expect(reportWrite(waiting, L, T0 + 100, signal)).toMatchObject({
        nextSlotMs: T0 + 9000,
        holdUntilMs: T0 + 8000,
        limit: waiting.limit,
      });
    }
    const reserved = decideWrite({ ...waiting, bucket: { tokens: 0, updatedAtMs: T0 + 1 } }, L, T0 + 200, { take: false, reserve: true });
    expect((reserved as { state: WriteState }).state).toMatchObject({ holdUntilMs: T0 + 8000, limit: waiting.limit });
  });
});

describe('the effective limit probes back up', () => {
  it.each([
    [0, 27],
    [30_000, 28],
    [60_000, 30],
    [60_000 + 120_000, 33],
    [60_000 + 10 * 120_000, 60],
  ])('%i ms after a verdict (floor 27, ceiling 30, configured 60) ⇒ %i', (elapsed, expected) => {
    expect(effectiveLimit(60, { floor: 27, ceiling: 30, sinceMs: T0 }, T0 + elapsed)).toBe(expected);
  });
});

describe('reads: a budget apart from writes', () => {
  it('a read token from the read bucket; a 429 holds reads for Retry-After or 10 s', () => {
    const first = decideRead(undefined, 100, T0, { take: true });
    expect(first).toMatchObject({ kind: 'granted' });
    if (first.kind !== 'granted') throw new Error('no read token');
    const held = reportRead(first.state, 100, T0, null);
    expect(held.holdUntilMs).toBe(T0 + READ_HOLD_MS);
    expect(decideRead(held, 100, T0 + 9_999, { take: false })).toEqual({ kind: 'wait', waitMs: 1 });
    expect(reportRead(undefined, 100, T0, 30).holdUntilMs).toBe(T0 + 30_000);
  });
});

describe('pacingSignalOf: the reaction follows the classification and the call', () => {
  const http = (status: number, code: number | null = null, retryAfterSeconds: number | null = null) =>
    classifyAttempt({ kind: 'http', status, code, retryAfterSeconds });
  const create = { kind: 'create', grantAtMs: T0 } as const;

  it.each([
    ['a create answered 429', http(429, 8), create, { bucket: 'write', kind: 'rate_limited', grantAtMs: T0, retryAfterSeconds: null }],
    [
      'a create answered 429 with Retry-After',
      http(429, 8, 20),
      create,
      { bucket: 'write', kind: 'rate_limited', grantAtMs: T0, retryAfterSeconds: 20 },
    ],
    ['code 8 on a 403 create', http(403, 8), create, { bucket: 'write', kind: 'rate_limited', grantAtMs: T0, retryAfterSeconds: null }],
    ['a create answered 503', http(503), create, { bucket: 'write', kind: 'unproven', grantAtMs: T0 }],
    [
      'a create whose answer was lost',
      classifyAttempt({ kind: 'transport', phase: 'after_send' }),
      create,
      { bucket: 'write', kind: 'unproven', grantAtMs: T0 },
    ],
    ['a create refused as invalid (Pinterest processed it)', http(400, 1), create, null],
    ['a success', null, create, null],
    ['a listing answered 429', http(429, 8, 7), { kind: 'read' } as const, { bucket: 'read', kind: 'rate_limited', retryAfterSeconds: 7 }],
    ['a listing answered 503', http(503), { kind: 'read' } as const, null],
    ['the token endpoint answered 429', classifyAttempt({ kind: 'token_refresh_failed', status: 429 }), { kind: 'other' } as const, null],
  ])('%s', (_what, classification, call, expected) => {
    expect(pacingSignalOf(classification, call)).toEqual(expected);
  });
});
