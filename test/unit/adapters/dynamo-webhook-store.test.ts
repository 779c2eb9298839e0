import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { DynamoWebhookStore } from '../../../lambdas/adapters/dynamo-webhook-store.ts';
import type { WebhookRecord } from '../../../lambdas/domain/webhook.ts';
import { matchesLeadingKey } from '../../../definitions/item-access.ts';
import { T0, TENANT } from '../builders.ts';

const ddb = mockClient(DynamoDBDocumentClient);
const client = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'eu-west-1' }));
const TABLE = 'TenantsTable';
const ID = 'whk_0123456789abcdefghjk';

const RECORD: WebhookRecord = {
  tenantId: TENANT,
  id: ID,
  url: 'https://hooks.example.com/x',
  events: ['job.succeeded', 'job.failed'],
  description: null,
  created_at: T0,
  updated_at: T0,
  status: 'provisioning',
  resources: {},
};
const ITEM = {
  pk: `TENANT#${TENANT}`,
  sk: `WEBHOOK#${ID}`,
  tenant_id: TENANT,
  webhook_id: ID,
  url: 'https://hooks.example.com/x',
  events: ['job.succeeded', 'job.failed'],
  status: 'provisioning',
  created_at: T0,
  updated_at: T0,
};
const conditionFailed = () => new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} });

beforeEach(() => {
  ddb.reset();
});

describe('DynamoWebhookStore', () => {
  it('create: one conditional put of TENANT#<t> / WEBHOOK#<id>, no secret, no null description', async () => {
    ddb.on(PutCommand).resolves({});

    await new DynamoWebhookStore(client, TABLE).create(RECORD);

    expect(ddb.commandCalls(PutCommand).map((c) => c.args[0].input)).toEqual([
      { TableName: TABLE, Item: ITEM, ConditionExpression: 'attribute_not_exists(pk)' },
    ]);
  });

  it('get: a consistent read, mapped back (resources included)', async () => {
    ddb.on(GetCommand).resolves({
      Item: { ...ITEM, status: 'active', description: 'CMS', connection_arn: 'arn:c', api_destination_arn: 'arn:d', rule_arn: 'arn:r' },
    });

    const record = await new DynamoWebhookStore(client, TABLE).get(TENANT, ID);

    expect(ddb.commandCalls(GetCommand)[0]!.args[0].input).toEqual({
      TableName: TABLE,
      Key: { pk: `TENANT#${TENANT}`, sk: `WEBHOOK#${ID}` },
      ConsistentRead: true,
    });
    expect(record).toEqual({
      ...RECORD,
      status: 'active',
      description: 'CMS',
      resources: { connectionArn: 'arn:c', apiDestinationArn: 'arn:d', ruleArn: 'arn:r' },
    });
  });

  it('list: every page of the tenant partition under WEBHOOK#, newest first', async () => {
    const older = { ...ITEM, webhook_id: 'whk_a', sk: 'WEBHOOK#whk_a', created_at: '2026-01-01T00:00:00.000Z' };
    const newer = { ...ITEM, webhook_id: 'whk_b', sk: 'WEBHOOK#whk_b', created_at: '2026-02-01T00:00:00.000Z' };
    ddb
      .on(QueryCommand)
      .resolvesOnce({ Items: [older], LastEvaluatedKey: { pk: 'x', sk: 'y' } })
      .resolvesOnce({ Items: [newer] });

    const records = await new DynamoWebhookStore(client, TABLE).list(TENANT);

    expect(records.map((r) => r.id)).toEqual(['whk_b', 'whk_a']);
    expect(ddb.commandCalls(QueryCommand).map((c) => c.args[0].input)).toEqual([
      {
        TableName: TABLE,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
        ExpressionAttributeValues: { ':pk': `TENANT#${TENANT}`, ':prefix': 'WEBHOOK#' },
        ConsistentRead: true,
      },
      {
        TableName: TABLE,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
        ExpressionAttributeValues: { ':pk': `TENANT#${TENANT}`, ':prefix': 'WEBHOOK#' },
        ConsistentRead: true,
        ExclusiveStartKey: { pk: 'x', sk: 'y' },
      },
    ]);
  });

  it('activate: only from provisioning; false when the condition fails', async () => {
    ddb.on(UpdateCommand).resolvesOnce({}).rejectsOnce(conditionFailed());
    const store = new DynamoWebhookStore(client, TABLE);
    const resources = { connectionArn: 'arn:c', apiDestinationArn: 'arn:d', ruleArn: 'arn:r' };

    expect(await store.activate(TENANT, ID, resources, T0)).toBe(true);
    expect(await store.activate(TENANT, ID, resources, T0)).toBe(false);
    expect(ddb.commandCalls(UpdateCommand)[0]!.args[0].input).toMatchObject({
      Key: { pk: `TENANT#${TENANT}`, sk: `WEBHOOK#${ID}` },
      ConditionExpression: 'attribute_exists(pk) AND #status = :provisioning',
      ExpressionAttributeValues: { ':active': 'active', ':provisioning': 'provisioning', ':c': 'arn:c', ':d': 'arn:d', ':r': 'arn:r' },
    });
  });

  it('markDeleting: only an existing item; remove: a plain delete', async () => {
    ddb.on(UpdateCommand).rejects(conditionFailed());
    ddb.on(DeleteCommand).resolves({});
    const store = new DynamoWebhookStore(client, TABLE);

    expect(await store.markDeleting(TENANT, ID, T0)).toBe(false);
    await store.remove(TENANT, ID);

    expect(ddb.commandCalls(UpdateCommand)[0]!.args[0].input).toMatchObject({
      ConditionExpression: 'attribute_exists(pk)',
      ExpressionAttributeValues: { ':deleting': 'deleting' },
    });
    expect(ddb.commandCalls(DeleteCommand)[0]!.args[0].input).toEqual({
      TableName: TABLE,
      Key: { pk: `TENANT#${TENANT}`, sk: `WEBHOOK#${ID}` },
    });
  });

  it("every request stays inside the webhook functions' grant: partition keys TENANT#* only", async () => {
    ddb.on(PutCommand).resolves({});
    ddb.on(GetCommand).resolves({});
    ddb.on(QueryCommand).resolves({ Items: [] });
    ddb.on(UpdateCommand).resolves({});
    ddb.on(DeleteCommand).resolves({});
    const store = new DynamoWebhookStore(client, TABLE);

    await store.create(RECORD);
    await store.get(TENANT, ID);
    await store.list(TENANT);
    await store.activate(TENANT, ID, {}, T0);
    await store.markDeleting(TENANT, ID, T0);
    await store.remove(TENANT, ID);

    const partitionKeys = ddb.calls().map((call) => {
      const input = call.args[0].input as {
        Item?: { pk: string };
        Key?: { pk: string };
        ExpressionAttributeValues?: Record<string, string>;
      };
      return input.Item?.pk ?? input.Key?.pk ?? input.ExpressionAttributeValues?.[':pk'];
    });
    expect(partitionKeys).toHaveLength(6);
    for (const key of partitionKeys) expect(matchesLeadingKey('TENANT#*', key!)).toBe(true);
  });
});
