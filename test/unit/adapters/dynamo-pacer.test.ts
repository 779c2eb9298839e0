import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand, type GetCommandInput, type PutCommandInput } from '@aws-sdk/lib-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { DynamoPacer } from '../../../lambdas/adapters/dynamo-pacer.ts';
import { fixedClock } from '../../../lambdas/domain/clock.ts';
import { TENANT_ITEM_GRANTS, matchesLeadingKey } from '../../../definitions/item-access.ts';
import { ACCOUNT, T0, TENANT } from '../builders.ts';

/**
 * Limit 61/min ⇒ capacity 2, refill 59/60 per second (one slot per 1017 ms); the app bucket at 11/s has
 * capacity 1 and refills 10 tokens/s (lambdas/domain/token-bucket.ts); the read budget is 31/min
 * (capacity 1, refill 0.5/s). The logic is lambdas/domain/pacing.ts; this is its storage.
 */
const LIMIT = 61;
const INTERVAL = 1017;
const NOW = Date.parse(T0);
const SECOND = Math.floor(NOW / 1000);
const TABLE = 'tenants-table';
const ACCT_PK = `PACING#${TENANT}#${ACCOUNT}`;
const APP_PK = 'PACING#app';
const key = (pk: string) => ({ pk, sk: 'BUCKET' });
const account = { tenantId: TENANT, accountId: ACCOUNT, limitPerMinute: LIMIT };

const client = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'eu-west-1' }));
const ddb = mockClient(client);
/** A failed condition; with the item as it is, as DynamoDB hands it back (marshalled) for ALL_OLD. */
const ccf = (current?: Record<string, unknown>) =>
  new ConditionalCheckFailedException({
    message: 'The conditional request failed',
    $metadata: {},
    ...(current ? { Item: marshall(current) as never } : {}),
  });
let clock: ReturnType<typeof fixedClock>;
let pacer: DynamoPacer;

/** The bucket items, behind the mock: gets read them, puts honour the three conditions the pacer writes. */
const items = new Map<string, Record<string, unknown>>();
function seed(pk: string, fields: Record<string, unknown>) {
  items.set(pk, { ...key(pk), ...fields });
}
function backWithTable() {
  ddb.on(GetCommand).callsFake(async (input: GetCommandInput) => {
    const item = items.get(String(input.Key!.pk));
    return item ? { Item: structuredClone(item) } : {};
  });
  ddb.on(PutCommand).callsFake(async (input: PutCommandInput) => {
    const pk = String(input.Item!.pk);
    const current = items.get(pk);
    const old = input.ReturnValuesOnConditionCheckFailure === 'ALL_OLD' ? current : undefined;
    if (input.ConditionExpression === 'attribute_not_exists(pk)') {
      if (current) throw ccf(old);
    } else if (input.ConditionExpression === 'updated_at_ms = :v') {
      if (current?.updated_at_ms !== input.ExpressionAttributeValues?.[':v']) throw ccf(old);
    } else if (input.ConditionExpression === 'attribute_not_exists(pk) OR full_at_ms < :now') {
      const fullAt = current?.full_at_ms;
      if (current && !(typeof fullAt === 'number' && fullAt < Number(input.ExpressionAttributeValues?.[':now']))) throw ccf(old);
    } else throw new Error(`unexpected condition ${input.ConditionExpression}`);
    items.set(pk, structuredClone(input.Item!));
    return {};
  });
}
const gets = () => ddb.commandCalls(GetCommand).map((c) => c.args[0].input.Key!.pk);
const puts = () => ddb.commandCalls(PutCommand).map((c) => c.args[0].input);
const putKeys = () => puts().map((p) => p.Item!.pk);

beforeEach(() => {
  ddb.reset();
  items.clear();
  clock = fixedClock(T0);
  pacer = new DynamoPacer(client, TABLE, clock, 11, 31);
});
afterAll(() => ddb.restore());

