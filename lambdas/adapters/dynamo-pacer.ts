import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { AccountRate } from '../domain/account.ts';
import type { LimitState, RecentCreate } from '../domain/adaptive-limit.ts';
import type { Clock } from '../domain/clock.ts';
import {
  decideRead,
  decideWrite,
  describeWrite,
  initialWriteState,
  readParams,
  reportRead,
  reportWrite,
  WINDOW_MS,
  writeLimit,
  type Decision,
  type LogEntry,
  type PacingSignal,
  type ReadState,
  type WriteState,
} from '../domain/pacing.ts';
import { bucketParams, initialBucket, refund, take, tokensAt, touch, type BucketState } from '../domain/token-bucket.ts';
import type { PacedAccount, PaceDecision, Pacer, RateView } from '../use-cases/ports.ts';

/** How often a lost race for the same bucket is retried before the job is held briefly instead. */
const CONTENTION_RETRIES = 5;
/** The wait answered after CONTENTION_RETRIES lost races (the caller sleeps it out and asks again). */
const CONTENTION_WAIT_MS = 250;
/** Board listings per minute per account when no budget is configured. */
export const DEFAULT_READ_PER_MINUTE = 100;

type Item = Record<string, unknown>;

/**
 * Pacing state in the tenants table (lambdas/domain/pacing.ts holds the logic and the bound), one item per
 * account and one for the app, each written with a conditional put on its `updated_at_ms` (the write
 * bucket's version) so concurrent workers never both spend the same token:
 *   PACING#<tenant>#<account>  the account's writes (bucket, reservations, Retry-After hold, the last
 *                              minute's grants, the last creates, the adaptive limit) and, in `read_*`
 *                              attributes, its read budget: one consistent read admits a job for both
 *   PACING#app                 the app's creates, per second
 * The two budgets share the item, not their state: a read never changes a write token, a hold or the
 * limit (it only moves the version). Every write stores the whole state it read, changed: nothing (a
 * reservation, a hold, the other budget) is ever dropped by a write about something else. Get and Put only
 * (definitions/item-access.ts).
 */
