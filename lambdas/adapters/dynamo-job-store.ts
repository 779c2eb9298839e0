import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand, QueryCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { PUBLISH_QUEUE } from '../../definitions/queues.ts';
import type { Incident, JobRecord } from '../domain/job.ts';
import { encodeOutboxEntry, type OutboxEntry } from '../domain/outbox.ts';
import type {
  CreateOutcome,
  JobCount,
  JobCountQuery,
  JobFilter,
  JobPage,
  JobStore,
  OverdueJob,
  PendingOutbox,
} from '../use-cases/ports.ts';
import {
  DUE_PARTITION,
  fromItem,
  jobKey,
  OPTIONAL_ATTRIBUTES,
  OUTBOX,
  outboxOf,
  PENDING_PARTITION,
  PENDING_PK,
  PENDING_SINCE,
  toItem,
  type Item,
} from './dynamo-job-item.ts';
import { BY_DUE, BY_PENDING_ENQUEUE, decodeCursor, encodeCursor, indexFor } from './dynamo-job-queries.ts';

/**
 * The jobs table (definitions/tables.ts JOBS_TABLE) behind the JobStore port, and the operators' counts
 * and overdue listing. How a job is stored is lambdas/adapters/dynamo-job-item.ts; which index a query
 * reads, and its cursors, lambdas/adapters/dynamo-job-queries.ts.
 */
