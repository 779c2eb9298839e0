import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, ScanCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { DynamoTenantStore } from '../../../lambdas/adapters/dynamo-tenant-store.ts';
import { T0, TENANT } from '../builders.ts';

/**
 * The tenants table's key administration and usage-plan keys (lambdas/adapters/dynamo-tenant-store.ts): what an
 * operator reads never carries a key hash; a revocation is one conditional write that never moves an earlier
 * revocation's date nor recreates a deleted key; a tenant's usage-plan key is written once.
 */

const ddb = mockClient(DynamoDBDocumentClient);
const store = new DynamoTenantStore(DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'eu-west-1' })), 'tenants-table');
const HASH = 'b'.repeat(64);
const T1 = '2026-03-02T08:00:00.000Z';
const failedCheck = (item?: Record<string, unknown>) =>
  new ConditionalCheckFailedException({
    message: 'The conditional request failed',
    $metadata: {},
    ...(item ? { Item: marshall(item) } : {}),
  });

beforeEach(() => {
  ddb.reset();
});

describe('DynamoTenantStore: usage-plan keys', () => {
  it('writes the usage-plan key with the tenant, and reads it back', async () => {
    ddb.on(TransactWriteCommand).resolves({});
    const usageKey = { value: 'f'.repeat(48), id: 'a1b2c3d4e5' };

    await store.createTenant(
      { tenantId: TENANT, name: 'Acme', createdAt: T0, usageKey },
      { keyId: 'key_1', tenantId: TENANT, keyHash: HASH, createdAt: T0 },
    );
    const tenantItem = ddb.commandCalls(TransactWriteCommand)[0]!.args[0].input.TransactItems![0]!.Put!.Item!;
    ddb.on(GetCommand, { Key: { pk: `TENANT#${TENANT}`, sk: 'TENANT' } }).resolves({ Item: tenantItem });

    expect(tenantItem).toMatchObject({ usage_key: usageKey.value, usage_key_id: usageKey.id });
    await expect(store.getTenant(TENANT)).resolves.toEqual({ tenantId: TENANT, name: 'Acme', createdAt: T0, usageKey });
  });

  it('gives a tenant a usage-plan key only while it exists and has none', async () => {
    ddb.on(UpdateCommand).resolvesOnce({}).rejects(failedCheck());

    await expect(store.setUsageKey(TENANT, { value: 'v'.repeat(40), id: 'k1' })).resolves.toBe(true);
    await expect(store.setUsageKey(TENANT, { value: 'w'.repeat(40), id: 'k2' })).resolves.toBe(false);

    expect(ddb.commandCalls(UpdateCommand)[0]!.args[0].input).toMatchObject({
      Key: { pk: `TENANT#${TENANT}`, sk: 'TENANT' },
      UpdateExpression: 'SET usage_key = :v, usage_key_id = :id',
      ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(usage_key)',
    });
  });
});