export class DynamoPacer implements Pacer, RateView {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly clock: Clock,
    private readonly appPerSecond: number,
    private readonly readPerMinute: number = DEFAULT_READ_PER_MINUTE,
  ) {}

  private key(bucket: string) {
    return { pk: `PACING#${bucket}`, sk: 'BUCKET' };
  }

  private async get(bucket: string): Promise<Item | null> {
    const out = await this.client.send(new GetCommand({ TableName: this.tableName, Key: this.key(bucket), ConsistentRead: true }));
    return out.Item ?? null;
  }

  private async put(bucket: string, fields: Item, previous: Item | null): Promise<boolean> {
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...this.key(bucket), ...fields },
          ...(previous
            ? { ConditionExpression: 'updated_at_ms = :v', ExpressionAttributeValues: { ':v': previous.updated_at_ms } }
            : { ConditionExpression: 'attribute_not_exists(pk)' }),
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  /**
   * Read, decide, write conditionally; a lost race reads again. `step` answers the result and the state to
   * write (none: nothing changed). After CONTENTION_RETRIES lost races, `contended` is answered.
   */
  private async update<S, R, W extends S = S>(
    bucket: string,
    decode: (item: Item | null) => S | undefined,
    encode: (state: W) => Item,
    step: (stored: S | undefined, nowMs: number) => { result: R; write?: W },
    contended: R,
  ): Promise<R> {
    for (let i = 0; i < CONTENTION_RETRIES; i++) {
      const nowMs = this.clock.now().getTime();
      const item = await this.get(bucket);
      const { result, write } = step(decode(item), nowMs);
      if (write === undefined) return result;
      if (await this.put(bucket, encode(write), item)) return result;
    }
    return contended;
  }

  private accountBucket(account: PacedAccount): string {
    return `${account.tenantId}#${account.accountId}`;
  }

  /** Read, decide, write the account's item; `step` sees both budgets and returns both (unchanged ones as read). */
  private updateAccount<R>(
    account: PacedAccount,
    step: (stored: AccountState, nowMs: number) => { result: R; write?: AccountWrite },
    contended: R,
  ): Promise<R> {
    return this.update(this.accountBucket(account), decodeAccount, encodeAccount, (stored, nowMs) => step(stored ?? {}, nowMs), contended);
  }

  async admit(
    account: PacedAccount,
    options: { readonly reservedSlotMs?: number | undefined; readonly reads: boolean },
  ): Promise<PaceDecision> {
    return this.updateAccount(
      account,
      (stored, nowMs) => {
        if (options.reads) {
          // Reads first: a job that cannot verify now should not reserve a write slot it cannot use.
          const read = decideRead(stored.read, this.readPerMinute, nowMs, { take: false });
          if (read.kind === 'wait') return { result: { granted: false, waitMs: read.waitMs } };
        }
        const decision = answer(
          decideWrite(stored.write, account.limitPerMinute, nowMs, { reservedSlotMs: options.reservedSlotMs, take: false, reserve: true }),
        );
        return { result: decision.result, ...(decision.write ? { write: { ...stored, write: decision.write } } : {}) };
      },
      { granted: false, waitMs: CONTENTION_WAIT_MS },
    );
  }

  async takeWrite(account: PacedAccount, reservedSlotMs?: number): Promise<PaceDecision> {
    // The app first: its refusal then costs the account nothing.
    const app = await this.takeApp();
    if (!app.granted) return app;
    const decision = await this.updateAccount<PaceDecision>(
      account,
      (stored, nowMs) => {
        const decided = answer(decideWrite(stored.write, account.limitPerMinute, nowMs, { reservedSlotMs, take: true, reserve: false }));
        return { result: decided.result, ...(decided.write ? { write: { ...stored, write: decided.write } } : {}) };
      },
      { granted: false, waitMs: CONTENTION_WAIT_MS },
    );
    if (!decision.granted) await this.refundApp();
    return decision;
  }

  async takeRead(account: PacedAccount): Promise<PaceDecision> {
    return this.updateAccount<PaceDecision>(
      account,
      (stored, nowMs) => {
        const decided = answer(decideRead(stored.read, this.readPerMinute, nowMs, { take: true }));
        return {
          result: decided.result,
          ...(decided.write ? { write: { write: moved(stored.write, account, nowMs), read: decided.write } } : {}),
        };
      },
      { granted: false, waitMs: CONTENTION_WAIT_MS },
    );
  }

  async report(account: PacedAccount, signal: PacingSignal): Promise<void> {
    await this.updateAccount(
      account,
      (stored, nowMs) => {
        if (signal.bucket === 'read') {
          return {
            result: undefined,
            write: {
              write: moved(stored.write, account, nowMs),
              read: reportRead(stored.read, this.readPerMinute, nowMs, signal.retryAfterSeconds),
            },
          };
        }
        return { result: undefined, write: { ...stored, write: reportWrite(stored.write, account.limitPerMinute, nowMs, signal) } };
      },
      undefined,
    );
  }

  /**
   * Takes a write token at once (the app's, then the account's), reserving a slot when there is none.
   * @deprecated The worker admits before its claim and takes at send time (`admit`, `takeWrite`); this one
   * step remains for callers of the earlier port.
   */
  async acquire(tenantId: string, accountId: string, limitPerMinute: number, reservedSlotMs?: number): Promise<PaceDecision> {
    const account = { tenantId, accountId, limitPerMinute };
    const admitted = await this.admit(account, { reservedSlotMs, reads: false });
    if (!admitted.granted) return admitted;
    return this.takeWrite(account, reservedSlotMs);
  }

  /**
   * A 429 without Retry-After on the account's latest create.
   * @deprecated Report the create's answer with its grant time (`report`).
   */
  async penalize(tenantId: string, accountId: string, limitPerMinute: number): Promise<void> {
    const account = { tenantId, accountId, limitPerMinute };
    const latest = decodeAccount(await this.get(this.accountBucket(account)))?.write?.recent.at(-1);
    if (latest) await this.report(account, { bucket: 'write', kind: 'rate_limited', grantAtMs: latest.grantAtMs, retryAfterSeconds: null });
  }

  private appBucket = () => bucketParams(this.appPerSecond, 1);

  private takeApp(): Promise<PaceDecision> {
    return this.update<BucketState, PaceDecision>(
      'app',
      decodeBucket,
      encodeBucket,
      (stored, nowMs) => {
        const params = this.appBucket();
        const result = take(stored ?? initialBucket(params, nowMs), params, nowMs);
        // The app bucket (per second) only ever asks for short waits, which the worker sleeps out: no slots.
        return result.granted
          ? { result: { granted: true, waitMs: 0 }, write: result.state }
          : { result: { granted: false, waitMs: result.waitMs } };
      },
      { granted: false, waitMs: CONTENTION_WAIT_MS },
    );
  }

  private async refundApp(): Promise<void> {
    await this.update(
      'app',
      decodeBucket,
      encodeBucket,
      (stored, nowMs) => {
        const params = this.appBucket();
        return { result: undefined, write: refund(stored ?? initialBucket(params, nowMs), params, nowMs) };
      },
      undefined,
    );
  }

  /** GET /v1/accounts/{id}/rate. Reads only. */
  async view(tenantId: string, accountId: string, limitPerMinute: number): Promise<AccountRate> {
    const stored = decodeAccount(await this.get(this.accountBucket({ tenantId, accountId, limitPerMinute })));
    const nowMs = this.clock.now().getTime();
    const write = describeWrite(stored?.write, limitPerMinute, nowMs);
    const read = stored?.read;
    const readBucket = readParams(this.readPerMinute);
    const readHold = read?.holdUntilMs !== undefined && read.holdUntilMs > nowMs ? read.holdUntilMs : null;
    const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
    return {
      limit: limitPerMinute,
      effective_limit: write.limit,
      window_seconds: WINDOW_MS / 1000,
      capacity: write.params.capacity,
      refill_per_second: write.params.refillPerSecond,
      tokens: Math.floor(write.tokens * 1000) / 1000,
      next_slot_at: new Date(write.nextAtMs).toISOString(),
      penalized: write.limit < limitPerMinute,
      held_until: iso(write.holdUntilMs),
      sent_last_minute: write.sentInWindow,
      unproven_last_minute: write.unprovenInWindow,
      adaptive: write.adaptive ? { ceiling: write.adaptive.ceiling, since: new Date(write.adaptive.sinceMs).toISOString() } : null,
      read: {
        limit: this.readPerMinute,
        capacity: readBucket.capacity,
        refill_per_second: readBucket.refillPerSecond,
        tokens: Math.floor(tokensAt(read?.bucket ?? initialBucket(readBucket, nowMs), readBucket, nowMs) * 1000) / 1000,
        held_until: iso(readHold),
      },
    };
  }
}

