import type { LimitState, RecentCreate } from '../domain/adaptive-limit.ts';
import { initialWriteState, writeLimit, type LogEntry, type ReadState, type WriteState } from '../domain/pacing.ts';
import { fullAtMs, touch, type BucketParams, type BucketState } from '../domain/token-bucket.ts';
import type { PacedAccount } from '../use-cases/ports.ts';

/**
 * How lambdas/adapters/dynamo-pacer.ts stores pacing state: one item per bucket, plain attributes,
 * numbers and lists of numbers.
 */

export type Item = Record<string, unknown>;

export function decodeBucket(item: Item | null): BucketState | undefined {
  return item ? bucketOf(item) : undefined;
}

function bucketOf(item: Item): BucketState {
  return { tokens: Number(item.tokens), updatedAtMs: Number(item.updated_at_ms) };
}

function encodeBucket(state: BucketState): Item {
  return { tokens: state.tokens, updated_at_ms: state.updatedAtMs };
}

/** The app bucket also stores when it is full again: its next token can then be written without a read. */
export function encodeAppBucket(state: BucketState, params: BucketParams): Item {
  return { ...encodeBucket(state), full_at_ms: fullAtMs(state, params) };
}

function optionalNumber(item: Item, name: string): number | undefined {
  return item[name] === undefined || item[name] === null ? undefined : Number(item[name]);
}

/** Both budgets of an account's item; a budget never used is absent. */
export interface AccountState {
  readonly write?: WriteState | undefined;
  readonly read?: ReadState | undefined;
}

/** What is written back: the item's version is the write bucket's, so every change carries one (see `moved`). */
export interface AccountWrite extends AccountState {
  readonly write: WriteState;
}

/** The write state with only its version moved: a change to the read budget serializes with grants. */
export function moved(write: WriteState | undefined, account: PacedAccount, nowMs: number): WriteState {
  const state = write ?? initialWriteState(account.limitPerMinute, nowMs);
  return { ...state, bucket: touch(state.bucket, writeLimit(state, account.limitPerMinute, nowMs).params, nowMs) };
}

export function decodeAccount(item: Item | null): AccountState | undefined {
  if (!item) return undefined;
  return { write: decodeWrite(item), read: decodeRead(item) };
}

export function encodeAccount(state: AccountWrite): Item {
  return { ...encodeWrite(state.write), ...(state.read ? encodeRead(state.read) : {}) };
}

function decodeWrite(item: Item): WriteState {
  const nextSlotMs = optionalNumber(item, 'next_slot_ms');
  const holdUntilMs = optionalNumber(item, 'hold_until_ms');
  const floor = optionalNumber(item, 'limit_floor');
  const ceiling = optionalNumber(item, 'limit_ceiling');
  const sinceMs = optionalNumber(item, 'limit_since_ms');
  const limit: LimitState | undefined =
    floor !== undefined && ceiling !== undefined && sinceMs !== undefined ? { floor, ceiling, sinceMs } : undefined;
  const log = Array.isArray(item.log) ? (item.log as unknown[][]).map((e): LogEntry => [Number(e[0]), Number(e[1]), Number(e[2])]) : [];
  const recent = Array.isArray(item.recent)
    ? (item.recent as unknown[][]).map((e): RecentCreate => ({ grantAtMs: Number(e[0]), refused: Number(e[1]) === 1 }))
    : [];
  return {
    bucket: bucketOf(item),
    log,
    recent,
    ...(nextSlotMs !== undefined ? { nextSlotMs } : {}),
    ...(holdUntilMs !== undefined ? { holdUntilMs } : {}),
    ...(limit ? { limit } : {}),
  };
}

function encodeWrite(state: WriteState): Item {
  return {
    ...encodeBucket(state.bucket),
    log: state.log.map((e) => [...e]),
    recent: state.recent.map((c) => [c.grantAtMs, c.refused ? 1 : 0]),
    ...(state.nextSlotMs !== undefined ? { next_slot_ms: state.nextSlotMs } : {}),
    ...(state.holdUntilMs !== undefined ? { hold_until_ms: state.holdUntilMs } : {}),
    ...(state.limit ? { limit_floor: state.limit.floor, limit_ceiling: state.limit.ceiling, limit_since_ms: state.limit.sinceMs } : {}),
  };
}

function decodeRead(item: Item): ReadState | undefined {
  const tokens = optionalNumber(item, 'read_tokens');
  const updatedAtMs = optionalNumber(item, 'read_updated_at_ms');
  if (tokens === undefined || updatedAtMs === undefined) return undefined;
  const holdUntilMs = optionalNumber(item, 'read_hold_until_ms');
  return { bucket: { tokens, updatedAtMs }, ...(holdUntilMs !== undefined ? { holdUntilMs } : {}) };
}

function encodeRead(state: ReadState): Item {
  return {
    read_tokens: state.bucket.tokens,
    read_updated_at_ms: state.bucket.updatedAtMs,
    ...(state.holdUntilMs !== undefined ? { read_hold_until_ms: state.holdUntilMs } : {}),
  };
}