describe('admit (before the claim): takes nothing', () => {
  it('reads the account item consistently and writes nothing when a create could go now', async () => {
    backWithTable();

    await expect(pacer.admit(account, { reads: false })).resolves.toEqual({ granted: true, waitMs: 0 });

    expect(ddb.commandCalls(GetCommand)[0]!.args[0].input).toEqual({ TableName: TABLE, Key: key(ACCT_PK), ConsistentRead: true });
    expect(puts()).toEqual([]);
  });

  it('without a token reserves the next slot, one interval behind the last; waiting jobs get distinct slots', async () => {
    backWithTable();
    seed(ACCT_PK, { tokens: 0, updated_at_ms: NOW, next_slot_ms: NOW + 3000 });

    const slots = [];
    for (let i = 0; i < 3; i++) slots.push((await pacer.admit(account, { reads: false })).slotMs);

    expect(slots).toEqual([NOW + 3000 + INTERVAL, NOW + 3000 + 2 * INTERVAL, NOW + 3000 + 3 * INTERVAL]);
    expect(puts()[0]).toEqual({
      TableName: TABLE,
      Item: { ...key(ACCT_PK), tokens: 0, updated_at_ms: NOW + 1, log: [], recent: [], next_slot_ms: NOW + 3000 + INTERVAL },
      ConditionExpression: 'updated_at_ms = :v',
      ExpressionAttributeValues: { ':v': NOW },
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
    });
  });

  it('a job that must verify asks the read budget too, in the same read: held reads answer a wait and reserve no write slot', async () => {
    backWithTable();
    seed(ACCT_PK, { tokens: 0, updated_at_ms: NOW, read_tokens: 1, read_updated_at_ms: NOW - 5000, read_hold_until_ms: NOW + 7000 });

    await expect(pacer.admit(account, { reads: true })).resolves.toEqual({ granted: false, waitMs: 7000 });

    expect(gets()).toEqual([ACCT_PK]);
    expect(puts()).toEqual([]);
  });

  it('a Retry-After hold: the next slot is after it', async () => {
    backWithTable();
    seed(ACCT_PK, { tokens: 2, updated_at_ms: NOW - 10_000, hold_until_ms: NOW + 20_000 });

    await expect(pacer.admit(account, { reads: false })).resolves.toEqual({ granted: false, waitMs: 20_000, slotMs: NOW + 20_000 });
  });
});

