import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { DynamoTenantStore } from '../../../lambdas/adapters/dynamo-tenant-store.ts';
import { ACCOUNT, T0, TENANT } from '../builders.ts';
import { accountRecord } from '../fakes.ts';

const ddb = mockClient(DynamoDBDocumentClient);
const store = new DynamoTenantStore(DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'eu-west-1' })), 'tenants-table');
const HASH = 'a'.repeat(64);
const key = { keyId: 'key_1', tenantId: TENANT, keyHash: HASH, createdAt: T0 };

beforeEach(() => {
  ddb.reset();
  ddb.on(GetCommand).resolves({});
});

describe('DynamoTenantStore', () => {
  it('creates the tenant and its key hash in one transaction, neither overwriting', async () => {
    ddb.on(TransactWriteCommand).resolves({});

    await store.createTenant({ tenantId: TENANT, name: 'Acme', createdAt: T0 }, key);

    expect(ddb).toHaveReceivedCommandTimes(TransactWriteCommand, 1);
    const items = ddb.commandCalls(TransactWriteCommand)[0]!.args[0].input.TransactItems!;
    expect(items.map((i) => i.Put)).toEqual([
      {
        TableName: 'tenants-table',
        Item: { pk: `TENANT#${TENANT}`, sk: 'TENANT', tenant_id: TENANT, name: 'Acme', created_at: T0 },
        ConditionExpression: 'attribute_not_exists(pk)',
      },
      {
        TableName: 'tenants-table',
        Item: { pk: `APIKEY#${HASH}`, sk: 'APIKEY', key_id: 'key_1', tenant_id: TENANT, created_at: T0 },
        ConditionExpression: 'attribute_not_exists(pk)',
      },
    ]);
  });

  it('adds a key only if it is new or already this tenant’s', async () => {
    ddb.on(PutCommand).resolves({});

    await store.addApiKey(key);

    expect(ddb).toHaveReceivedCommandWith(PutCommand, {
      Item: { pk: `APIKEY#${HASH}`, sk: 'APIKEY', key_id: 'key_1', tenant_id: TENANT, created_at: T0 },
      ConditionExpression: 'attribute_not_exists(pk) OR tenant_id = :t',
      ExpressionAttributeValues: { ':t': TENANT },
    });
  });

  it.each([
    ['an active key', { key_id: 'key_1', tenant_id: TENANT }, { keyId: 'key_1', tenantId: TENANT }],
    ['a revoked key', { key_id: 'key_1', tenant_id: TENANT, revoked_at: T0 }, null],
    ['no key', undefined, null],
  ])('looks up %s by hash', async (_what, item, expected) => {
    ddb.on(GetCommand, { Key: { pk: `APIKEY#${HASH}`, sk: 'APIKEY' } }).resolves({ Item: item });

    await expect(store.apiKeyByHash(HASH)).resolves.toEqual(expected);
  });

  it('stores an account with its secret reference only, and reads it back consistently', async () => {
    // Prepare
    const account = { ...accountRecord(TENANT, ACCOUNT, T0), token_expires_at: '2026-03-31T12:00:00.000Z', rate_limit_per_minute: 60 };
    ddb.on(PutCommand).resolves({});

    // Act
    await store.putAccount(account);
    const written = ddb.commandCalls(PutCommand)[0]!.args[0].input.Item!;
    ddb.on(GetCommand, { Key: { pk: `TENANT#${TENANT}`, sk: `ACCOUNT#${ACCOUNT}` } }).resolves({ Item: written });
    const read = await store.getAccount(TENANT, ACCOUNT);

    // Assess
    expect(written).toMatchObject({ pk: `TENANT#${TENANT}`, sk: `ACCOUNT#${ACCOUNT}`, secret_ref: account.secretRef });
    expect(Object.keys(written).sort()).toEqual([
      'account_id', 'connection_status', 'created_at', 'has_refresh_token', 'pk', 'rate_limit_per_minute',
      'refresh_token_expires_at', 'secret_ref', 'sk', 'tenant_id', 'token_expires_at', 'updated_at',
    ]);
    expect(read).toEqual(account);
    expect(ddb).toHaveReceivedCommandWith(GetCommand, { ConsistentRead: true });
    await expect(store.getAccount(TENANT, 'other')).resolves.toBeNull();
  });

  it('reads a tenant', async () => {
    ddb.on(GetCommand, { Key: { pk: `TENANT#${TENANT}`, sk: 'TENANT' } }).resolves({ Item: { tenant_id: TENANT, name: 'Acme', created_at: T0 } });

    await expect(store.getTenant(TENANT)).resolves.toEqual({ tenantId: TENANT, name: 'Acme', createdAt: T0 });
    await expect(store.getTenant('ten_other')).resolves.toBeNull();
  });
});
