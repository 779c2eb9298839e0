import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
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

  it('adds a key only if it is new or already this tenant’s and not revoked (a revoked key is never brought back)', async () => {
    ddb.on(PutCommand).resolves({});

    await store.addApiKey(key);

    expect(ddb).toHaveReceivedCommandWith(PutCommand, {
      Item: { pk: `APIKEY#${HASH}`, sk: 'APIKEY', key_id: 'key_1', tenant_id: TENANT, created_at: T0 },
      ConditionExpression: 'attribute_not_exists(pk) OR (tenant_id = :t AND attribute_not_exists(revoked_at))',
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
    const account = {
      ...accountRecord(TENANT, ACCOUNT, T0),
      token_expires_at: '2026-03-31T12:00:00.000Z',
      rate_limit_per_minute: 60,
      connectionId: 'con_0123456789abcdefghjk',
    };
    ddb.on(PutCommand).resolves({});

    // Act
    await store.putAccount(account);
    const written = ddb.commandCalls(PutCommand)[0]!.args[0].input.Item!;
    ddb.on(GetCommand, { Key: { pk: `TENANT#${TENANT}`, sk: `ACCOUNT#${ACCOUNT}` } }).resolves({ Item: written });
    const read = await store.getAccount(TENANT, ACCOUNT);

    // Assess
    expect(written).toMatchObject({
      pk: `TENANT#${TENANT}`,
      sk: `ACCOUNT#${ACCOUNT}`,
      secret_ref: account.secretRef,
      connection_id: account.connectionId,
    });
    expect(Object.keys(written).sort()).toEqual([
      'account_id',
      'connection_id',
      'connection_status',
      'created_at',
      'has_refresh_token',
      'pk',
      'rate_limit_per_minute',
      'refresh_token_expires_at',
      'secret_ref',
      'sk',
      'tenant_id',
      'token_expires_at',
      'updated_at',
    ]);
    expect(read).toEqual(account);
    expect(ddb).toHaveReceivedCommandWith(GetCommand, { ConsistentRead: true });
    await expect(store.getAccount(TENANT, 'other')).resolves.toBeNull();
  });

  it('reads a tenant', async () => {
    ddb
      .on(GetCommand, { Key: { pk: `TENANT#${TENANT}`, sk: 'TENANT' } })
      .resolves({ Item: { tenant_id: TENANT, name: 'Acme', created_at: T0 } });

    await expect(store.getTenant(TENANT)).resolves.toEqual({ tenantId: TENANT, name: 'Acme', createdAt: T0 });
    await expect(store.getTenant('ten_other')).resolves.toBeNull();
  });

  it('reads an account stored before connections had ids as connection null', async () => {
    const { connectionId: _none, ...legacy } = accountRecord(TENANT, ACCOUNT, T0);
    ddb.on(PutCommand).resolves({});
    await store.putAccount({ ...legacy, connectionId: null });
    const written = ddb.commandCalls(PutCommand)[0]!.args[0].input.Item!;
    ddb.on(GetCommand, { Key: { pk: `TENANT#${TENANT}`, sk: `ACCOUNT#${ACCOUNT}` } }).resolves({ Item: written });

    expect(written).not.toHaveProperty('connection_id');
    await expect(store.getAccount(TENANT, ACCOUNT)).resolves.toMatchObject({ connectionId: null });
  });
});

describe('DynamoTenantStore.markReauthorizationRequired', () => {
  const CONNECTION = 'con_0123456789abcdefghjk';
  const failedCheck = () => new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} });

  it('marks the account only while it still holds the connection that was judged', async () => {
    ddb.on(UpdateCommand).resolves({});

    await expect(store.markReauthorizationRequired(TENANT, ACCOUNT, T0, CONNECTION)).resolves.toBe(true);

    expect(ddb).toHaveReceivedCommandWith(UpdateCommand, {
      TableName: 'tenants-table',
      Key: { pk: `TENANT#${TENANT}`, sk: `ACCOUNT#${ACCOUNT}` },
      UpdateExpression: 'SET connection_status = :s, updated_at = :at',
      ConditionExpression: 'attribute_exists(pk) AND connection_id = :c',
      ExpressionAttributeValues: { ':s': 'reauthorization_required', ':at': T0, ':c': CONNECTION },
    });
  });

  it('for connection null (tokens stored before connections had ids), requires an account without a connection id', async () => {
    ddb.on(UpdateCommand).resolves({});

    await expect(store.markReauthorizationRequired(TENANT, ACCOUNT, T0, null)).resolves.toBe(true);

    const input = ddb.commandCalls(UpdateCommand)[0]!.args[0].input;
    expect(input.ConditionExpression).toBe('attribute_exists(pk) AND attribute_not_exists(connection_id)');
    expect(input.ExpressionAttributeValues).toEqual({ ':s': 'reauthorization_required', ':at': T0 });
  });

  it('answers false and leaves the account alone when a reconnect replaced the connection (or the account is gone)', async () => {
    ddb.on(UpdateCommand).rejects(failedCheck());

    await expect(store.markReauthorizationRequired(TENANT, ACCOUNT, T0, CONNECTION)).resolves.toBe(false);
  });

  it('propagates any other error', async () => {
    ddb.on(UpdateCommand).rejects(Object.assign(new Error('throttled'), { name: 'ProvisionedThroughputExceededException' }));

    await expect(store.markReauthorizationRequired(TENANT, ACCOUNT, T0, CONNECTION)).rejects.toThrow('throttled');
  });
});