describe('takeWrite (send time): the app first, then the account', () => {
  it('writes the first grant with attribute_not_exists(pk), logs it, and answers its time', async () => {
    backWithTable();

    await expect(pacer.takeWrite(account)).resolves.toEqual({ granted: true, waitMs: 0, grantAtMs: NOW + 1 });

    expect(gets()).toEqual([ACCT_PK]); // the app's token needs no read while its bucket is full
    expect(puts()).toEqual([
      {
        TableName: TABLE,
        Item: { ...key(APP_PK), tokens: 0, updated_at_ms: NOW, full_at_ms: NOW + 100 },
        ConditionExpression: 'attribute_not_exists(pk) OR full_at_ms < :now',
        ExpressionAttributeValues: { ':now': NOW },
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      },
      {
        TableName: TABLE,
        Item: { ...key(ACCT_PK), tokens: 1, updated_at_ms: NOW + 1, log: [[SECOND, 1, 0]], recent: [[NOW + 1, 0]] },
        ConditionExpression: 'attribute_not_exists(pk)',
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      },
    ]);
  });

  it('an app-bucket refusal never touches the account’s token', async () => {
    backWithTable();
    seed(APP_PK, { tokens: 0, updated_at_ms: NOW });
    seed(ACCT_PK, { tokens: 2, updated_at_ms: NOW - 10_000 });

    await expect(pacer.takeWrite(account)).resolves.toEqual({ granted: false, waitMs: 100 });

    // The full-bucket write is refused (an item without full_at_ms); the item it hands back decides.
    expect(gets()).toEqual([]);
    expect(putKeys()).toEqual([APP_PK]);
    expect(items.get(APP_PK)).toEqual({ ...key(APP_PK), tokens: 0, updated_at_ms: NOW });
    expect(items.get(ACCT_PK)).toMatchObject({ tokens: 2, updated_at_ms: NOW - 10_000 });
  });

  it('an account refusal gives the app token back', async () => {
    backWithTable();
    seed(APP_PK, { tokens: 1, updated_at_ms: NOW });
    seed(ACCT_PK, { tokens: 0, updated_at_ms: NOW });

    await expect(pacer.takeWrite(account)).resolves.toMatchObject({ granted: false });

    expect(putKeys()).toEqual([APP_PK, APP_PK, APP_PK]); // not full: refused; taken; refunded. The account untouched
    expect(items.get(APP_PK)).toMatchObject({ tokens: 1 });
    expect(items.get(ACCT_PK)).toMatchObject({ tokens: 0, updated_at_ms: NOW });
  });

  it('a job without a reservation may not take the token while an earlier reservation waits; the slot holder may', async () => {
    backWithTable();
    seed(APP_PK, { tokens: 1, updated_at_ms: NOW - 1000 });
    seed(ACCT_PK, { tokens: 2, updated_at_ms: NOW - 10_000, next_slot_ms: NOW + 3000 });

    await expect(pacer.takeWrite(account)).resolves.toMatchObject({ granted: false });
    clock.advance(2500);
    await expect(pacer.takeWrite(account, NOW + 3000)).resolves.toMatchObject({ granted: true });
    expect(items.get(ACCT_PK)).toMatchObject({ next_slot_ms: NOW + 3000 }); // kept for later waiters
  });

  it('a lost race decides again on the item the failed condition hands back, without a read; five lost races answer a short wait', async () => {
    backWithTable();
    seed(ACCT_PK, { tokens: 2, updated_at_ms: NOW - 10_000 });
    await pacer.admit(account, { reads: false });
    seed(ACCT_PK, { tokens: 1, updated_at_ms: NOW - 5000 }); // another worker's grant since admit read it

    await expect(pacer.takeWrite(account)).resolves.toMatchObject({ granted: true });
    expect(gets()).toEqual([ACCT_PK]); // admit's read only
    expect(puts().map((p) => p.ExpressionAttributeValues?.[':v'])).toEqual([undefined, NOW - 10_000, NOW - 5000]);
    expect(items.get(ACCT_PK)).toMatchObject({ tokens: 1 }); // decided on the other worker's item: refilled to 2, minus 1

    ddb.reset();
    ddb.on(GetCommand).resolves({});
    ddb.on(PutCommand).rejects(ccf());
    await expect(pacer.takeWrite(account)).resolves.toEqual({ granted: false, waitMs: 250 });
  });

  it('takeWrite decides on the item admit read (one read for both); a refusal from a remembered item is read again first', async () => {
    backWithTable();
    await pacer.admit(account, { reads: false });
    await expect(pacer.takeWrite(account)).resolves.toMatchObject({ granted: true });
    expect(gets()).toEqual([ACCT_PK]);

    // The remembered item says no token is left; another worker's refund since then says otherwise.
    seed(ACCT_PK, { tokens: 0, updated_at_ms: NOW + 1, log: [], recent: [] });
    await pacer.view(TENANT, ACCOUNT, LIMIT);
    seed(ACCT_PK, { tokens: 2, updated_at_ms: NOW + 2, log: [], recent: [] });
    clock.advance(150); // the app bucket is full again; the remembered account item has refilled 0.15 token
    await expect(pacer.takeWrite(account)).resolves.toMatchObject({ granted: true });
    expect(gets()).toEqual([ACCT_PK, ACCT_PK, ACCT_PK]); // admit, view, and the read before a refusal
  });

  it('the app bucket: one write per token while it is full, and never more than it holds when it is not', async () => {
    backWithTable();
    const grants = [];
    for (let i = 0; i < 5; i++) {
      grants.push((await pacer.takeWrite(account)).granted);
      clock.advance(40); // 11/s: capacity 1, refill 10/s, so full again 100 ms after a grant
    }
    // t = 0 granted; 40, 80 not yet refilled; 120 granted (full again after 100 ms); 160 not.
    expect(grants).toEqual([true, false, false, true, false]);
    expect(gets().filter((pk) => pk === APP_PK)).toEqual([]);
  });

  it('lets any other DynamoDB error propagate', async () => {
    ddb.on(GetCommand).resolves({});
    ddb.on(PutCommand).rejects(new Error('ProvisionedThroughputExceededException'));

    await expect(pacer.takeWrite(account)).rejects.toThrow('ProvisionedThroughputExceededException');
  });
});

