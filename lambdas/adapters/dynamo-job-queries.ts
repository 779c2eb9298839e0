import { indexNamed, JOBS_TABLE, type IndexDefinition, type IndexName } from '../../definitions/tables.ts';
import { InvalidCursor } from '../domain/errors.ts';
import { jobKey, LISTING_PARTITION, type Item } from './dynamo-job-item.ts';
import type { JobFilter } from '../use-cases/ports.ts';

/** Which of the jobs table's indexes a query reads, by name (definitions/tables.ts), and its listing cursors. */

/** An index read in sort-key order (listings, `sort key < :before` scans): every one the adapter queries. */
export interface SortedIndex extends IndexDefinition {
  readonly sortKey: string;
}

/** The index by name, checked for a sort key once, when the module loads. */
function sortedIndex(indexName: IndexName<typeof JOBS_TABLE>): SortedIndex {
  const index = indexNamed(JOBS_TABLE, indexName);
  const { sortKey } = index;
  if (!sortKey) throw new Error(`${indexName} has no sort key: the adapter reads it in sort-key order`);
  return { ...index, sortKey };
}

export const BY_TENANT = sortedIndex('by_tenant');
export const BY_STATUS = sortedIndex('by_status');
export const BY_ACCOUNT = sortedIndex('by_account');
export const BY_ACCOUNT_STATUS = sortedIndex('by_account_status');
export const BY_PENDING_ENQUEUE = sortedIndex('by_pending_enqueue');
export const BY_DUE = sortedIndex('by_due');

/** A listing index and the one partition of it a query reads; every listing index sorts by `list_sk` (created_at#id). */
export interface IndexChoice {
  readonly indexName: string;
  readonly partitionAttribute: string;
  readonly partitionValue: string;
  readonly sortAttribute: string;
}

/** The listing index for a tenant's jobs, narrowed by status and/or account. */
export function indexFor(tenantId: string, filter: JobFilter): IndexChoice {
  const choose = (index: SortedIndex, partitionValue: string): IndexChoice => ({
    indexName: index.indexName,
    partitionAttribute: index.partitionKey,
    partitionValue,
    sortAttribute: index.sortKey,
  });
  if (filter.status && filter.accountId)
    return choose(BY_ACCOUNT_STATUS, LISTING_PARTITION.accountStatus(tenantId, filter.accountId, filter.status));
  if (filter.status) return choose(BY_STATUS, LISTING_PARTITION.status(tenantId, filter.status));
  if (filter.accountId) return choose(BY_ACCOUNT, LISTING_PARTITION.account(tenantId, filter.accountId));
  return choose(BY_TENANT, LISTING_PARTITION.tenant(tenantId));
}

/** Cursors are the index's LastEvaluatedKey, checked on the way back in so they cannot cross tenants or filters. */
export function encodeCursor(key: Item): string {
  return Buffer.from(JSON.stringify(key), 'utf8').toString('base64url');
}

/** Every listing index's sort key, as toItem writes it: `created_at#job_id`, created_at from toISOString. */
const LISTED_AT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z#(job_[0-9a-z]{26})$/;

export function decodeCursor(cursor: string, tenantId: string, index: IndexChoice): Item {
  let key: unknown;
  try {
    key = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw new InvalidCursor();
  }
  if (!key || typeof key !== 'object' || Array.isArray(key)) throw new InvalidCursor();
  const k = key as Item;
  const names = Object.keys(k).sort();
  const expected = [index.sortAttribute, JOBS_TABLE.key.partitionKey, index.partitionAttribute].sort();
  if (names.join() !== expected.join() || !names.every((n) => typeof k[n] === 'string')) throw new InvalidCursor();
  if (k[index.partitionAttribute] !== index.partitionValue) throw new InvalidCursor();
  // Only a key this listing can have handed out goes to DynamoDB: a forged one (an empty or oversize sort
  // key, a table key of another job or tenant) is the caller's mistake, not a failed query.
  const jobId = LISTED_AT.exec(k[index.sortAttribute] as string)?.[1];
  if (jobId === undefined || k[JOBS_TABLE.key.partitionKey] !== jobKey(tenantId, jobId)) throw new InvalidCursor();
  return k;
}
