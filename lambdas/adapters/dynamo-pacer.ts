import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { AccountRate } from '../domain/account.ts';
import type { Clock } from '../domain/clock.ts';
import {
  decideRead,
  decideWrite,
  describeWrite,
  readParams,
  reportRead,
  reportWrite,
  WINDOW_MS,
  type Decision,
  type PacingSignal,
} from '../domain/pacing.ts';
import { bucketParams, initialBucket, refund, take, takeFromFull, tokensAt, type BucketState } from '../domain/token-bucket.ts';
import type { PacedAccount, PaceDecision, Pacer, RateView } from '../use-cases/ports.ts';
import {
  decodeAccount,
  decodeBucket,
  encodeAccount,
  encodeAppBucket,
  moved,
  type AccountState,
  type AccountWrite,
  type Item,
} from './dynamo-pacer-item.ts';

/** How often a lost race for the same bucket is retried before the job is held briefly instead. */
const CONTENTION_RETRIES = 5;
/** The wait answered after CONTENTION_RETRIES lost races (the caller sleeps it out and asks again). */
const CONTENTION_WAIT_MS = 250;
/** Board listings per minute per account when no budget is configured. */
export const DEFAULT_READ_PER_MINUTE = 100;
/** Buckets whose last known item a pacer remembers (accounts this container paced lately, and the app). */
const REMEMBERED_BUCKETS = 1000;

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
 *
 * Round trips. Every write strictly increases `updated_at_ms`, so a conditional put on the version an
 * item had proves the item was still exactly that one: a decision may rest on an item remembered from an
 * earlier call (what `admit` read, what the last put wrote) as long as it is written conditionally. A
 * decision that writes nothing (a refusal) is only answered from a fresh read. A lost race hands back the
 * item as it is now (`ReturnValuesOnConditionCheckFailure`), so it costs no extra read. The app bucket
 * stores `full_at_ms` (lambdas/domain/token-bucket.ts `fullAtMs`): while it is full, its token is one
 * conditional put on `full_at_ms < now`, with no read.
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

  /** The last item this pacer read, wrote or was handed back per bucket (null: none stored), oldest first. */
  private readonly known = new Map<string, Item | null>();

  private remember(bucket: string, item: Item | null): void {
    this.known.delete(bucket);
    this.known.set(bucket, item);
    for (const oldest of this.known.keys()) {
      if (this.known.size <= REMEMBERED_BUCKETS) break;
      this.known.delete(oldest);
    }
  }

  private async get(bucket: string): Promise<Item | null> {
    const out = await this.client.send(new GetCommand({ TableName: this.tableName, Key: this.key(bucket), ConsistentRead: true }));
    this.remember(bucket, out.Item ?? null);
    return out.Item ?? null;
  }

  /**
   * A conditional put: on `previous`'s version (none: the item must not exist), or on `condition`. Answers
   * whether it was written and, when not, the item as the failed condition found it.
   */
  private async put(
    bucket: string,
    fields: Item,
    previous: Item | null,
    condition?: { readonly expression: string; readonly values: Item },
  ): Promise<{ written: true } | { written: false; current: Item | null }> {
    const item = { ...this.key(bucket), ...fields };
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: item,
          ...(condition
            ? { ConditionExpression: condition.expression, ExpressionAttributeValues: condition.values }
            : previous
              ? { ConditionExpression: 'updated_at_ms = :v', ExpressionAttributeValues: { ':v': previous.updated_at_ms } }
              : { ConditionExpression: 'attribute_not_exists(pk)' }),
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      this.remember(bucket, item);
      return { written: true };
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      // The SDK hands back the raw (marshalled) item; the document client does not unmarshall errors.
      const current = error.Item ? (unmarshall(error.Item as never) as Item) : null;
      this.remember(bucket, current);
      return { written: false, current };
    }
  }

  /**
   * Decide, write conditionally; a lost race decides again on the item it handed back. `step` answers the
   * result and the state to write (none: nothing changed). The first decision rests on `start` when given
   * (an item already in hand), on the remembered item with `remembered`, else on a fresh read; a decision
   * that writes nothing is answered only from a fresh item. After CONTENTION_RETRIES lost races,
   * `contended` is answered.
   */
  private async update<S, R, W extends S = S>(
    bucket: string,
    decode: (item: Item | null) => S | undefined,
    encode: (state: W) => Item,
    step: (stored: S | undefined, nowMs: number) => { result: R; write?: W },
    contended: R,
    from: { readonly start?: Item | null; readonly remembered?: boolean } = {},
  ): Promise<R> {
    let item: Item | null;
    let fresh = true;
    if (from.start !== undefined) item = from.start;
    else if (from.remembered && this.known.has(bucket)) {
      item = this.known.get(bucket) ?? null;
      fresh = false;
    } else item = await this.get(bucket);
    for (let lost = 0; lost < CONTENTION_RETRIES; ) {
      const { result, write } = step(decode(item), this.clock.now().getTime());
      if (write === undefined) {
        if (fresh) return result;
        item = await this.get(bucket);
        fresh = true;
        continue;
      }
      const put = await this.put(bucket, encode(write), item);
      if (put.written) return result;
      item = put.current;
      fresh = true;
      lost++;
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
    from: { readonly remembered?: boolean } = {},
  ): Promise<R> {
    return this.update(
      this.accountBucket(account),
      decodeAccount,
      encodeAccount,
      (stored, nowMs) => step(stored ?? {}, nowMs),
      contended,
      from,
    );
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
      { remembered: true }, // usually what admit read just before the claim
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
      { remembered: true },
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
      { remembered: true }, // usually what takeWrite wrote just before the create
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

  /**
   * The app's token. While the bucket is full (the app is below its rate, the usual case) the grant is
   * exactly what `take` makes of a full bucket, written on `full_at_ms < now` without a read; otherwise
   * the failed condition hands back the item and the grant is decided on it, as for any bucket.
   */
  private async takeApp(): Promise<PaceDecision> {
    const params = this.appBucket();
    const nowMs = this.clock.now().getTime();
    const guess = await this.put('app', encodeAppBucket(takeFromFull(params, nowMs), params), null, {
      expression: 'attribute_not_exists(pk) OR full_at_ms < :now',
      values: { ':now': nowMs },
    });
    if (guess.written) return { granted: true, waitMs: 0 };
    return this.update<BucketState, PaceDecision>(
      'app',
      decodeBucket,
      (state) => encodeAppBucket(state, params),
      (stored, now) => {
        const result = take(stored ?? initialBucket(params, now), params, now);
        // The app bucket (per second) only ever asks for short waits, which the worker sleeps out: no slots.
        return result.granted
          ? { result: { granted: true, waitMs: 0 }, write: result.state }
          : { result: { granted: false, waitMs: result.waitMs } };
      },
      { granted: false, waitMs: CONTENTION_WAIT_MS },
      { start: guess.current },
    );
  }

  private async refundApp(): Promise<void> {
    const params = this.appBucket();
    await this.update(
      'app',
      decodeBucket,
      (state) => encodeAppBucket(state, params),
      (stored, nowMs) => ({ result: undefined, write: refund(stored ?? initialBucket(params, nowMs), params, nowMs) }),
      undefined,
      { remembered: true }, // what takeApp wrote or was handed back
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
