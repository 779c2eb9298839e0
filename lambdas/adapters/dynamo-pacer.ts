import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Clock } from '../domain/clock.ts';
import {
  bucketParams,
  initialBucket,
  penalize,
  recover,
  take,
  tokensAt,
  type BucketParams,
  type BucketState,
} from '../domain/token-bucket.ts';
import type { Pacer } from '../use-cases/ports.ts';

/** How often a lost race for the same bucket is retried before the job is held briefly instead. */
const CONTENTION_RETRIES = 5;
/** A reserved slot this close counts as due (SQS delays are whole seconds; the worker sleeps the rest). */
const SLOT_TOLERANCE_MS = 1000;

interface StoredBucket {
  readonly state: BucketState;
  /** Latest pacing slot handed to a waiting job (epoch ms); later waiters queue behind it. */
  readonly nextSlotMs?: number;
  /** Refill rate after a penalty (a 429 without Retry-After) and when it was set; absent = the base rate. */
  readonly penalizedRefill?: number;
  readonly penalizedAtMs?: number;
}

export interface BucketView {
  readonly limit: number;
  readonly window_seconds: number;
  readonly capacity: number;
  readonly refill_per_second: number;
  readonly tokens: number;
  readonly next_slot_at: string;
  readonly penalized: boolean;
}

/**
 * Token buckets in the tenants table, one item per bucket (`PACING#<tenant>#<account>` and
 * `PACING#app`), updated with a conditional put on the bucket's `updated_at_ms` so concurrent workers
 * never both spend the same token. The math is lambdas/domain/token-bucket.ts.
 */
