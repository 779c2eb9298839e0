/**
 * Token-bucket pacing math (DESIGN §2). Pure: no clock, no storage. The state is two plain numbers so an
 * adapter can keep it in one DynamoDB item and update it conditionally, with `updatedAtMs` as the
 * optimistic version (it strictly increases on every grant).
 *
 * The promise is "at most L requests in every rolling 60-second window" (Pinterest does not document its
 * window, so any 60 s span counts, both ends included). A bucket with capacity C refilling at r tokens/s
 * grants, in any span of length T, at most the tokens it held at the start (≤ C) plus what it refilled
 * (r·T). Choosing C + 60·r ≤ L therefore bounds every 60 s window by L, whatever the arrival pattern:
 *
 *   capacity C = max(1, ⌊L / 30⌋), refillPerSecond = (L − C) / 60
 *
 * A saturated backlog runs at L − C per minute: (L − C)/L of the limit, ≥ 95 % from L = 20 and ≥ 96.6 %
 * from L = 30. The capacity is the lateness budget: with C = 1 a request that comes δ late loses δ of
 * refill for good (the bucket holds one token), and real workers are always a little late (queue hops,
 * claims); with C ≥ 2 the next request takes the token the late one left, so the steady rate is kept.
 * C grows with L so the share of the limit spent on it stays ≤ 1/30. The slots we give up are also the
 * margin against network jitter: Pinterest sees more than L in a minute only if latency varies by more
 * than C intervals between our requests.
 * L = 1 cannot satisfy C + 60·r ≤ L with C ≥ 1, so it refills at 1 per 120 s: grants then lie more than
 * 60 s apart and a window still holds at most one.
 *
 * Adaptive slow-down: a 429 without Retry-After means our idea of the limit is wrong (another client of
 * the same user, a lowered quota). `penalize` halves the refill rate (never below a floor) and `recover`
 * raises it back linearly over time, at most to the configured rate: additive increase, multiplicative
 * decrease. Because neither can exceed the base rate nor the capacity, every window stays ≤ L.
 */

export const WINDOW_SECONDS = 60;
/** The slowest `penalize` goes by default: one request per two minutes. */
export const MIN_REFILL_PER_SECOND = 1 / 120;
/** `recover` gives back this fraction of the base rate per minute without 429s (10 minutes from 0 to full). */
export const RECOVERY_FRACTION_PER_MINUTE = 0.1;

export interface BucketParams {
  readonly capacity: number;
  readonly refillPerSecond: number;
}

export interface BucketState {
  /** Tokens held at `updatedAtMs` (fractional). */
  readonly tokens: number;
  /** Epoch ms of the last grant; the optimistic-concurrency version of the stored bucket. */
  readonly updatedAtMs: number;
}

export interface TakeResult {
  readonly granted: boolean;
  /** The state to store when granted; the input state, unchanged, when not (nothing to write). */
  readonly state: BucketState;
  /** 0 when granted; otherwise ms until `cost` tokens will be available at the current rate. */
  readonly waitMs: number;
}

/** Parameters that keep every `windowSeconds` span at or under `limit` requests (see above). */
export function bucketParams(limit: number, windowSeconds: number = WINDOW_SECONDS): BucketParams {
  if (!Number.isFinite(limit) || limit < 1) throw new RangeError('the limit must be a number ≥ 1');
  if (!Number.isFinite(windowSeconds) || windowSeconds <= 0) throw new RangeError('the window must be a positive number of seconds');
  if (limit < 2) return { capacity: 1, refillPerSecond: limit / 2 / windowSeconds }; // grants > a window apart
  const capacity = Math.max(1, Math.floor(limit / 30));
  return { capacity, refillPerSecond: (limit - capacity) / windowSeconds };
}

/** A bucket that has been idle: full. */
export function initialBucket(params: BucketParams, nowMs: number): BucketState {
  return { tokens: params.capacity, updatedAtMs: nowMs };
}

/** Tokens available at `nowMs`. A clock behind `updatedAtMs` (another worker's) refills nothing. */
export function tokensAt(state: BucketState, params: BucketParams, nowMs: number): number {
  const elapsedMs = Math.max(0, nowMs - state.updatedAtMs);
  return Math.min(params.capacity, state.tokens + (elapsedMs / 1000) * params.refillPerSecond);
}

/** ms until `cost` tokens are available (0 if they are now). */
export function waitMsFor(state: BucketState, params: BucketParams, nowMs: number, cost = 1): number {
  const missing = cost - tokensAt(state, params, nowMs);
  if (missing <= 0) return 0;
  if (params.refillPerSecond <= 0) return Number.POSITIVE_INFINITY;
  return Math.ceil((missing / params.refillPerSecond) * 1000);
}

export function take(state: BucketState, params: BucketParams, nowMs: number, cost = 1): TakeResult {
  if (!(cost > 0) || cost > params.capacity) throw new RangeError(`cost must be in (0, ${params.capacity}]`);
  const tokens = tokensAt(state, params, nowMs);
  if (tokens < cost) return { granted: false, state, waitMs: waitMsFor(state, params, nowMs, cost) };
  // Strictly increasing, so two workers holding the same old state cannot both win the conditional write.
  // Stamping a later time than now only delays refill: the conservative direction.
  const updatedAtMs = Math.max(nowMs, state.updatedAtMs + 1);
  return { granted: true, state: { tokens: tokens - cost, updatedAtMs }, waitMs: 0 };
}

/**
 * Slows the refill after a 429 without Retry-After: rate × factor, but not below `floorPerSecond`
 * (and never faster than it already was). The capacity stays as it is.
 */
export function penalize(params: BucketParams, factor = 0.5, floorPerSecond = MIN_REFILL_PER_SECOND): BucketParams {
  if (!(factor > 0 && factor < 1)) throw new RangeError('factor must be in (0, 1)');
  const floor = Math.min(floorPerSecond, params.refillPerSecond);
  return { capacity: params.capacity, refillPerSecond: Math.max(floor, params.refillPerSecond * factor) };
}

/**
 * Gives back `fractionPerMinute` of the base rate for every minute of `elapsedMs` without a 429, up to
 * `base` (returned as is once reached). Call it with the time since the penalized parameters were
 * last stored; time, not request count, drives it, so a slow account recovers as fast as a busy one.
 */
export function recover(
  params: BucketParams,
  base: BucketParams,
  elapsedMs: number,
  fractionPerMinute = RECOVERY_FRACTION_PER_MINUTE,
): BucketParams {
  const gained = base.refillPerSecond * fractionPerMinute * (Math.max(0, elapsedMs) / 60_000);
  const refillPerSecond = params.refillPerSecond + gained;
  if (refillPerSecond >= base.refillPerSecond) return base;
  return { capacity: Math.min(params.capacity, base.capacity), refillPerSecond };
}