describe('report and takeRead', () => {
  it('a create’s 429 with Retry-After holds the account, keeping the reservations and the log', async () => {
    backWithTable();
    const { grantAtMs } = await pacer.takeWrite(account);
    // Another job's reservation since: every write moves the version.
    seed(ACCT_PK, { ...items.get(ACCT_PK)!, next_slot_ms: NOW + 9000, updated_at_ms: NOW + 2 });
    clock.advance(300);

    await pacer.report(account, { bucket: 'write', kind: 'rate_limited', grantAtMs: grantAtMs!, retryAfterSeconds: 20 });

    expect(items.get(ACCT_PK)).toMatchObject({
      hold_until_ms: NOW + 20_300,
      next_slot_ms: NOW + 9000,
      log: [[SECOND, 1, 1]],
      recent: [[NOW + 1, 1]],
    });
    await expect(pacer.admit(account, { reads: false })).resolves.toMatchObject({ granted: false, slotMs: NOW + 20_300 });
  });

  it('three refused of the last five: the adaptive limit is stored and shown', async () => {
    backWithTable();
    for (let i = 0; i < 3; i++) {
      clock.advance(1100);
      const { grantAtMs } = await pacer.takeWrite(account);
      await pacer.report(account, { bucket: 'write', kind: 'rate_limited', grantAtMs: grantAtMs!, retryAfterSeconds: null });
    }

    // None got through, and one verdict at most halves the limit in force: ceiling 31, floor 27.
    expect(items.get(ACCT_PK)).toMatchObject({ limit_floor: 27, limit_ceiling: 31, recent: [] });
    const view = await pacer.view(TENANT, ACCOUNT, LIMIT);
    expect(view).toMatchObject({
      limit: LIMIT,
      effective_limit: 27,
      penalized: true,
      sent_last_minute: 3,
      unproven_last_minute: 3,
      adaptive: { ceiling: 31 },
    });
  });

  it('a listing’s 429 holds the read budget only: write tokens, hold and limit untouched', async () => {
    backWithTable();
    seed(ACCT_PK, { tokens: 1.5, updated_at_ms: NOW, log: [], recent: [], next_slot_ms: NOW - 100 });
    await expect(pacer.takeRead(account)).resolves.toMatchObject({ granted: true });
    await pacer.report(account, { bucket: 'read', kind: 'rate_limited', retryAfterSeconds: null });

    expect(items.get(ACCT_PK)).toMatchObject({ tokens: 1.5, next_slot_ms: NOW - 100, read_tokens: 0, read_hold_until_ms: NOW + 10_000 });
    expect(items.get(ACCT_PK)).not.toHaveProperty('hold_until_ms');
    await expect(pacer.takeRead(account)).resolves.toEqual({ granted: false, waitMs: 10_000 });
    await expect(pacer.admit(account, { reads: false })).resolves.toMatchObject({ granted: true });
    await expect(pacer.admit(account, { reads: true })).resolves.toEqual({ granted: false, waitMs: 10_000 });
  });

  it('a write keeps the read budget, and a read keeps the write budget', async () => {
    backWithTable();
    await pacer.takeRead(account);
    const { grantAtMs } = await pacer.takeWrite(account);
    await pacer.report(account, { bucket: 'write', kind: 'rate_limited', grantAtMs: grantAtMs!, retryAfterSeconds: 3 });
    await pacer.report(account, { bucket: 'read', kind: 'rate_limited', retryAfterSeconds: 9 });

    expect(items.get(ACCT_PK)).toMatchObject({ hold_until_ms: NOW + 3000, read_hold_until_ms: NOW + 9000, read_tokens: 0, tokens: 1 });
  });

  it('an item written before the adaptive limit (penalized_refill) is read as the configured limit and rewritten without it', async () => {
    backWithTable();
    seed(ACCT_PK, { tokens: 2, updated_at_ms: NOW - 10_000, next_slot_ms: NOW - 5000, penalized_refill: 0.1, penalized_at_ms: NOW - 1000 });

    await expect(pacer.takeWrite(account)).resolves.toMatchObject({ granted: true });

    expect(items.get(ACCT_PK)).not.toHaveProperty('penalized_refill');
    expect(items.get(ACCT_PK)).toMatchObject({ next_slot_ms: NOW - 5000, tokens: 1 });
  });
});