export class DynamoPacer implements Pacer {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly clock: Clock,
    private readonly appPerSecond: number,
    /** The account bucket for a per-minute limit (lambdas/domain/token-bucket.ts); injectable for tests. */
    private readonly accountParams: (limitPerMinute: number) => BucketParams = (limit) => bucketParams(limit),
  ) {}

  private key(bucket: string) {
    return { pk: `PACING#${bucket}`, sk: 'BUCKET' };
  }

  private async read(bucket: string): Promise<StoredBucket | null> {
    const out = await this.client.send(new GetCommand({ TableName: this.tableName, Key: this.key(bucket), ConsistentRead: true }));
    if (!out.Item) return null;
    return {
      state: { tokens: Number(out.Item['tokens']), updatedAtMs: Number(out.Item['updated_at_ms']) },
      ...(out.Item['next_slot_ms'] !== undefined ? { nextSlotMs: Number(out.Item['next_slot_ms']) } : {}),
      ...(out.Item['penalized_refill'] !== undefined
        ? { penalizedRefill: Number(out.Item['penalized_refill']), penalizedAtMs: Number(out.Item['penalized_at_ms']) }
        : {}),
    };
  }

  /** The rate in force: the base, or a penalized rate recovering towards it. */
  private paramsOf(stored: StoredBucket | null, base: BucketParams, nowMs: number): BucketParams {
    if (!stored?.penalizedRefill) return base;
    return recover({ capacity: base.capacity, refillPerSecond: stored.penalizedRefill }, base, nowMs - (stored.penalizedAtMs ?? nowMs));
  }

  private async write(bucket: string, next: StoredBucket, previous: StoredBucket | null): Promise<boolean> {
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            ...this.key(bucket),
            tokens: next.state.tokens,
            updated_at_ms: next.state.updatedAtMs,
            ...(next.nextSlotMs !== undefined ? { next_slot_ms: next.nextSlotMs } : {}),
            ...(next.penalizedRefill !== undefined ? { penalized_refill: next.penalizedRefill, penalized_at_ms: next.penalizedAtMs } : {}),
          },
          ...(previous
            ? { ConditionExpression: 'updated_at_ms = :v', ExpressionAttributeValues: { ':v': previous.state.updatedAtMs } }
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
   * Takes a token, or reserves the next free slot. Waiting jobs get distinct slots one refill interval
   * apart (no thundering herd when they come back), and a job without a reservation may not take a
   * token while earlier reservations are still waiting. The token itself is always taken at execution
   * time, so a late or early slot can never push a window over the limit.
   */
  private async takeFrom(
    bucket: string,
    base: BucketParams,
    reservedSlotMs: number | undefined,
    reserve: boolean,
  ): Promise<{ granted: boolean; waitMs: number; slotMs?: number }> {
    for (let i = 0; i < CONTENTION_RETRIES; i++) {
      const nowMs = this.clock.now().getTime();
      const stored = await this.read(bucket);
      const params = this.paramsOf(stored, base, nowMs);
      const intervalMs = Math.ceil(1000 / params.refillPerSecond);
      const queueAhead =
        reserve && stored?.nextSlotMs !== undefined && stored.nextSlotMs > nowMs && !(reservedSlotMs !== undefined && reservedSlotMs <= nowMs + SLOT_TOLERANCE_MS);
      const result = take(stored?.state ?? initialBucket(params, nowMs), params, nowMs);
      const keep = {
        ...(stored?.penalizedRefill !== undefined && params.refillPerSecond < base.refillPerSecond
          ? { penalizedRefill: stored.penalizedRefill, penalizedAtMs: stored.penalizedAtMs! }
          : {}),
      };
      if (result.granted && !queueAhead) {
        const next: StoredBucket = { state: result.state, ...keep, ...(stored?.nextSlotMs !== undefined ? { nextSlotMs: stored.nextSlotMs } : {}) };
        if (await this.write(bucket, next, stored)) return { granted: true, waitMs: 0 };
        continue;
      }
      if (!reserve && !result.granted) return { granted: false, waitMs: result.waitMs };
      if (reservedSlotMs !== undefined && reservedSlotMs <= nowMs + SLOT_TOLERANCE_MS && !result.granted && result.waitMs <= SLOT_TOLERANCE_MS) {
        // Our own slot, a hair early for the refill: the caller waits this out briefly.
        return { granted: false, waitMs: result.waitMs, slotMs: reservedSlotMs };
      }
      const slotMs = Math.max(nowMs + (result.granted ? 0 : result.waitMs), (stored?.nextSlotMs ?? 0) + intervalMs);
      const state = stored?.state ?? initialBucket(params, nowMs);
      // Bump the version so the reservation and concurrent grants serialize on the same item.
      const next: StoredBucket = { state: { tokens: state.tokens, updatedAtMs: state.updatedAtMs + 1 }, ...keep, nextSlotMs: slotMs };
      if (await this.write(bucket, next, stored)) return { granted: false, waitMs: slotMs - nowMs, slotMs };
    }
    return { granted: false, waitMs: 250 };
  }

  async acquire(
    tenantId: string,
    accountId: string,
    limitPerMinute: number,
    reservedSlotMs?: number,
  ): Promise<{ granted: boolean; waitMs: number; slotMs?: number }> {
    const account = await this.takeFrom(`${tenantId}#${accountId}`, this.accountParams(limitPerMinute), reservedSlotMs, true);
    if (!account.granted) return account;
    // The app bucket (per second) only ever asks for short waits, which the worker sleeps out: no slots.
    // The account's token is spent even if the app bucket says wait: conservative, never over a limit.
    return this.takeFrom('app', bucketParams(this.appPerSecond, 1), undefined, false);
  }

  async penalize(tenantId: string, accountId: string, limitPerMinute: number): Promise<void> {
    const bucket = `${tenantId}#${accountId}`;
    const base = this.accountParams(limitPerMinute);
    for (let i = 0; i < CONTENTION_RETRIES; i++) {
      const nowMs = this.clock.now().getTime();
      const stored = await this.read(bucket);
      const slower = penalize(this.paramsOf(stored, base, nowMs));
      const state = stored?.state ?? { tokens: 0, updatedAtMs: nowMs };
      // Bump the version so a concurrent take() on the old state loses its conditional write.
      const next = { state: { tokens: state.tokens, updatedAtMs: Math.max(nowMs, state.updatedAtMs + 1) }, penalizedRefill: slower.refillPerSecond, penalizedAtMs: nowMs };
      if (await this.write(bucket, next, stored)) return;
    }
  }

  /** GET /v1/accounts/{id}/rate. */
  async view(tenantId: string, accountId: string, limitPerMinute: number): Promise<BucketView> {
    const nowMs = this.clock.now().getTime();
    const base = this.accountParams(limitPerMinute);
    const stored = await this.read(`${tenantId}#${accountId}`);
    const params = this.paramsOf(stored, base, nowMs);
    const state = stored?.state ?? initialBucket(params, nowMs);
    const tokens = tokensAt(state, params, nowMs);
    const tokenWaitMs = tokens >= 1 ? 0 : Math.ceil(((1 - tokens) / params.refillPerSecond) * 1000);
    // A new job queues behind the slots already reserved for waiting jobs (see takeFrom).
    const reservedUntil = stored?.nextSlotMs !== undefined && stored.nextSlotMs > nowMs ? stored.nextSlotMs + Math.ceil(1000 / params.refillPerSecond) : 0;
    const waitMs = Math.max(tokenWaitMs, reservedUntil - nowMs);
    return {
      limit: limitPerMinute,
      window_seconds: 60,
      capacity: params.capacity,
      refill_per_second: params.refillPerSecond,
      tokens: Math.floor(tokens * 1000) / 1000,
      next_slot_at: new Date(nowMs + waitMs).toISOString(),
      penalized: params.refillPerSecond < base.refillPerSecond,
    };
  }
}