/** A domain decision as the port's answer, and the state to write when there is one. */
function answer<S>(decision: Decision<S>): { result: PaceDecision; write?: S } {
  switch (decision.kind) {
    case 'ready':
      return { result: { granted: true, waitMs: 0 } };
    case 'granted':
      return { result: { granted: true, waitMs: 0, grantAtMs: decision.grantAtMs }, write: decision.state };
    case 'wait':
      return {
        result: { granted: false, waitMs: decision.waitMs, ...(decision.slotMs !== undefined ? { slotMs: decision.slotMs } : {}) },
        ...(decision.state !== undefined ? { write: decision.state } : {}),
      };
  }
}

// ---- item codecs: plain attributes, numbers and lists of numbers ----

function decodeBucket(item: Item | null): BucketState | undefined {
  return item ? bucketOf(item) : undefined;
}

function bucketOf(item: Item): BucketState {
  return { tokens: Number(item.tokens), updatedAtMs: Number(item.updated_at_ms) };
}

function encodeBucket(state: BucketState): Item {
  return { tokens: state.tokens, updated_at_ms: state.updatedAtMs };
}

function optionalNumber(item: Item, name: string): number | undefined {
  return item[name] === undefined || item[name] === null ? undefined : Number(item[name]);
}

/** Both budgets of an account's item; a budget never used is absent. */
interface AccountState {
  readonly write?: WriteState | undefined;
  readonly read?: ReadState | undefined;
}

/** What is written back: the item's version is the write bucket's, so every change carries one (see `moved`). */
interface AccountWrite extends AccountState {
  readonly write: WriteState;
}

/** The write state with only its version moved: a change to the read budget serializes with grants. */
function moved(write: WriteState | undefined, account: PacedAccount, nowMs: number): WriteState {
  const state = write ?? initialWriteState(account.limitPerMinute, nowMs);
  return { ...state, bucket: touch(state.bucket, writeLimit(state, account.limitPerMinute, nowMs).params, nowMs) };
}

function decodeAccount(item: Item | null): AccountState | undefined {
  if (!item) return undefined;
  return { write: decodeWrite(item), read: decodeRead(item) };
}

function encodeAccount(state: AccountWrite): Item {
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