describe('view', () => {
  it('an untouched account: full buckets, go now', async () => {
    backWithTable();

    await expect(pacer.view(TENANT, ACCOUNT, LIMIT)).resolves.toEqual({
      limit: LIMIT,
      effective_limit: LIMIT,
      window_seconds: 60,
      capacity: 2,
      refill_per_second: 59 / 60,
      tokens: 2,
      next_slot_at: T0,
      penalized: false,
      held_until: null,
      sent_last_minute: 0,
      unproven_last_minute: 0,
      adaptive: null,
      read: { limit: 31, capacity: 1, refill_per_second: 0.5, tokens: 1, held_until: null },
    });
    expect(puts()).toEqual([]);
  });

  it('does not report a next slot before the slots already reserved, nor before a hold ends', async () => {
    backWithTable();
    seed(ACCT_PK, { tokens: 2, updated_at_ms: NOW - 10_000, next_slot_ms: NOW + 3000 });
    expect(Date.parse((await pacer.view(TENANT, ACCOUNT, LIMIT)).next_slot_at)).toBe(NOW + 3000 + INTERVAL);

    seed(ACCT_PK, { tokens: 2, updated_at_ms: NOW - 10_000, hold_until_ms: NOW + 20_000 });
    const held = await pacer.view(TENANT, ACCOUNT, LIMIT);
    expect(held).toMatchObject({ next_slot_at: new Date(NOW + 20_000).toISOString(), held_until: new Date(NOW + 20_000).toISOString() });
  });
});

describe('every request fits the worker’s item-scoped grants (definitions/item-access.ts)', () => {
  it('admit, takeWrite, takeRead, report, view: GetItem and PutItem on PACING# keys only', async () => {
    backWithTable();
    await pacer.admit(account, { reads: true });
    await pacer.takeWrite(account);
    await pacer.takeRead(account);
    const { grantAtMs } = await pacer.takeWrite(account);
    await pacer.report(account, { bucket: 'write', kind: 'rate_limited', grantAtMs: grantAtMs ?? NOW, retryAfterSeconds: 5 });
    await pacer.report(account, { bucket: 'read', kind: 'rate_limited', retryAfterSeconds: null });
    await pacer.view(TENANT, ACCOUNT, LIMIT);

    const grants = TENANT_ITEM_GRANTS['tenants:pacing'];
    const requests = [
      ...ddb.commandCalls(GetCommand).map((c) => ({ action: 'GetItem' as const, pk: String(c.args[0].input.Key!.pk) })),
      ...ddb.commandCalls(PutCommand).map((c) => ({ action: 'PutItem' as const, pk: String(c.args[0].input.Item!.pk) })),
    ];
    expect(new Set(requests.map((r) => r.pk))).toEqual(new Set([ACCT_PK, APP_PK]));
    for (const request of requests) {
      expect(
        grants.some((g) => g.actions.includes(request.action) && g.leadingKeys.some((p) => matchesLeadingKey(p, request.pk))),
        JSON.stringify(request),
      ).toBe(true);
    }
  });
});

describe('the one-step calls of the earlier port', () => {
  it('acquire admits and takes; penalize reports a 429 on the latest create', async () => {
    backWithTable();
    await expect(pacer.acquire(TENANT, ACCOUNT, LIMIT)).resolves.toMatchObject({ granted: true, grantAtMs: NOW + 1 });
    await pacer.penalize(TENANT, ACCOUNT, LIMIT);
    expect(items.get(ACCT_PK)).toMatchObject({ recent: [[NOW + 1, 1]] });
  });
});