export class DynamoJobStore implements JobStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly retentionDays: number,
    /** The publish queue's visibility timeout (toItem); local mode shortens it in tests. */
    private readonly redeliverySeconds: number = PUBLISH_QUEUE.visibilityTimeoutSeconds,
  ) {}

  async create(record: JobRecord): Promise<CreateOutcome> {
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: toItem(record, this.retentionDays, this.redeliverySeconds),
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

  /**
   * The whole new record, as one UpdateItem rather than a PutItem: what older versions still owe the outbox
   * must survive the write (a job can move on before its event was published), so the new version's
   * obligations are added to the `outbox` set and the pending marker keeps its first `since`. Every other
   * attribute is set from toItem, and the optional ones it leaves out are removed: the item ends up as a
   * put of toItem would leave it, plus what is still owed.
   */
  async replace(next: JobRecord, expectedVersion: number, condition?: { readonly dueBefore: Date }): Promise<boolean> {
    const item = toItem(next, this.retentionDays, this.redeliverySeconds);
    const names: Record<string, string> = {};
    const values: Record<string, unknown> = {};
    const set: string[] = [];
    for (const [attribute, value] of Object.entries(item)) {
      if (attribute === 'pk' || attribute === OUTBOX) continue;
      names[`#${attribute}`] = attribute;
      values[`:${attribute}`] = value;
      set.push(
        attribute === PENDING_SINCE ? `#${attribute} = if_not_exists(#${attribute}, :${attribute})` : `#${attribute} = :${attribute}`,
      );
    }
    const remove = OPTIONAL_ATTRIBUTES.filter((attribute) => !(attribute in item));
    for (const attribute of remove) names[`#${attribute}`] = attribute;
    if (item[OUTBOX]) {
      names[`#${OUTBOX}`] = OUTBOX;
      values[`:${OUTBOX}`] = item[OUTBOX];
    }
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: item.pk },
          UpdateExpression:
            `SET ${set.join(', ')}` +
            (remove.length > 0 ? ` REMOVE ${remove.map((a) => `#${a}`).join(', ')}` : '') +
            (item[OUTBOX] ? ` ADD #${OUTBOX} :${OUTBOX}` : ''),
          ConditionExpression: condition ? 'version = :expected AND due_at < :before' : 'version = :expected',
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: {
            ...values,
            ':expected': expectedVersion,
            ...(condition ? { ':before': condition.dueBefore.toISOString() } : {}),
          },
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  /**
   * No version condition: an entry names its version, so removing it is right whatever the job's version
   * now, and the job leaves the pending index only once its `outbox` set is gone (DynamoDB removes a set
   * whose last element is deleted). Usually one write: the entries confirmed are all the job owes. When
   * they are not (a newer version added its own), the failed condition hands back the item, so the
   * second write removes only what is there, and a third (leaving the index) is made only when that
   * emptied the set.
   */
  async confirmOutbox(tenantId: string, jobId: string, done: readonly OutboxEntry[]): Promise<void> {
    const Key = { pk: jobKey(tenantId, jobId) };
    const encoded = [...new Set(done.map(encodeOutboxEntry))];
    const leave = { '#pending': PENDING_PK, '#since': PENDING_SINCE };
    type Input = Omit<ConstructorParameters<typeof UpdateCommand>[0], 'TableName' | 'Key'>;
    /** The item after the write (undefined: the condition failed), or as the failed condition found it. */
    const conditional = async (input: Input): Promise<{ written: boolean; item: Item | undefined }> => {
      try {
        const out = await this.client.send(new UpdateCommand({ TableName: this.tableName, Key, ...input }));
        return { written: true, item: out.Attributes };
      } catch (error) {
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
        // The SDK hands back the raw (marshalled) item; the document client does not unmarshall errors.
        return { written: false, item: error.Item ? unmarshall(error.Item as never) : undefined };
      }
    };
    const leaveIndex = () =>
      conditional({
        UpdateExpression: 'REMOVE #pending, #since',
        ConditionExpression: 'attribute_exists(#pending) AND attribute_not_exists(#outbox)',
        ExpressionAttributeNames: { '#outbox': OUTBOX, ...leave },
      });
    if (encoded.length === 0) {
      await leaveIndex();
      return;
    }
    const onlyThese = await conditional({
      UpdateExpression: 'DELETE #outbox :done REMOVE #pending, #since',
      ConditionExpression: `size(#outbox) = :n AND ${encoded.map((_, i) => `contains(#outbox, :e${i})`).join(' AND ')}`,
      ExpressionAttributeNames: { '#outbox': OUTBOX, ...leave },
      ExpressionAttributeValues: {
        ':done': new Set(encoded),
        ':n': encoded.length,
        ...Object.fromEntries(encoded.map((e, i) => [`:e${i}`, e])),
      },
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
    });
    if (onlyThese.written) return;
    const current = onlyThese.item;
    if (!current) return; // the job is gone
    // More is owed, or some of these were confirmed already: remove those still there.
    const owed = new Set(outboxOf(current).map(encodeOutboxEntry));
    const present = encoded.filter((e) => owed.has(e));
    if (present.length > 0) {
      const removed = await conditional({
        UpdateExpression: 'DELETE #outbox :done',
        ConditionExpression: 'attribute_exists(#outbox)',
        ExpressionAttributeNames: { '#outbox': OUTBOX },
        ExpressionAttributeValues: { ':done': new Set(present) },
        ReturnValues: 'ALL_NEW',
      });
      // Not written: the set went meanwhile (whoever emptied it may not have seen the marker).
      if (removed.written && (!removed.item || removed.item[OUTBOX] !== undefined || removed.item[PENDING_PK] === undefined)) return;
    } else if (owed.size > 0 || current[OUTBOX] !== undefined || current[PENDING_PK] === undefined) return;
    await leaveIndex(); // the set is gone, the marker is not
  }

  async listPendingOutbox(olderThan: Date, limit: number): Promise<readonly PendingOutbox[]> {
    const index = BY_PENDING_ENQUEUE;
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
    return (out.Items ?? []).map((item) => ({ record: fromItem(item), entries: outboxOf(item) }));
  }
  async extendDue(tenantId: string, jobId: string, version: number, dueAt: Date): Promise<boolean> {
    return this.updateIfCurrent(tenantId, jobId, version, 'SET due_pk = :duePk, due_at = :due', {
      ':duePk': DUE_PARTITION,
      ':due': dueAt.toISOString(),
    });
  }

  async addIncident(tenantId: string, jobId: string, version: number, incident: Incident, dueAt?: Date): Promise<boolean> {
    return this.updateIfCurrent(
      tenantId,
      jobId,
      version,
      `SET #job.#incidents = list_append(if_not_exists(#job.#incidents, :none), :incident)${dueAt ? ', due_pk = :duePk, due_at = :due' : ''}`,
      { ':none': [], ':incident': [incident], ...(dueAt ? { ':duePk': DUE_PARTITION, ':due': dueAt.toISOString() } : {}) },
      { '#job': 'job', '#incidents': 'incidents' },
    );
  }

  async listDue(before: Date, limit: number): Promise<readonly JobRecord[]> {
    const out = await this.client.send(
      new QueryCommand({
        TableName: this.tableName,
        IndexName: BY_DUE.indexName,
        KeyConditionExpression: '#p = :p AND #s < :before',
        ExpressionAttributeNames: { '#p': BY_DUE.partitionKey, '#s': BY_DUE.sortKey },
        ExpressionAttributeValues: { ':p': DUE_PARTITION, ':before': before.toISOString() },
        ScanIndexForward: true,
        Limit: limit,
      }),
    );
    return (out.Items ?? []).map(fromItem);
  }

  /**
   * An UpdateItem on a non-terminal job at `version`, without changing the version: the outbox relay
   * ignores the change. False when the job moved on or ended meanwhile. (Conditioned on the status, not
   * on due_pk, so jobs written before the due index existed get their due time too.)
   */
  private async updateIfCurrent(
    tenantId: string,
    jobId: string,
    version: number,
    updateExpression: string,
    values: Record<string, unknown>,
    names?: Record<string, string>,
  ): Promise<boolean> {
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: jobKey(tenantId, jobId) },
          UpdateExpression: updateExpression,
          ConditionExpression: 'version = :v AND NOT (#status IN (:succeeded, :failed, :cancelled))',
          ExpressionAttributeValues: {
            ':v': version,
            ':succeeded': 'succeeded',
            ':failed': 'failed',
            ':cancelled': 'cancelled',
            ...values,
          },
          ExpressionAttributeNames: { '#status': 'status', ...names },
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  // ---- operators' queries (GET /v1/stats, the admin CLI): read only ----

  /**
   * A paginated `Select: COUNT` on the listing index the query names (by_status, or by_account_status with
   * an account): `createdSince` is a range on `list_sk` (created_at#id), `changedSince` a filter on
   * `job.updated_at` (DynamoDB still reads what the filter drops). Stops after `maxPages` pages.
   */
  async count(tenantId: string, query: JobCountQuery, options: { readonly maxPages?: number } = {}): Promise<JobCount> {
    const index = indexFor(tenantId, { status: query.status, ...(query.accountId !== undefined ? { accountId: query.accountId } : {}) });
    const maxPages = options.maxPages ?? Number.POSITIVE_INFINITY;
    const names: Record<string, string> = { '#p': index.partitionAttribute };
    const values: Record<string, unknown> = { ':p': index.partitionValue };
    let keyCondition = '#p = :p';
    if (query.createdSince) {
      names['#s'] = index.sortAttribute;
      values[':from'] = query.createdSince.toISOString();
      keyCondition += ' AND #s >= :from';
    }
    let filter: string | undefined;
    if (query.changedSince) {
      names['#job'] = 'job';
      names['#updated'] = 'updated_at';
      values[':changed'] = query.changedSince.toISOString();
      filter = '#job.#updated >= :changed';
    }
    let count = 0;
    let pages = 0;
    let start: Item | undefined;
    do {
      const out = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          IndexName: index.indexName,
          KeyConditionExpression: keyCondition,
          ...(filter ? { FilterExpression: filter } : {}),
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
          Select: 'COUNT',
          ...(start ? { ExclusiveStartKey: start } : {}),
        }),
      );
      count += out.Count ?? 0;
      pages++;
      start = out.LastEvaluatedKey;
    } while (start && pages < maxPages);
    return { count, complete: start === undefined };
  }

  /** Like listDue, with each job's stored due time (a dead-lettered job's is the epoch: due at once). */
  async listOverdue(before: Date, limit: number): Promise<readonly OverdueJob[]> {
    const out = await this.client.send(
      new QueryCommand({
        TableName: this.tableName,
        IndexName: BY_DUE.indexName,
        KeyConditionExpression: '#p = :p AND #s < :before',
        ExpressionAttributeNames: { '#p': BY_DUE.partitionKey, '#s': BY_DUE.sortKey },
        ExpressionAttributeValues: { ':p': DUE_PARTITION, ':before': before.toISOString() },
        ScanIndexForward: true,
        Limit: limit,
      }),
    );
    return (out.Items ?? []).map((item) => ({ record: fromItem(item), dueAt: String(item.due_at) }));
  }
}
