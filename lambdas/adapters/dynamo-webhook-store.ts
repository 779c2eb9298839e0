import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, GetCommand, PutCommand, QueryCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { JobEventType } from '../../definitions/webhooks.ts';
import { newestFirst, type WebhookRecord, type WebhookResources, type WebhookStatus } from '../domain/webhook.ts';
import type { WebhookStore } from '../use-cases/ports.ts';

/**
 * Webhook subscriptions on the tenants table (definitions/tables.ts), next to the tenant's accounts:
 *   TENANT#<id> / WEBHOOK#<webhook id>   url, events, description, status, created_at, updated_at and the
 *                                        ARNs of its connection, API destination and rule (never the secret)
 * A tenant's subscriptions are one Query on its partition (`begins_with(sk, 'WEBHOOK#')`), read
 * consistently so a subscription just created or deleted counts at once.
 */
const pk = (tenantId: string) => `TENANT#${tenantId}`;
const sk = (webhookId: string) => `WEBHOOK#${webhookId}`;

type Item = Record<string, unknown>;

function toRecord(item: Item): WebhookRecord {
  const resources: WebhookResources = {
    ...(typeof item.connection_arn === 'string' ? { connectionArn: item.connection_arn } : {}),
    ...(typeof item.api_destination_arn === 'string' ? { apiDestinationArn: item.api_destination_arn } : {}),
    ...(typeof item.rule_arn === 'string' ? { ruleArn: item.rule_arn } : {}),
  };
  return {
    tenantId: item.tenant_id as string,
    id: item.webhook_id as string,
    url: item.url as string,
    events: item.events as JobEventType[],
    description: (item.description as string | undefined) ?? null,
    created_at: item.created_at as string,
    updated_at: item.updated_at as string,
    status: item.status as WebhookStatus,
    resources,
  };
}

export class DynamoWebhookStore implements WebhookStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async create(record: WebhookRecord): Promise<void> {
    await this.client.send(
      new PutCommand({
        TableName: this.tableName,
        Item: {
          pk: pk(record.tenantId),
          sk: sk(record.id),
          tenant_id: record.tenantId,
          webhook_id: record.id,
          url: record.url,
          events: [...record.events],
          ...(record.description !== null ? { description: record.description } : {}),
          status: record.status,
          created_at: record.created_at,
          updated_at: record.updated_at,
        },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
  }

  async get(tenantId: string, webhookId: string): Promise<WebhookRecord | null> {
    const out = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: { pk: pk(tenantId), sk: sk(webhookId) }, ConsistentRead: true }),
    );
    return out.Item ? toRecord(out.Item) : null;
  }

  async list(tenantId: string): Promise<WebhookRecord[]> {
    const records: WebhookRecord[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const out = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
          ExpressionAttributeValues: { ':pk': pk(tenantId), ':prefix': 'WEBHOOK#' },
          ConsistentRead: true,
          ...(start ? { ExclusiveStartKey: start } : {}),
        }),
      );
      records.push(...(out.Items ?? []).map(toRecord));
      start = out.LastEvaluatedKey;
    } while (start);
    return records.sort(newestFirst);
  }

  async activate(tenantId: string, webhookId: string, resources: WebhookResources, at: string): Promise<boolean> {
    return this.conditional(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { pk: pk(tenantId), sk: sk(webhookId) },
        UpdateExpression: 'SET #status = :active, updated_at = :at, connection_arn = :c, api_destination_arn = :d, rule_arn = :r',
        ConditionExpression: 'attribute_exists(pk) AND #status = :provisioning',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: {
          ':active': 'active',
          ':provisioning': 'provisioning',
          ':at': at,
          ':c': resources.connectionArn,
          ':d': resources.apiDestinationArn,
          ':r': resources.ruleArn,
        },
      }),
    );
  }

  async markDeleting(tenantId: string, webhookId: string, at: string): Promise<boolean> {
    return this.conditional(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { pk: pk(tenantId), sk: sk(webhookId) },
        UpdateExpression: 'SET #status = :deleting, updated_at = :at',
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':deleting': 'deleting', ':at': at },
      }),
    );
  }

  async remove(tenantId: string, webhookId: string): Promise<void> {
    await this.client.send(new DeleteCommand({ TableName: this.tableName, Key: { pk: pk(tenantId), sk: sk(webhookId) } }));
  }

  private async conditional(command: UpdateCommand): Promise<boolean> {
    try {
      await this.client.send(command);
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }
}
