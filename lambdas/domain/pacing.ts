import type { Classification } from './classify.ts';
import { adopt, effectiveLimit, isLowerLimit, settled, VERDICT_WINDOW, type LimitState, type RecentCreate } from './adaptive-limit.ts';
import { bucketParams, initialBucket, take, tokensAt, touch, waitMsFor, type BucketParams, type BucketState } from './token-bucket.ts';

/**
 * Pacing of one Pinterest account. Pure: no clock, no storage (lambdas/adapters/dynamo-pacer.ts keeps each
 * state in one DynamoDB item, written conditionally on the bucket's version). Three budgets:
 *
 * - **writes** (creates, Pinterest's org_write): the account's token bucket at its *effective limit*
 *   (lambdas/domain/adaptive-limit.ts: the configured `rate_limit_per_minute`, or less once Pinterest proved
 *   it accepts less), a log of the last minute's grants, reserved slots for waiting jobs, and a
 *   Retry-After hold;
 * - **reads** (board listings that verify an unknown outcome, org_read): a bucket of its own at the read
 *   budget, with a hold of its own. A 429 on a read never touches the write budget;
 * - the **app** bucket (all creates of the app, per second) is a plain bucket; its waits are sub-second.
 *
 * The write token is taken at send time: after the token refresh and the board listings, immediately before
 * the create leaves the process, so however long those calls take, a grant time is a send time (up to the
 * create's own latency on the wire).
 *
 * ## The bound
 *
 * Claim: every rolling 60 s window (a, a + 60 s] holds at most L_e(s) creates, where s is the last create in
 * it and L_e(s) ≤ the configured limit is the effective limit in force when s was granted. In particular no
 * rolling window is ever above the configured limit, and once the effective limit is lowered no window
 * ending with a later create is above the lowered one — whatever the arrival times, latencies and 429s.
 *
 * Proof. (1) Grant times strictly increase: each is the bucket's new version, max(now, previous + 1 ms),
 * and every grant is a conditional write on the previous version, so no two workers grant off one state.
 * (2) Every grant is counted in `log` under the second it was granted in; an entry is dropped only once its
 * whole second lies 60 s or more before the write, after which no later window can contain it.
 * (3) A grant at time t requires `sentInWindow(log, t) + 1 ≤ L_e(t)`, where `sentInWindow` counts the
 * grants of every second that overlaps (t − 60 s, t] — each grant in that interval is counted (and some
 * just before it: the count errs high). (4) Let s be the last create in a window (a, a + 60 s]. Every other
 * create in it lies in (s − 60 s, s), was granted before s and so was counted at s; hence the window holds
 * at most sentInWindow(log, s) + 1 ≤ L_e(s) creates. ∎
 *
 * (3) is evaluated at the caller's clock and the grant stamped at t ≥ now: a later t counts no more grants
 * and L_e only grows with time within one limit state, so the check still holds at t.
 *
 * The bucket (capacity C = max(1, ⌊L_e/30⌋), refill (L_e − C)/60 per second, lambdas/domain/token-bucket.ts)
 * spaces the grants: at a constant limit it keeps every window at L_e by itself and drains a backlog at
 * L_e − C per minute (96.7 % at 60). The log is what makes the bound survive changes of L_e: when the
 * adaptive limit drops, no create is granted until the window has room under the new limit, so a window
 * that straddles the drop cannot exceed it; when it rises the bucket simply refills faster.
 *
 * A 429 with Retry-After holds the whole account: no create is granted before the hold ends, and reserved
 * slots are given after it. A refused grant (app bucket, hold, queue, window) never spends the account's
 * token. Waiting jobs get distinct reserved slots one refill interval apart, and a job without a
 * reservation may not take the token while earlier reservations wait.
 *
 * Tested with fast-check in test/unit/domain/pacing.test.ts: random arrivals, latencies before the
 * create, 429 patterns (lone, runs, Retry-After) and limit changes ⇒ the claim above, checked on every window.
 */

export const WINDOW_MS = 60_000;
/** A reserved slot this close counts as due (SQS delays are whole seconds; the worker sleeps the rest). */
export const SLOT_TOLERANCE_MS = 1000;
/** How long reads pause after a 429 on a read that named no Retry-After. */
export const READ_HOLD_MS = 10_000;

/** Grants of one second of the last minute: [epoch second, creates granted, creates not proven accepted]. */
export type LogEntry = readonly [second: number, sent: number, unproven: number];

