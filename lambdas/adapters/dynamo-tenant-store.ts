import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import {
  GetCommand,
  PutCommand,
  ScanCommand,
  TransactWriteCommand,
  UpdateCommand,
  type DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { AccountRecord, ApiKeyAdmin, ApiKeyRecord, ApiKeySummary, TenantRecord, TenantStore, UsageKey } from '../use-cases/ports.ts';

/**
 * Tenants table layout (definitions/tables.ts):
 *   TENANT#<id>  / TENANT              the tenant; `usage_key` / `usage_key_id`: its API Gateway usage-plan key
 *                                      (a value only API Gateway and the authorizer use: with the API's key
 *                                      source AUTHORIZER, no caller can send it)
 *   APIKEY#<sha> / APIKEY              an API key, by the SHA-256 of its value (the value is never stored);
 *                                      `revoked_at` once revoked (the authorizer then refuses it)
 *   TENANT#<id>  / ACCOUNT#<account>   a connected Pinterest account (token *reference* only, and the
 *                                      `connection_id` of the PUT that stored the tokens; absent on
 *                                      accounts stored before connections had ids)
 *
 * The operator's key listings (ApiKeyAdmin) scan for APIKEY items: the table has no index by tenant or key id,
 * it holds thousands of items rather than millions, and only the admin CLI lists or revokes keys. Only ids and
 * dates are projected: a key hash never leaves the table.
 */
const tenantPk = (tenantId: string) => `TENANT#${tenantId}`;

const keySummary = (item: Record<string, unknown>): ApiKeySummary => ({
  keyId: String(item.key_id),
  tenantId: String(item.tenant_id),
  createdAt: String(item.created_at),
  revokedAt: typeof item.revoked_at === 'string' ? item.revoked_at : null,
});

export class DynamoTenantStore implements TenantStore, ApiKeyAdmin {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async createTenant(tenant: TenantRecord, key: ApiKeyRecord & { keyHash: string; createdAt: string }): Promise<void> {
    await this.client.send(
      new TransactWriteCommand({
        TransactItems: [
          {
            Put: {
              TableName: this.tableName,
              Item: {
                pk: tenantPk(tenant.tenantId),
                sk: 'TENANT',
                tenant_id: tenant.tenantId,
                name: tenant.name,
                created_at: tenant.createdAt,
                ...(tenant.usageKey ? { usage_key: tenant.usageKey.value, usage_key_id: tenant.usageKey.id } : {}),
              },
              ConditionExpression: 'attribute_not_exists(pk)',
            },
          },
          {
            Put: {
              TableName: this.tableName,
              Item: { pk: `APIKEY#${key.keyHash}`, sk: 'APIKEY', key_id: key.keyId, tenant_id: key.tenantId, created_at: key.createdAt },
              ConditionExpression: 'attribute_not_exists(pk)',
            },
          },
        ],
      }),
    );
  }

  async addApiKey(key: ApiKeyRecord & { keyHash: string; createdAt: string }): Promise<void> {
    await this.client.send(
      new PutCommand({
        TableName: this.tableName,
        Item: { pk: `APIKEY#${key.keyHash}`, sk: 'APIKEY', key_id: key.keyId, tenant_id: key.tenantId, created_at: key.createdAt },
        // Re-registering the same key for the same tenant is a no-op; for another tenant it is refused, and a
        // revoked key stays revoked (local mode's fixed LOCAL_API_KEY must not bring it back).
        ConditionExpression: 'attribute_not_exists(pk) OR (tenant_id = :t AND attribute_not_exists(revoked_at))',
        ExpressionAttributeValues: { ':t': key.tenantId },
      }),
    );
  }

  async getTenant(tenantId: string): Promise<TenantRecord | null> {
    const out = await this.client.send(new GetCommand({ TableName: this.tableName, Key: { pk: tenantPk(tenantId), sk: 'TENANT' } }));
    if (!out.Item) return null;
    const { usage_key: value, usage_key_id: id } = out.Item;
    return {
      tenantId: out.Item.tenant_id,
      name: out.Item.name,
      createdAt: out.Item.created_at,
      ...(typeof value === 'string' && typeof id === 'string' ? { usageKey: { value, id } } : {}),
    };
  }

  async apiKeyByHash(keyHash: string): Promise<ApiKeyRecord | null> {
    const out = await this.client.send(new GetCommand({ TableName: this.tableName, Key: { pk: `APIKEY#${keyHash}`, sk: 'APIKEY' } }));
    if (!out.Item || out.Item.revoked_at) return null;
    return { keyId: out.Item.key_id, tenantId: out.Item.tenant_id };
  }

  async getAccount(tenantId: string, accountId: string): Promise<AccountRecord | null> {
    const out = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: { pk: tenantPk(tenantId), sk: `ACCOUNT#${accountId}` }, ConsistentRead: true }),
    );
    if (!out.Item) return null;
    const i = out.Item;
    return {
      tenantId: i.tenant_id,
      account_id: i.account_id,
      connection_status: i.connection_status,
      token_expires_at: i.token_expires_at ?? null,
      refresh_token_expires_at: i.refresh_token_expires_at ?? null,
      has_refresh_token: Boolean(i.has_refresh_token),
      rate_limit_per_minute: i.rate_limit_per_minute ?? null,
      created_at: i.created_at,
      updated_at: i.updated_at,
      secretRef: i.secret_ref,
      connectionId: i.connection_id ?? null,
    };
  }

  async markReauthorizationRequired(tenantId: string, accountId: string, at: string, connectionId: string | null): Promise<boolean> {
    // The verdict is about one connection's tokens: a reconnect that landed since must not be undone.
    const sameConnection = connectionId === null ? 'attribute_not_exists(connection_id)' : 'connection_id = :c';
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: tenantPk(tenantId), sk: `ACCOUNT#${accountId}` },
          UpdateExpression: 'SET connection_status = :s, updated_at = :at',
          ConditionExpression: `attribute_exists(pk) AND ${sameConnection}`,
          ExpressionAttributeValues: {
            ':s': 'reauthorization_required',
            ':at': at,
            ...(connectionId === null ? {} : { ':c': connectionId }),
          },
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  async putAccount(account: AccountRecord): Promise<void> {
    await this.client.send(
      new PutCommand({
        TableName: this.tableName,
        Item: {
          pk: tenantPk(account.tenantId),
          sk: `ACCOUNT#${account.account_id}`,
          tenant_id: account.tenantId,
          account_id: account.account_id,
          connection_status: account.connection_status,
          token_expires_at: account.token_expires_at,
          refresh_token_expires_at: account.refresh_token_expires_at,
          has_refresh_token: account.has_refresh_token,
          rate_limit_per_minute: account.rate_limit_per_minute,
          created_at: account.created_at,
          updated_at: account.updated_at,
          secret_ref: account.secretRef,
          // Only ever a string: "no connection id" is the attribute's absence, which the conditional mark tests for.
          ...(account.connectionId !== null ? { connection_id: account.connectionId } : {}),
        },
      }),
    );
  }

  async listApiKeys(tenantId: string): Promise<ApiKeySummary[]> {
    const items = await this.scanApiKeys('tenant_id', tenantId);
    return items.map(keySummary).sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.keyId.localeCompare(b.keyId));
  }

  async findApiKey(keyId: string): Promise<ApiKeySummary | null> {
    const [item] = await this.scanApiKeys('key_id', keyId);
    return item ? keySummary(item) : null;
  }

  async revokeApiKey(keyId: string, at: string): Promise<{ key: ApiKeySummary; changed: boolean } | null> {
    const [item] = await this.scanApiKeys('key_id', keyId, true);
    if (!item) return null;
    try {
      const out = await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: item.pk, sk: 'APIKEY' },
          UpdateExpression: 'SET revoked_at = :at',
          // Still this key (never recreate a deleted item), and never move an earlier revocation's date.
          ConditionExpression: 'key_id = :k AND attribute_not_exists(revoked_at)',
          ExpressionAttributeValues: { ':at': at, ':k': keyId },
          ReturnValues: 'ALL_NEW',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return { key: keySummary(out.Attributes ?? {}), changed: true };
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      // The document client leaves the failed condition's item in DynamoDB's wire shape.
      const old = error.Item ? unmarshall(error.Item as never) : undefined;
      // Revoked meanwhile: report it as it is. Gone meanwhile: as unknown.
      return old?.key_id === keyId ? { key: keySummary(old), changed: false } : null;
    }
  }

  async setUsageKey(tenantId: string, usageKey: UsageKey): Promise<boolean> {
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: tenantPk(tenantId), sk: 'TENANT' },
          UpdateExpression: 'SET usage_key = :v, usage_key_id = :id',
          ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(usage_key)',
          ExpressionAttributeValues: { ':v': usageKey.value, ':id': usageKey.id },
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  /** APIKEY items whose `tenant_id` or `key_id` equals `value`; `withKey` adds the item's partition key. */
  private async scanApiKeys(by: 'tenant_id' | 'key_id', value: string, withKey = false): Promise<Record<string, unknown>[]> {
    const items: Record<string, unknown>[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const out = await this.client.send(
        new ScanCommand({
          TableName: this.tableName,
          FilterExpression: `#sk = :apikey AND ${by === 'tenant_id' ? '#tenant' : '#key'} = :v`,
          ProjectionExpression: `#key, #tenant, #created, #revoked${withKey ? ', #pk' : ''}`,
          ExpressionAttributeNames: {
            '#sk': 'sk',
            '#key': 'key_id',
            '#tenant': 'tenant_id',
            '#created': 'created_at',
            '#revoked': 'revoked_at',
            ...(withKey ? { '#pk': 'pk' } : {}),
          },
          ExpressionAttributeValues: { ':apikey': 'APIKEY', ':v': value },
          ...(start ? { ExclusiveStartKey: start } : {}),
        }),
      );
      items.push(...(out.Items ?? []));
      start = out.LastEvaluatedKey;
    } while (start);
    return items;
  }
}
