import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand, type GetCommandInput, type PutCommandInput } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { DynamoPacer } from '../../../lambdas/adapters/dynamo-pacer.ts';
import { bucketParams } from '../../../lambdas/domain/token-bucket.ts';
import { fixedClock } from '../../../lambdas/domain/clock.ts';
import { ACCOUNT, T0, TENANT } from '../builders.ts';

/**
 * Limit 61/min ⇒ capacity 1, refill 1 token/s (one slot per 1000 ms); the app bucket at 11/s refills
 * 10 tokens/s (one slot per 100 ms). See lambdas/domain/token-bucket.ts.
 */
const LIMIT = 61;
const NOW = Date.parse(T0);
const TABLE = 'tenants-table';
const ACCT_PK = `PACING#${TENANT}#${ACCOUNT}`;
const APP_PK = 'PACING#app';
const key = (pk: string) => ({ pk, sk: 'BUCKET' });

const client = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'eu-west-1' }));
const ddb = mockClient(client);
const ccf = () => new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} });
let clock: ReturnType<typeof fixedClock>;
let pacer: DynamoPacer;

/** The bucket items, behind the mock: gets read them, puts honour the two conditions the pacer writes. */
const items = new Map<string, Record<string, unknown>>();
function seed(pk: string, fields: Record<string, number>) {
  items.set(pk, { ...key(pk), ...fields });
}
function backWithTable() {
  ddb.on(GetCommand).callsFake(async (input: GetCommandInput) => {
    const item = items.get(String(input.Key!['pk']));
    return item ? { Item: { ...item } } : {};
  });
  ddb.on(PutCommand).callsFake(async (input: PutCommandInput) => {
    const pk = String(input.Item!['pk']);
    const current = items.get(pk);
    if (input.ConditionExpression === 'attribute_not_exists(pk)') {
      if (current) throw ccf();
    } else if (input.ConditionExpression === 'updated_at_ms = :v') {
      if (current?.['updated_at_ms'] !== input.ExpressionAttributeValues?.[':v']) throw ccf();
    } else throw new Error(`unexpected condition ${input.ConditionExpression}`);
    items.set(pk, { ...input.Item });
    return {};
  });
}
const gets = () => ddb.commandCalls(GetCommand).map((c) => c.args[0].input.Key!['pk']);
const puts = () => ddb.commandCalls(PutCommand).map((c) => c.args[0].input);

beforeEach(() => {
  ddb.reset();
  items.clear();
  clock = fixedClock(T0);
  // One token per second for the account, so slot arithmetic reads plainly (the sizing is token-bucket.ts's).
  pacer = new DynamoPacer(client, TABLE, clock, 11, (limit) => (limit === LIMIT ? { capacity: 1, refillPerSecond: 1 } : bucketParams(limit)));
});
afterAll(() => ddb.restore());

describe('DynamoPacer.acquire: taking a token', () => {
  it('writes the first take on an empty bucket with attribute_not_exists(pk), then takes from the app bucket', async () => {
    backWithTable();

    await expect(pacer.acquire(TENANT, ACCOUNT, LIMIT)).resolves.toEqual({ granted: true, waitMs: 0 });

    expect(ddb.commandCalls(GetCommand)[0]!.args[0].input).toEqual({ TableName: TABLE, Key: key(ACCT_PK), ConsistentRead: true });
    expect(puts()[0]).toEqual({ TableName: TABLE, Item: { ...key(ACCT_PK), tokens: 0, updated_at_ms: NOW + 1 }, ConditionExpression: 'attribute_not_exists(pk)' });
    expect(gets()).toEqual([ACCT_PK, APP_PK]);
    expect(puts().map((p) => p.Item!['pk'])).toEqual([ACCT_PK, APP_PK]);
  });

  it('conditions a later take on the updated_at_ms it read', async () => {
    backWithTable();
    seed(ACCT_PK, { tokens: 0, updated_at_ms: NOW - 1000 });

    await expect(pacer.acquire(TENANT, ACCOUNT, LIMIT)).resolves.toEqual({ granted: true, waitMs: 0 });

    expect(puts()[0]).toEqual({
      TableName: TABLE,
      Item: { ...key(ACCT_PK), tokens: 0, updated_at_ms: NOW },
      ConditionExpression: 'updated_at_ms = :v',
      ExpressionAttributeValues: { ':v': NOW - 1000 },
    });
  });

  it('reads again and retries after losing a race (ConditionalCheckFailedException)', async () => {
    ddb.on(GetCommand).resolves({});
    ddb.on(PutCommand).rejectsOnce(ccf()).resolves({});

    await expect(pacer.acquire(TENANT, ACCOUNT, LIMIT)).resolves.toEqual({ granted: true, waitMs: 0 });
    expect(gets()).toEqual([ACCT_PK, ACCT_PK, APP_PK]);
  });

  it('after five lost races answers a short wait without a slot and never reads the app bucket', async () => {
    ddb.on(GetCommand).resolves({});
    ddb.on(PutCommand).rejects(ccf());

    await expect(pacer.acquire(TENANT, ACCOUNT, LIMIT)).resolves.toEqual({ granted: false, waitMs: 250 });
    expect(gets()).toEqual(Array(5).fill(ACCT_PK));
  });

  it('lets any other DynamoDB error propagate', async () => {
    ddb.on(GetCommand).resolves({});
    ddb.on(PutCommand).rejects(new Error('ProvisionedThroughputExceededException'));

    await expect(pacer.acquire(TENANT, ACCOUNT, LIMIT)).rejects.toThrow('ProvisionedThroughputExceededException');
  });
});