/** An account's write budget, as stored. */
export interface WriteState {
  readonly bucket: BucketState;
  /** Latest pacing slot handed to a waiting job (epoch ms); later waiters queue behind it. */
  readonly nextSlotMs?: number;
  /** No create before this (a 429 with Retry-After). */
  readonly holdUntilMs?: number;
  /** Grants of the last minute, per second, oldest first. */
  readonly log: readonly LogEntry[];
  /** The last creates (at most VERDICT_WINDOW), for the lower-limit verdict. */
  readonly recent: readonly RecentCreate[];
  /** A lowered effective limit probing back up; absent = the configured limit. */
  readonly limit?: LimitState;
}

/** An account's read budget, as stored. */
export interface ReadState {
  readonly bucket: BucketState;
  readonly holdUntilMs?: number;
}

export interface ReadyDecision {
  readonly kind: 'ready';
}
export interface GrantedDecision<S> {
  readonly kind: 'granted';
  /** The state to store (conditionally on the version read). */
  readonly state: S;
  /** The grant's time: report the create's answer with it. */
  readonly grantAtMs: number;
}
export interface WaitDecision<S> {
  readonly kind: 'wait';
  readonly waitMs: number;
  /** The slot reserved for this job (pass it back when it returns), or its own slot still to sleep out. */
  readonly slotMs?: number;
  /** A new reservation to store; absent = nothing to write. */
  readonly state?: S;
}
export type Decision<S> = ReadyDecision | GrantedDecision<S> | WaitDecision<S>;

export interface WriteRequest {
  /** The slot this job reserved earlier (it keeps its place in line). */
  readonly reservedSlotMs?: number | undefined;
  /** Take the token (send time) or only check that one would be there (before the claim). */
  readonly take: boolean;
  /** Without a token: reserve the next free slot (before the claim) or only answer the wait. */
  readonly reserve: boolean;
}

/** The effective limit and the bucket it sizes at `nowMs`. */
export function writeLimit(state: WriteState | undefined, configured: number, nowMs: number): { limit: number; params: BucketParams } {
  const limit = effectiveLimit(configured, state?.limit, nowMs);
  return { limit, params: bucketParams(limit) };
}

export function initialWriteState(configured: number, nowMs: number): WriteState {
  return { bucket: initialBucket(bucketParams(effectiveLimit(configured, undefined, nowMs)), nowMs), log: [], recent: [] };
}

/** Grants counted for the window ending at `nowMs`: those of every second that overlaps (now − 60 s, now]. */
export function sentInWindow(log: readonly LogEntry[], nowMs: number): number {
  return log.reduce((sum, [second, sent]) => (counts(second, nowMs) ? sum + sent : sum), 0);
}

/** Creates of the counted window that Pinterest did not refuse or fail (the proven ones). */
export function acceptedInWindow(log: readonly LogEntry[], nowMs: number): number {
  return log.reduce((sum, [second, sent, unproven]) => (counts(second, nowMs) ? sum + Math.max(0, sent - unproven) : sum), 0);
}

function counts(second: number, nowMs: number): boolean {
  return (second + 1) * 1000 > nowMs - WINDOW_MS;
}

/** ms until one more grant fits the window under `limit` (0: it fits now). */
export function windowWaitMs(log: readonly LogEntry[], nowMs: number, limit: number): number {
  let excess = sentInWindow(log, nowMs) + 1 - limit;
  if (excess <= 0) return 0;
  const counted = log.filter(([second]) => counts(second, nowMs)).sort((x, y) => x[0] - y[0]);
  for (const [second, sent] of counted) {
    excess -= sent;
    // This second stops counting once it lies a full window back.
    if (excess <= 0) return (second + 1) * 1000 + WINDOW_MS - nowMs;
  }
  return WINDOW_MS; // unreachable while limit ≥ 1
}

/** The state as it should be written at `tMs`: old seconds dropped, a recovered limit forgotten. */
function normalized(state: WriteState, configured: number, tMs: number): WriteState {
  const log = state.log.filter(([second]) => counts(second, tMs));
  const limit = settled(configured, state.limit, tMs);
  const holdUntilMs = state.holdUntilMs !== undefined && state.holdUntilMs > tMs ? state.holdUntilMs : undefined;
  const { limit: _l, holdUntilMs: _h, ...rest } = state;
  return { ...rest, log, ...(limit ? { limit } : {}), ...(holdUntilMs !== undefined ? { holdUntilMs } : {}) };
}

