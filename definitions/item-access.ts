import type { Access } from './access.ts';

/**
 * Item-level grants on the tenants table, for access kinds narrower than `tenants:read`/`tenants:write`.
 *
 * The tenants table holds very different items (lambdas/adapters/dynamo-tenant-store.ts, dynamo-pacer.ts):
 *   TENANT#<id>  / TENANT             a tenant
 *   APIKEY#<sha> / APIKEY             an API key hash: who may act as which tenant
 *   TENANT#<id>  / ACCOUNT#<account>  a connected Pinterest account
 *   PACING#<tenant>#<account> / BUCKET, PACING#app / BUCKET   token buckets
 * The publish worker needs accounts (read, mark reauthorization required) and buckets (read, write);
 * with `tenants:write` it could also read every API key hash and rewrite any tenant.
 *
 * Chosen: IAM `dynamodb:LeadingKeys` conditions on the one table, rather than moving the buckets to a
 * table of their own. A pacing table alone would not be enough: the worker still reads and updates
 * account items in the tenants table, so keeping it away from API keys and tenant items needs these
 * conditions anyway. With them the buckets can stay where they are, and local mode, provisioning and the
 * drift test need nothing new. IAM cannot condition on the sort key, so `TENANT#*` also covers the
 * tenant item of each partition: reading it is allowed (it holds a name and a date), and writes there
 * are UpdateItem limited to the account-status attributes below, never PutItem or DeleteItem.
 *
 * Local mode does not enforce IAM: test/unit/adapters/item-access.test.ts checks that the requests the
 * worker's adapters really send fit these grants (keys and attribute names).
 */

export type ItemAction = 'GetItem' | 'PutItem' | 'UpdateItem';

export interface ItemGrant {
  readonly actions: readonly ItemAction[];
  /** `dynamodb:LeadingKeys` patterns (IAM StringLike): the partition keys a request may touch. */
  readonly leadingKeys: readonly string[];
  /** `dynamodb:Attributes`: the only top-level attributes a request may name (keys included); absent = any. */
  readonly attributes?: readonly string[];
}

export type ItemScopedAccess = Extract<Access, 'tenants:account-status' | 'tenants:pacing'>;

export const TENANT_ITEM_GRANTS: Readonly<Record<ItemScopedAccess, readonly ItemGrant[]>> = {
  'tenants:account-status': [
    // The account record (getAccount); the same partition holds the tenant item, see above.
    { actions: ['GetItem'], leadingKeys: ['TENANT#*'] },
    // markReauthorizationRequired: SET connection_status, updated_at, conditional on the connection it judged.
    {
      actions: ['UpdateItem'],
      leadingKeys: ['TENANT#*'],
      attributes: ['pk', 'sk', 'connection_status', 'updated_at', 'connection_id'],
    },
  ],
  'tenants:pacing': [
    // Token buckets: a consistent read, then a conditional put on the bucket's version (dynamo-pacer.ts).
    { actions: ['GetItem', 'PutItem'], leadingKeys: ['PACING#*'] },
  ],
};

/** IAM StringLike on one pattern (`*` any run of characters, `?` one character). */
export function matchesLeadingKey(pattern: string, partitionKey: string): boolean {
  const regex = new RegExp(
    `^${pattern
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.')}$`,
  );
  return regex.test(partitionKey);
}