describe('DynamoPacer.acquire: reserved slots', () => {
  it.each([
    ['no earlier reservation', undefined, 1000],
    ['an earlier reservation already passed', NOW - 5000, 1000],
    ['an earlier reservation ahead', NOW + 3000, 4000], // one interval behind it
  ])('without a token reserves the next slot (%s)', async (_what, previousSlot, waitMs) => {
    backWithTable();
    seed(ACCT_PK, { tokens: 0, updated_at_ms: NOW, ...(previousSlot !== undefined ? { next_slot_ms: previousSlot } : {}) });

    await expect(pacer.acquire(TENANT, ACCOUNT, LIMIT)).resolves.toEqual({ granted: false, waitMs, slotMs: NOW + waitMs });

    expect(puts()).toEqual([
      {
        TableName: TABLE,
        Item: { ...key(ACCT_PK), tokens: 0, updated_at_ms: NOW + 1, next_slot_ms: NOW + waitMs },
        ConditionExpression: 'updated_at_ms = :v',
        ExpressionAttributeValues: { ':v': NOW },
      },
    ]);
    expect(gets()).toEqual([ACCT_PK]); // the app bucket only after the account's grant
  });

  it('hands waiting jobs distinct slots one interval apart', async () => {
    backWithTable();
    seed(ACCT_PK, { tokens: 0, updated_at_ms: NOW });

    const slots = [];
    for (let i = 0; i < 3; i++) slots.push((await pacer.acquire(TENANT, ACCOUNT, LIMIT)).slotMs);

    expect(slots).toEqual([NOW + 1000, NOW + 2000, NOW + 3000]);
  });

  it('refuses a job without a reservation while a reserved slot is ahead, even with a token in the bucket', async () => {
    backWithTable();
    seed(ACCT_PK, { tokens: 1, updated_at_ms: NOW - 10_000, next_slot_ms: NOW + 3000 });

    await expect(pacer.acquire(TENANT, ACCOUNT, LIMIT)).resolves.toEqual({ granted: false, waitMs: 4000, slotMs: NOW + 4000 });
    expect(items.get(ACCT_PK)).toMatchObject({ tokens: 1, next_slot_ms: NOW + 4000 }); // the token stays for the slot holder
  });

  it.each([
    ['due now', NOW],
    ['a second early (SQS delays are whole seconds)', NOW + 1000],
    ['late', NOW - 2000],
  ])('lets the job whose reserved slot is %s take the token', async (_what, slotMs) => {
    backWithTable();
    seed(ACCT_PK, { tokens: 1, updated_at_ms: NOW - 10_000, next_slot_ms: NOW + 1000 });

    await expect(pacer.acquire(TENANT, ACCOUNT, LIMIT, slotMs)).resolves.toEqual({ granted: true, waitMs: 0 });
    expect(items.get(ACCT_PK)).toMatchObject({ tokens: 0, next_slot_ms: NOW + 1000 });
    expect(gets()).toEqual([ACCT_PK, APP_PK]);
  });

  it('does not honour a reservation more than a second ahead', async () => {
    backWithTable();
    seed(ACCT_PK, { tokens: 1, updated_at_ms: NOW - 10_000, next_slot_ms: NOW + 1001 });

    await expect(pacer.acquire(TENANT, ACCOUNT, LIMIT, NOW + 1001)).resolves.toMatchObject({ granted: false });
  });

  it('a due slot whose token is a moment away: wait it out, keep the slot, write nothing', async () => {
    backWithTable();
    seed(ACCT_PK, { tokens: 0.5, updated_at_ms: NOW, next_slot_ms: NOW });

    await expect(pacer.acquire(TENANT, ACCOUNT, LIMIT, NOW)).resolves.toEqual({ granted: false, waitMs: 500, slotMs: NOW });
    expect(puts()).toEqual([]);
  });

  it('spends the account token and answers the app bucket’s wait when only the app is out of tokens', async () => {
    backWithTable();
    seed(APP_PK, { tokens: 0, updated_at_ms: NOW });

    await expect(pacer.acquire(TENANT, ACCOUNT, LIMIT)).resolves.toEqual({ granted: false, waitMs: 100 });
    expect(items.get(ACCT_PK)).toMatchObject({ tokens: 0 });
  });

  // The app bucket hands out no slots (its waits are sub-second and slept out), so a waiter is never
  // starved by a later waiter's reservation: whoever asks once a token has refilled gets it.
  it('the app bucket never reserves: the first asker after a refill gets the token', async () => {
    backWithTable();
    seed(APP_PK, { tokens: 0, updated_at_ms: NOW });
    const x = await pacer.acquire(TENANT, 'acct-x', 6001);
    const y = await pacer.acquire(TENANT, 'acct-y', 6001);
    expect([x.slotMs, y.slotMs]).toEqual([undefined, undefined]);
    expect(x.granted || y.granted).toBe(false);
    expect(x.waitMs).toBeGreaterThan(0);

    clock.set(new Date(NOW + 150)); // the app bucket has refilled a token

    await expect(pacer.acquire(TENANT, 'acct-x', 6001)).resolves.toEqual({ granted: true, waitMs: 0 });
  });
});