/**
 * Before the claim (`take: false, reserve: true`): may the job start now? At send time (`take: true,
 * reserve: false`): the token, or how long until it.
 */
export function decideWrite(
  stored: WriteState | undefined,
  configured: number,
  nowMs: number,
  request: WriteRequest,
): Decision<WriteState> {
  const state = stored ?? initialWriteState(configured, nowMs);
  const { limit, params } = writeLimit(state, configured, nowMs);
  const intervalMs = Math.ceil(1000 / params.refillPerSecond);
  const { reservedSlotMs } = request;
  const ownSlotDue = reservedSlotMs !== undefined && reservedSlotMs <= nowMs + SLOT_TOLERANCE_MS;
  const { nextSlotMs } = state;
  const queueAhead = nextSlotMs !== undefined && nextSlotMs > nowMs && !ownSlotDue;
  const holdWait = state.holdUntilMs !== undefined ? Math.max(0, state.holdUntilMs - nowMs) : 0;
  const waitMs = Math.max(holdWait, waitMsFor(state.bucket, params, nowMs), windowWaitMs(state.log, nowMs, limit));

  if (waitMs === 0 && !queueAhead) {
    if (!request.take) return { kind: 'ready' };
    const taken = take(state.bucket, params, nowMs);
    const grantAtMs = taken.state.updatedAtMs;
    const second = Math.floor(grantAtMs / 1000);
    const base = normalized(state, configured, grantAtMs);
    const last = base.log.at(-1);
    const log: LogEntry[] =
      last && last[0] === second ? [...base.log.slice(0, -1), [second, last[1] + 1, last[2]]] : [...base.log, [second, 1, 0]];
    const recent = [...base.recent, { grantAtMs, refused: false }].slice(-VERDICT_WINDOW);
    return { kind: 'granted', grantAtMs, state: { ...base, bucket: taken.state, log, recent } };
  }
  if (ownSlotDue && waitMs > 0 && waitMs <= SLOT_TOLERANCE_MS) {
    // Our own slot, a hair early: the caller sleeps this out, keeps the slot, writes nothing.
    return { kind: 'wait', waitMs, slotMs: reservedSlotMs };
  }
  if (!request.reserve) {
    const queued = queueAhead ? nextSlotMs + intervalMs - nowMs : 0;
    return { kind: 'wait', waitMs: Math.max(waitMs, queued, 1) };
  }
  const slotMs = Math.max(nowMs + waitMs, (nextSlotMs ?? 0) + intervalMs);
  // Bump the version so the reservation and concurrent grants serialize on the same item.
  const next: WriteState = { ...normalized(state, configured, nowMs), bucket: touch(state.bucket, params, nowMs), nextSlotMs: slotMs };
  return { kind: 'wait', waitMs: slotMs - nowMs, slotMs, state: next };
}

/** What a create's answer means for the account's writes. */
export type WriteSignal =
  /** A 429 (or code 8): `retryAfterSeconds` holds the whole account; runs of them lower the limit. */
  | { readonly kind: 'rate_limited'; readonly grantAtMs: number; readonly retryAfterSeconds: number | null }
  /** A 5xx or a lost answer: sent, but it proves nothing about what Pinterest accepts. */
  | { readonly kind: 'unproven'; readonly grantAtMs: number };

/** Records a create's answer: Retry-After holds, the lower-limit verdict. */
export function reportWrite(stored: WriteState | undefined, configured: number, nowMs: number, signal: WriteSignal): WriteState {
  const state = stored ?? initialWriteState(configured, nowMs);
  const { params, limit: current } = writeLimit(state, configured, nowMs);
  const second = Math.floor(signal.grantAtMs / 1000);
  const log = state.log.map((entry): LogEntry => (entry[0] === second ? [entry[0], entry[1], Math.min(entry[1], entry[2] + 1)] : entry));
  let next: WriteState = { ...state, log, bucket: touch(state.bucket, params, nowMs) };
  if (signal.kind === 'rate_limited') {
    const recent = state.recent.map((c) => (c.grantAtMs === signal.grantAtMs ? { ...c, refused: true } : c));
    next = { ...next, recent };
    if (signal.retryAfterSeconds !== null && signal.retryAfterSeconds > 0) {
      const until = nowMs + signal.retryAfterSeconds * 1000;
      next = { ...next, holdUntilMs: Math.max(until, state.holdUntilMs ?? 0) };
    }
    if (isLowerLimit(recent)) {
      // What Pinterest just proved it accepts becomes the limit; fresh evidence is needed for the next verdict.
      next = { ...next, recent: [], limit: adopt(acceptedInWindow(log, nowMs), current, nowMs) };
    }
  }
  return normalized(next, configured, nowMs);
}