describe('DynamoTenantStore: API keys for operators', () => {
  const keyItem = (keyId: string, extra: Record<string, unknown> = {}) => ({
    key_id: keyId,
    tenant_id: TENANT,
    created_at: T0,
    ...extra,
  });

  it("lists a tenant's keys oldest first, across scan pages, projecting ids and dates only", async () => {
    ddb
      .on(ScanCommand)
      .resolvesOnce({ Items: [keyItem('key_b', { created_at: T1, revoked_at: T1 })], LastEvaluatedKey: { pk: 'x', sk: 'y' } })
      .resolvesOnce({ Items: [], LastEvaluatedKey: { pk: 'z', sk: 'y' } })
      .resolvesOnce({ Items: [keyItem('key_a')] });

    const keys = await store.listApiKeys(TENANT);

    expect(keys).toEqual([
      { keyId: 'key_a', tenantId: TENANT, createdAt: T0, revokedAt: null },
      { keyId: 'key_b', tenantId: TENANT, createdAt: T1, revokedAt: T1 },
    ]);
    const scans = ddb.commandCalls(ScanCommand).map((c) => c.args[0].input);
    expect(scans).toHaveLength(3);
    expect(scans[1]!.ExclusiveStartKey).toEqual({ pk: 'x', sk: 'y' });
    const names = Object.values(scans[0]!.ExpressionAttributeNames!);
    expect(scans[0]!.ProjectionExpression!.split(', ').map((n) => scans[0]!.ExpressionAttributeNames![n])).toEqual([
      'key_id',
      'tenant_id',
      'created_at',
      'revoked_at',
    ]);
    expect(names).not.toContain('pk'); // the partition key holds the hash
    expect(scans[0]).toMatchObject({
      FilterExpression: '#sk = :apikey AND #tenant = :v',
      ExpressionAttributeValues: { ':apikey': 'APIKEY', ':v': TENANT },
    });
  });

  it('finds a key by id, or null', async () => {
    ddb
      .on(ScanCommand)
      .resolvesOnce({ Items: [keyItem('key_a')] })
      .resolves({ Items: [] });

    await expect(store.findApiKey('key_a')).resolves.toEqual({ keyId: 'key_a', tenantId: TENANT, createdAt: T0, revokedAt: null });
    await expect(store.findApiKey('key_zz')).resolves.toBeNull();
    expect(ddb.commandCalls(ScanCommand)[0]!.args[0].input).toMatchObject({ FilterExpression: '#sk = :apikey AND #key = :v' });
  });

  it('revokes with one conditional write on the key item: this key, not revoked before', async () => {
    ddb.on(ScanCommand).resolves({ Items: [keyItem('key_a', { pk: `APIKEY#${HASH}` })] });
    ddb.on(UpdateCommand).resolves({ Attributes: { ...keyItem('key_a', { revoked_at: T1 }), pk: `APIKEY#${HASH}`, sk: 'APIKEY' } });

    const out = await store.revokeApiKey('key_a', T1);

    expect(out).toEqual({ key: { keyId: 'key_a', tenantId: TENANT, createdAt: T0, revokedAt: T1 }, changed: true });
    expect(JSON.stringify(out)).not.toContain(HASH);
    expect(ddb).toHaveReceivedCommandWith(UpdateCommand, {
      TableName: 'tenants-table',
      Key: { pk: `APIKEY#${HASH}`, sk: 'APIKEY' },
      UpdateExpression: 'SET revoked_at = :at',
      ConditionExpression: 'key_id = :k AND attribute_not_exists(revoked_at)',
      ExpressionAttributeValues: { ':at': T1, ':k': 'key_a' },
    });
  });

  it('a key revoked before keeps its first revocation date (changed: false)', async () => {
    ddb.on(ScanCommand).resolves({ Items: [keyItem('key_a', { pk: `APIKEY#${HASH}` })] });
    ddb.on(UpdateCommand).rejects(failedCheck({ pk: `APIKEY#${HASH}`, sk: 'APIKEY', ...keyItem('key_a', { revoked_at: T0 }) }));

    await expect(store.revokeApiKey('key_a', T1)).resolves.toEqual({
      key: { keyId: 'key_a', tenantId: TENANT, createdAt: T0, revokedAt: T0 },
      changed: false,
    });
  });

  it('an unknown key is null; a key deleted meanwhile too (nothing is recreated)', async () => {
    ddb
      .on(ScanCommand)
      .resolvesOnce({ Items: [] })
      .resolves({ Items: [keyItem('key_a', { pk: `APIKEY#${HASH}` })] });
    ddb.on(UpdateCommand).rejects(failedCheck());

    await expect(store.revokeApiKey('key_zz', T1)).resolves.toBeNull();
    expect(ddb.commandCalls(UpdateCommand)).toHaveLength(0);
    await expect(store.revokeApiKey('key_a', T1)).resolves.toBeNull();
  });
});
