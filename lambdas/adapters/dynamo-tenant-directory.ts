import { QueryCommand, ScanCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { AccountSummary, TenantDirectory } from '../use-cases/ports.ts';

/**
 * Listings over the tenants table (layout: lambdas/adapters/dynamo-tenant-store.ts), for operators and
 * GET /v1/stats. Read only.
 *
 * - Tenant ids: the table has no index of tenants, so this is a Scan that keeps the `TENANT#<id> / TENANT`
 *   items. The table holds tenants, API key hashes, accounts, webhook subscriptions and pacing buckets —
 *   thousands of items, not millions — so a paginated scan is a few requests, and only the admin CLI makes
 *   it (`jobs failed` without --tenant, local mode's live summary). Only `tenant_id` is projected: no key
 *   hash or token reference leaves the table.
 * - A tenant's accounts: one Query on its partition, `begins_with(sk, 'ACCOUNT#')`, in account id order.
 */
export class DynamoTenantDirectory implements TenantDirectory {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async listTenantIds(): Promise<string[]> {
    const ids: string[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const out = await this.client.send(
        new ScanCommand({
          TableName: this.tableName,
          FilterExpression: '#sk = :tenant',
          ProjectionExpression: '#tenant',
          ExpressionAttributeNames: { '#sk': 'sk', '#tenant': 'tenant_id' },
          ExpressionAttributeValues: { ':tenant': 'TENANT' },
          ...(start ? { ExclusiveStartKey: start } : {}),
        }),
      );
      for (const item of out.Items ?? []) if (typeof item.tenant_id === 'string') ids.push(item.tenant_id);
      start = out.LastEvaluatedKey;
    } while (start);
    return ids.sort();
  }

  async listAccounts(tenantId: string, limit: number): Promise<{ accounts: AccountSummary[]; more: boolean }> {
    const accounts: AccountSummary[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const out = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :account)',
          ProjectionExpression: '#account, #status, #limit',
          ExpressionAttributeNames: {
            '#pk': 'pk',
            '#sk': 'sk',
            '#account': 'account_id',
            '#status': 'connection_status',
            '#limit': 'rate_limit_per_minute',
          },
          ExpressionAttributeValues: { ':pk': `TENANT#${tenantId}`, ':account': 'ACCOUNT#' },
          // One more than asked: tells whether there are more.
          Limit: limit + 1 - accounts.length,
          ...(start ? { ExclusiveStartKey: start } : {}),
        }),
      );
      for (const item of out.Items ?? []) {
        accounts.push({
          accountId: String(item.account_id),
          connectionStatus: item.connection_status === 'reauthorization_required' ? 'reauthorization_required' : 'connected',
          rateLimitPerMinute: typeof item.rate_limit_per_minute === 'number' ? item.rate_limit_per_minute : null,
        });
      }
      start = out.LastEvaluatedKey;
    } while (start && accounts.length <= limit);
    return { accounts: accounts.slice(0, limit), more: accounts.length > limit };
  }
}
