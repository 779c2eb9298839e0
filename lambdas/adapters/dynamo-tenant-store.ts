import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand, TransactWriteCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { AccountRecord, ApiKeyRecord, TenantRecord, TenantStore } from '../use-cases/ports.ts';

/**
 * Tenants table layout (definitions/tables.ts):
 *   TENANT#<id>  / TENANT              the tenant
 *   APIKEY#<sha> / APIKEY              an API key, by the SHA-256 of its value (the value is never stored)
 *   TENANT#<id>  / ACCOUNT#<account>   a connected Pinterest account (token *reference* only, and the
 *                                      `connection_id` of the PUT that stored the tokens; absent on
 *                                      accounts stored before connections had ids)
 */
const tenantPk = (tenantId: string) => `TENANT#${tenantId}`;

export class DynamoTenantStore implements TenantStore {
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
        // Re-registering the same key for the same tenant is a no-op; for another tenant it is refused.
        ConditionExpression: 'attribute_not_exists(pk) OR tenant_id = :t',
        ExpressionAttributeValues: { ':t': key.tenantId },
      }),
    );
  }

  async getTenant(tenantId: string): Promise<TenantRecord | null> {
    const out = await this.client.send(new GetCommand({ TableName: this.tableName, Key: { pk: tenantPk(tenantId), sk: 'TENANT' } }));
    if (!out.Item) return null;
    return { tenantId: out.Item.tenant_id, name: out.Item.name, createdAt: out.Item.created_at };
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
}
