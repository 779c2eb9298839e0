/**
 * The one description of pinrelay's DynamoDB tables. The CDK constructs build their tables from it and
 * local mode turns it into CreateTable calls, so the emulated tables cannot drift from the deployed ones
 * (test/infra/definitions-drift.test.ts compares both against the synthesized template).
 *
 * Plain data only: this file is imported by CDK code, Lambda code and local mode alike.
 */

export interface KeyDefinition {
  readonly partitionKey: string;
  readonly sortKey?: string;
}

export interface IndexDefinition extends KeyDefinition {
  readonly indexName: string;
}

export interface TableDefinition {
  /** Logical name: the CDK construct id and the local table name. */
  readonly logicalName: string;
  readonly key: KeyDefinition;
  /** Every index projects ALL attributes. */
  readonly globalSecondaryIndexes: readonly IndexDefinition[];
  /** Attribute holding the epoch-seconds expiry (DynamoDB TTL). */
  readonly timeToLiveAttribute?: string;
  /** NEW_AND_OLD_IMAGES stream feeding the job outbox. */
  readonly stream: boolean;
}

/**
 * Jobs: one item per job, keyed by tenant + job id (the job id is derived from the tenant's
 * idempotency key, so the conditional put on `pk` is the idempotency check).
 */
export const JOBS_TABLE = {
  logicalName: 'JobsTable',
  key: { partitionKey: 'pk' },
  globalSecondaryIndexes: [
    // GET /v1/jobs: newest first within a tenant, optionally narrowed by status and/or account.
    { indexName: 'by_tenant', partitionKey: 'tenant_pk', sortKey: 'list_sk' },
    { indexName: 'by_status', partitionKey: 'status_pk', sortKey: 'list_sk' },
    { indexName: 'by_account', partitionKey: 'account_pk', sortKey: 'list_sk' },
    { indexName: 'by_account_status', partitionKey: 'account_status_pk', sortKey: 'list_sk' },
    // Sparse: only jobs whose enqueue has not been confirmed yet carry these attributes (outbox sweeper).
    { indexName: 'by_pending_enqueue', partitionKey: 'pending_enqueue_pk', sortKey: 'pending_enqueue_since' },
    // Sparse: only non-terminal jobs carry these, due_at being when something should have moved the job
    // (the stranded-job reconciler, docs/adr/0009-reconciler.md).
    { indexName: 'by_due', partitionKey: 'due_pk', sortKey: 'due_at' },
  ],
  timeToLiveAttribute: 'expires_at_epoch',
  stream: true,
} as const satisfies TableDefinition;

/**
 * Control-plane data: tenants, API keys (stored as SHA-256 hashes only) and connected Pinterest accounts.
 * pk/sk layout: TENANT#<id> / TENANT, APIKEY#<sha256> / APIKEY, TENANT#<id> / ACCOUNT#<account_id>.
 */
export const TENANTS_TABLE = {
  logicalName: 'TenantsTable',
  key: { partitionKey: 'pk', sortKey: 'sk' },
  globalSecondaryIndexes: [],
  stream: false,
} as const satisfies TableDefinition;

export const TABLES: readonly TableDefinition[] = [JOBS_TABLE, TENANTS_TABLE];

/** The names of a table's indexes (for JOBS_TABLE: 'by_tenant' | 'by_status' | …). */
export type IndexName<T extends TableDefinition> = T['globalSecondaryIndexes'][number]['indexName'];

/**
 * A table's index by name: code looks indexes up by name, never by position. The compiler refuses a
 * name the table does not declare; the lookup throws for one that reaches it anyway.
 */
export function indexNamed<T extends TableDefinition>(table: T, indexName: IndexName<T>): IndexDefinition {
  const index = table.globalSecondaryIndexes.find((i) => i.indexName === indexName);
  if (!index) throw new Error(`${table.logicalName} has no index ${indexName}`);
  return index;
}

/** Every key attribute a table declares (DynamoDB wants each one in AttributeDefinitions, all strings here). */
export function keyAttributes(table: TableDefinition): string[] {
  const names = new Set<string>();
  const add = (k: KeyDefinition) => {
    names.add(k.partitionKey);
    if (k.sortKey) names.add(k.sortKey);
  };
  add(table.key);
  table.globalSecondaryIndexes.forEach(add);
  return [...names];
}
