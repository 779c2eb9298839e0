/**
 * Token-bucket math. Pure: no clock, no storage. The state is two plain numbers so an adapter can keep it
 * in one DynamoDB item and update it conditionally, with `updatedAtMs` as the optimistic version (it
 * strictly increases on every grant).
 *
 * Used three ways (lambdas/domain/pacing.ts): an account's creates (org_write) at its effective limit, an
 * account's board listings (org_read) at the read budget, and the whole app's creates per second.
 *
 * A bucket with capacity C refilling at r tokens/s grants, in any span of length T, at most the tokens it
 * held at the start (≤ C) plus what it refilled (r·T). Choosing C + 60·r ≤ L therefore bounds every 60 s
 * window by L while the parameters stay the same, whatever the arrival pattern:
 *
 *   capacity C = max(1, ⌊L / 30⌋), refillPerSecond = (L − C) / 60
 *
 * A saturated backlog runs at L − C per minute: (L − C)/L of the limit, ≥ 95 % from L = 20 and ≥ 96.6 %
 * from L = 30. The capacity is the lateness budget: with C = 1 a request that comes δ late loses δ of
 * refill for good (the bucket holds one token), and real workers are always a little late (queue hops,
 * claims); with C ≥ 2 the next request takes the token the late one left, so the steady rate is kept.
 * C grows with L so the share of the limit spent on it stays ≤ 1/30.
 * L = 1 cannot satisfy C + 60·r ≤ L with C ≥ 1, so it refills at 1 per 120 s: grants then lie more than
 * 60 s apart and a window still holds at most one.
 *
 * When the limit changes (the adaptive limit of lambdas/domain/adaptive-limit.ts), a window that spans the
 * change is not bounded by the bucket alone: lambdas/domain/pacing.ts adds a log of the last minute's
 * grants, and its header proves the bound across changes.
 */

export const WINDOW_SECONDS = 60;

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

/** The version a write made at `nowMs` stores: strictly after the stored one, never before `nowMs`. */
export function nextVersion(state: BucketState, nowMs: number): number {
  // Strictly increasing, so two workers holding the same old state cannot both win the conditional write.
  // Stamping a later time than now only delays refill: the conservative direction.
  return Math.max(nowMs, state.updatedAtMs + 1);
}

export function take(state: BucketState, params: BucketParams, nowMs: number, cost = 1): TakeResult {
  if (!(cost > 0) || cost > params.capacity) throw new RangeError(`cost must be in (0, ${params.capacity}]`);
  const tokens = tokensAt(state, params, nowMs);
  if (tokens < cost) return { granted: false, state, waitMs: waitMsFor(state, params, nowMs, cost) };
  return { granted: true, state: { tokens: tokens - cost, updatedAtMs: nextVersion(state, nowMs) }, waitMs: 0 };
}

/**
 * Gives back a token that was granted but not used (another bucket refused the same request). The bucket
 * ends where it would be had the grant never happened, or lower (the cap), so every bound still holds.
 */
export function refund(state: BucketState, params: BucketParams, nowMs: number, cost = 1): BucketState {
  return { tokens: Math.min(params.capacity, tokensAt(state, params, nowMs) + cost), updatedAtMs: nextVersion(state, nowMs) };
}

/**
 * A time (ms, rounded up) after which the bucket is certainly full. For every `nowMs > fullAtMs(state)`,
 * `take(state, params, nowMs)` grants exactly `takeFromFull(params, nowMs)`: the tokens are capped at the
 * capacity, and the version is `nowMs` (the stored one is at most `fullAtMs`, so at least 1 ms behind). A
 * store can therefore grant from a full bucket with one conditional write on `full_at < now`, without
 * reading the state first (lambdas/adapters/dynamo-pacer.ts, the app bucket).
 */
export function fullAtMs(state: BucketState, params: BucketParams): number {
  const missing = params.capacity - state.tokens;
  if (missing <= 0) return Math.ceil(state.updatedAtMs);
  return Math.ceil(state.updatedAtMs + (missing / params.refillPerSecond) * 1000);
}

/** The state `take` leaves at `nowMs` in any bucket that is full then (see `fullAtMs`). */
export function takeFromFull(params: BucketParams, nowMs: number): BucketState {
  return { tokens: params.capacity - 1, updatedAtMs: nowMs };
}

/** The same tokens, a new version: a write that changes something else (a reservation, a hold) serializes with grants. */
export function touch(state: BucketState, params: BucketParams, nowMs: number): BucketState {
  return { tokens: tokensAt(state, params, nowMs), updatedAtMs: nextVersion(state, nowMs) };
}