describe('DynamoPacer.penalize and view', () => {
  it.each([
    ['an existing bucket', { tokens: 0.5, updated_at_ms: NOW - 100 }, { ConditionExpression: 'updated_at_ms = :v', ExpressionAttributeValues: { ':v': NOW - 100 } }, 0.5, NOW],
    ['an empty bucket', undefined, { ConditionExpression: 'attribute_not_exists(pk)' }, 0, NOW + 1],
  ])('halves the refill of %s (penalized_refill < base), bumping the version', async (_what, stored, condition, tokens, version) => {
    backWithTable();
    if (stored) seed(ACCT_PK, stored);

    await pacer.penalize(TENANT, ACCOUNT, LIMIT);

    expect(puts()).toEqual([{ TableName: TABLE, Item: { ...key(ACCT_PK), tokens, updated_at_ms: version, penalized_refill: 0.5, penalized_at_ms: NOW }, ...condition }]);
  });

  it('penalties compound and then slow the bucket down', async () => {
    backWithTable();
    await pacer.penalize(TENANT, ACCOUNT, LIMIT);
    await pacer.penalize(TENANT, ACCOUNT, LIMIT);

    expect(items.get(ACCT_PK)).toMatchObject({ penalized_refill: 0.25 });
    clock.advance(2000); // 1 token/s would have refilled by now; 0.25/s (plus a sliver of recovery) has not
    await expect(pacer.acquire(TENANT, ACCOUNT, LIMIT)).resolves.toMatchObject({ granted: false });
  });

  it.each([
    ['an empty bucket', undefined, { tokens: 1, next_slot_at: T0, penalized: false, refill_per_second: 1 }],
    ['a half-refilled bucket', { tokens: 0.25, updated_at_ms: NOW - 250 }, { tokens: 0.5, next_slot_at: '2026-03-01T12:00:00.500Z', penalized: false, refill_per_second: 1 }],
    ['a penalized bucket', { tokens: 0, updated_at_ms: NOW, penalized_refill: 0.5, penalized_at_ms: NOW }, { tokens: 0, next_slot_at: '2026-03-01T12:00:02.000Z', penalized: true, refill_per_second: 0.5 }],
    ['a penalty long recovered', { tokens: 1, updated_at_ms: NOW, penalized_refill: 0.5, penalized_at_ms: NOW - 20 * 60_000 }, { tokens: 1, next_slot_at: T0, penalized: false, refill_per_second: 1 }],
  ])('view() reports %s', async (_what, stored, expected) => {
    backWithTable();
    if (stored) seed(ACCT_PK, stored);

    await expect(pacer.view(TENANT, ACCOUNT, LIMIT)).resolves.toEqual({ limit: LIMIT, window_seconds: 60, capacity: 1, ...expected });
    expect(puts()).toEqual([]);
  });

  // While reserved slots wait, a new job queues behind them: view() must not report "now".
  it('view() does not report a next slot before the slots already reserved', async () => {
    backWithTable();
    seed(ACCT_PK, { tokens: 1, updated_at_ms: NOW - 10_000, next_slot_ms: NOW + 3000 });

    const view = await pacer.view(TENANT, ACCOUNT, LIMIT);

    expect(Date.parse(view.next_slot_at)).toBeGreaterThanOrEqual(NOW + 3000);
  });
});
