import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import {
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
  type DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { JOBS_TABLE } from '../../lib/definitions/tables.ts';
import type { Job } from '../api/schemas.ts';
import { isTerminal, OWES_MESSAGE, type JobRecord } from '../domain/job.ts';
import { ValidationError } from '../shared/errors.ts';
import type { CreateOutcome, JobFilter, JobPage, JobStore } from '../use-cases/ports.ts';


const PENDING_PARTITION = 'PENDING';

type Item = Record<string, unknown>;

const jobKey = (tenantId: string, jobId: string) => `JOB#${tenantId}#${jobId}`;

/** The stored item: the public job as a nested map, plus keys for each listing index and the outbox. */
export function toItem(record: JobRecord, retentionDays: number): Item {
  const { job, tenantId } = record;
  const item: Item = {
    pk: jobKey(tenantId, job.id),
    tenant_id: tenantId,
    job_id: job.id,
    status: job.status,
    version: record.version,
    body_hash: record.bodyHash,
    job,
    tenant_pk: `T#${tenantId}`,
    status_pk: `T#${tenantId}#S#${job.status}`,
    account_pk: `T#${tenantId}#A#${job.account_id}`,
    account_status_pk: `T#${tenantId}#A#${job.account_id}#S#${job.status}`,
    list_sk: `${job.created_at}#${job.id}`,
  };
  if (OWES_MESSAGE.has(job.status)) {
    item['pending_enqueue_pk'] = PENDING_PARTITION;
    item['pending_enqueue_since'] = job.updated_at;
  }
  if (job.status === 'running' && record.leaseUntil) item['lease_until'] = record.leaseUntil;
  if (record.runAfterAttempt) item['run_after_attempt'] = record.runAfterAttempt;
  if (isTerminal(job.status)) {
    item['expires_at_epoch'] = Math.floor(new Date(job.updated_at).getTime() / 1000) + retentionDays * 86_400;
  }
  return item;
}

export function fromItem(item: Item): JobRecord {
  return {
    tenantId: item['tenant_id'] as string,
    version: Number(item['version']),
    bodyHash: item['body_hash'] as string,
    job: item['job'] as Job,
    ...(item['lease_until'] ? { leaseUntil: item['lease_until'] as string } : {}),
    ...(item['run_after_attempt'] ? { runAfterAttempt: Number(item['run_after_attempt']) } : {}),
  };
}

interface IndexChoice {
  readonly indexName: string;
  readonly partitionAttribute: string;
  readonly partitionValue: string;
}

function indexFor(tenantId: string, filter: JobFilter): IndexChoice {
  const [byTenant, byStatus, byAccount, byAccountStatus] = JOBS_TABLE.globalSecondaryIndexes;
  if (filter.status && filter.accountId) {
    return {
      indexName: byAccountStatus.indexName,
      partitionAttribute: byAccountStatus.partitionKey,
      partitionValue: `T#${tenantId}#A#${filter.accountId}#S#${filter.status}`,
    };
  }
  if (filter.status) {
    return { indexName: byStatus.indexName, partitionAttribute: byStatus.partitionKey, partitionValue: `T#${tenantId}#S#${filter.status}` };
  }
  if (filter.accountId) {
    return { indexName: byAccount.indexName, partitionAttribute: byAccount.partitionKey, partitionValue: `T#${tenantId}#A#${filter.accountId}` };
  }
  return { indexName: byTenant.indexName, partitionAttribute: byTenant.partitionKey, partitionValue: `T#${tenantId}` };
}

/** Cursors are the index's LastEvaluatedKey, checked on the way back in so they cannot cross tenants or filters. */
function encodeCursor(key: Item): string {
  return Buffer.from(JSON.stringify(key), 'utf8').toString('base64url');
}

function decodeCursor(cursor: string, tenantId: string, index: IndexChoice): Item {
  const invalid = () => new ValidationError('invalid cursor', [{ path: 'cursor', message: 'not a cursor returned by this listing' }]);
  let key: unknown;
  try {
    key = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw invalid();
  }
  if (!key || typeof key !== 'object' || Array.isArray(key)) throw invalid();
  const k = key as Item;
  const names = Object.keys(k).sort();
  const expected = ['list_sk', 'pk', index.partitionAttribute].sort();
  if (names.join() !== expected.join() || !names.every((n) => typeof k[n] === 'string')) throw invalid();
  if (k[index.partitionAttribute] !== index.partitionValue) throw invalid();
  if (!(k['pk'] as string).startsWith(`JOB#${tenantId}#`)) throw invalid();
  return k;
}

export class DynamoJobStore implements JobStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly retentionDays: number,
  ) {}

  async create(record: JobRecord): Promise<CreateOutcome> {
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: toItem(record, this.retentionDays),
          ConditionExpression: 'attribute_not_exists(pk)',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return { created: true };
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException && error.Item) {
        // The SDK hands back the raw (marshalled) item; the document client does not unmarshall errors.
        return { created: false, existing: fromItem(unmarshall(error.Item as never)) };
      }
      throw error;
    }
  }

  async get(tenantId: string, jobId: string): Promise<JobRecord | null> {
    const out = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: { pk: jobKey(tenantId, jobId) }, ConsistentRead: true }),
    );
    return out.Item ? fromItem(out.Item) : null;
  }

  async list(tenantId: string, filter: JobFilter, page: { limit: number; cursor?: string }): Promise<JobPage> {
    const index = indexFor(tenantId, filter);
    const out = await this.client.send(
      new QueryCommand({
        TableName: this.tableName,
        IndexName: index.indexName,
        KeyConditionExpression: '#p = :p',
        ExpressionAttributeNames: { '#p': index.partitionAttribute },
        ExpressionAttributeValues: { ':p': index.partitionValue },
        ScanIndexForward: false,
        Limit: page.limit,
        ...(page.cursor ? { ExclusiveStartKey: decodeCursor(page.cursor, tenantId, index) } : {}),
      }),
    );
    const items = (out.Items ?? []).map(fromItem);
    const last = out.LastEvaluatedKey;
    return { items, nextCursor: last && items.length > 0 ? encodeCursor(last) : null };
  }

  async replace(next: JobRecord, expectedVersion: number): Promise<boolean> {
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: toItem(next, this.retentionDays),
          ConditionExpression: 'version = :expected',
          ExpressionAttributeValues: { ':expected': expectedVersion },
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  async markDispatched(tenantId: string, jobId: string, version: number): Promise<void> {
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: jobKey(tenantId, jobId) },
          UpdateExpression: 'REMOVE pending_enqueue_pk, pending_enqueue_since',
          // Only the version we dispatched: a newer version owes its own message.
          ConditionExpression: 'version = :v AND attribute_exists(pending_enqueue_pk)',
          ExpressionAttributeValues: { ':v': version },
        }),
      );
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return; // already confirmed, or superseded
      throw error;
    }
  }

  async listUndispatched(olderThan: Date, limit: number): Promise<readonly JobRecord[]> {
    const index = JOBS_TABLE.globalSecondaryIndexes[4];
    const out = await this.client.send(
      new QueryCommand({
        TableName: this.tableName,
        IndexName: index.indexName,
        KeyConditionExpression: '#p = :p AND #s < :before',
        ExpressionAttributeNames: { '#p': index.partitionKey, '#s': index.sortKey },
        ExpressionAttributeValues: { ':p': PENDING_PARTITION, ':before': olderThan.toISOString() },
        Limit: limit,
      }),
    );
    return (out.Items ?? []).map(fromItem);
  }
}