/** The read budget's bucket. */
export function readParams(readPerMinute: number): BucketParams {
  return bucketParams(readPerMinute);
}

/** A read token, or how long until one (reads reserve no slots). */
export function decideRead(
  stored: ReadState | undefined,
  readPerMinute: number,
  nowMs: number,
  request: { take: boolean },
): Decision<ReadState> {
  const params = readParams(readPerMinute);
  const state = stored ?? { bucket: initialBucket(params, nowMs) };
  const holdWait = state.holdUntilMs !== undefined ? Math.max(0, state.holdUntilMs - nowMs) : 0;
  const waitMs = Math.max(holdWait, waitMsFor(state.bucket, params, nowMs));
  if (waitMs > 0) return { kind: 'wait', waitMs };
  if (!request.take) return { kind: 'ready' };
  const taken = take(state.bucket, params, nowMs);
  return { kind: 'granted', grantAtMs: taken.state.updatedAtMs, state: { bucket: taken.state } };
}

/** A 429 on a read: reads pause for Retry-After, or READ_HOLD_MS without one. Writes are untouched. */
export function reportRead(
  stored: ReadState | undefined,
  readPerMinute: number,
  nowMs: number,
  retryAfterSeconds: number | null,
): ReadState {
  const params = readParams(readPerMinute);
  const state = stored ?? { bucket: initialBucket(params, nowMs) };
  const until = nowMs + (retryAfterSeconds !== null && retryAfterSeconds > 0 ? retryAfterSeconds * 1000 : READ_HOLD_MS);
  return { bucket: touch(state.bucket, params, nowMs), holdUntilMs: Math.max(until, state.holdUntilMs ?? 0) };
}

/** The call a Pinterest answer came from, as pacing sees it. */
export type PacedCall = { readonly kind: 'create'; readonly grantAtMs: number } | { readonly kind: 'read' } | { readonly kind: 'other' };

/** What pacing learns from an answer, by bucket. */
export type PacingSignal =
  | ({ readonly bucket: 'write' } & WriteSignal)
  | { readonly bucket: 'read'; readonly kind: 'rate_limited'; readonly retryAfterSeconds: number | null };

/**
 * The pacing reaction to an answer, fed by its classification (lambdas/domain/classify.ts, the one place
 * answers are classified) and the call it answered. A success and a 4xx Pinterest processed say nothing;
 * the token endpoint has no budget here (a 429 there retries the job, nothing more).
 */
export function pacingSignalOf(classification: Classification | null, call: PacedCall): PacingSignal | null {
  if (classification === null || call.kind === 'other') return null;
  const rateLimited = classification.reason === 'rate_limited';
  if (call.kind === 'read')
    return rateLimited ? { bucket: 'read', kind: 'rate_limited', retryAfterSeconds: classification.retryAfterSeconds } : null;
  if (rateLimited)
    return { bucket: 'write', kind: 'rate_limited', grantAtMs: call.grantAtMs, retryAfterSeconds: classification.retryAfterSeconds };
  if (classification.outcome === 'retry_now' || classification.outcome === 'unknown')
    return { bucket: 'write', kind: 'unproven', grantAtMs: call.grantAtMs };
  return null;
}

/** For GET /v1/accounts/{id}/rate: the write budget as it stands at `nowMs`. */
export function describeWrite(stored: WriteState | undefined, configured: number, nowMs: number) {
  const state = stored ?? initialWriteState(configured, nowMs);
  const { limit, params } = writeLimit(state, configured, nowMs);
  const decision = decideWrite(state, configured, nowMs, { take: false, reserve: true });
  const nextAtMs = decision.kind === 'wait' ? nowMs + decision.waitMs : nowMs;
  return {
    limit,
    params,
    tokens: tokensAt(state.bucket, params, nowMs),
    nextAtMs,
    holdUntilMs: state.holdUntilMs !== undefined && state.holdUntilMs > nowMs ? state.holdUntilMs : null,
    sentInWindow: sentInWindow(state.log, nowMs),
    unprovenInWindow: state.log.reduce((sum, [second, , unproven]) => (counts(second, nowMs) ? sum + unproven : sum), 0),
    adaptive: state.limit && effectiveLimit(configured, state.limit, nowMs) < Math.floor(configured) ? state.limit : null,
  };
}
