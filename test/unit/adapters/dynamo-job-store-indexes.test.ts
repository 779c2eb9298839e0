import { DynamoDBDocumentClient, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { toItem } from '../../../lambdas/adapters/dynamo-job-item.ts';
import { InvalidCursor } from '../../../lambdas/domain/errors.ts';
import { ACCOUNT, jobRecord, OTHER_TENANT, T0, TENANT } from '../builders.ts';
import { conditionFailed, cursorOf, newJobStore } from './dynamo-job-store-support.ts';

/** DynamoJobStore's listings (tenant, status and account indexes, cursors) and the due index the reconciler reads. */

const ddb = mockClient(DynamoDBDocumentClient);
const store = newJobStore();

beforeEach(() => {
  ddb.reset();
});

describe('DynamoJobStore.list', () => {
  const record = jobRecord();
  const lastKey = (attribute: string, value: string) => ({
    pk: `JOB#${TENANT}#${record.job.id}`,
    [attribute]: value,
    list_sk: `${record.job.created_at}#${record.job.id}`,
  });

  it.each([
    [{}, 'by_tenant', 'tenant_pk', `T#${TENANT}`],
    [{ status: 'queued' }, 'by_status', 'status_pk', `T#${TENANT}#S#queued`],
    [{ accountId: ACCOUNT }, 'by_account', 'account_pk', `T#${TENANT}#A#${ACCOUNT}`],
    [{ status: 'failed', accountId: ACCOUNT }, 'by_account_status', 'account_status_pk', `T#${TENANT}#A#${ACCOUNT}#S#failed`],
  ] as const)('filter %j queries %s newest first, and its own cursor round-trips', async (filter, indexName, attribute, value) => {
    // Prepare
    ddb
      .on(QueryCommand)
      .resolvesOnce({ Items: [toItem(record, 30)], LastEvaluatedKey: lastKey(attribute, value) })
      .resolves({ Items: [] });

    // Act
    const first = await store.list(TENANT, filter, { limit: 10 });
    const second = await store.list(TENANT, filter, { limit: 10, cursor: first.nextCursor! });

    // Assess
    expect(first.items).toEqual([record]);
    expect(first.nextCursor).toEqual(expect.any(String));
    expect(second).toEqual({ items: [], nextCursor: null });
    const [one, two] = ddb.commandCalls(QueryCommand).map((c) => c.args[0].input);
    expect(one).toEqual({
      TableName: 'jobs-table',
      IndexName: indexName,
      KeyConditionExpression: '#p = :p',
      ExpressionAttributeNames: { '#p': attribute },
      ExpressionAttributeValues: { ':p': value },
      ScanIndexForward: false,
      Limit: 10,
    });
    expect(two).toEqual({ ...one, ExclusiveStartKey: lastKey(attribute, value) });
  });

  const tenantKey = { pk: `JOB#${TENANT}#job_1`, tenant_pk: `T#${TENANT}`, list_sk: '2026-03-01T12:00:00.000Z#job_1' };
  it.each([
    ['not base64 JSON', '%%%not-a-cursor%%%', {}],
    ['JSON but an array', cursorOf([tenantKey]), {}],
    ['JSON but a string', cursorOf('pk'), {}],
    ['another tenant', cursorOf({ pk: `JOB#${OTHER_TENANT}#job_1`, tenant_pk: `T#${OTHER_TENANT}`, list_sk: tenantKey.list_sk }), {}],
    ['another tenant pk behind our partition', cursorOf({ ...tenantKey, pk: `JOB#${OTHER_TENANT}#job_1` }), {}],
    ['a tenant-id prefix of ours', cursorOf({ ...tenantKey, pk: `JOB#${TENANT.slice(0, -1)}#job_1` }), {}],
    ['another filter (index)', cursorOf(tenantKey), { status: 'queued' }],
    [
      'another filter value',
      cursorOf({ pk: tenantKey.pk, status_pk: `T#${TENANT}#S#failed`, list_sk: tenantKey.list_sk }),
      { status: 'queued' },
    ],
    ['an extra key', cursorOf({ ...tenantKey, version: '1' }), {}],
    ['a missing key', cursorOf({ pk: tenantKey.pk, tenant_pk: tenantKey.tenant_pk }), {}],
    ['a non-string value', cursorOf({ ...tenantKey, list_sk: 5 }), {}],
  ] as const)('rejects a cursor with %s before querying', async (_what, cursor, filter) => {
    const attempt = store.list(TENANT, filter, { limit: 10, cursor });

    await expect(attempt).rejects.toBeInstanceOf(InvalidCursor);
    await expect(attempt).rejects.toMatchObject({ details: [{ path: 'cursor' }] });
    expect(ddb).toHaveReceivedCommandTimes(QueryCommand, 0);
  });

  it('gives no next_cursor on the last page', async () => {
    ddb.on(QueryCommand).resolves({ Items: [toItem(record, 30)] });
    await expect(store.list(TENANT, {}, { limit: 10 })).resolves.toEqual({ items: [record], nextCursor: null });
  });
});

describe('DynamoJobStore due index', () => {
  const NOT_TERMINAL = 'version = :v AND NOT (#status IN (:succeeded, :failed, :cancelled))';
  const TERMINAL_VALUES = { ':succeeded': 'succeeded', ':failed': 'failed', ':cancelled': 'cancelled' };

  it('extendDue sets due_at (and due_pk) on the non-terminal job at that version, without a new version', async () => {
    ddb.on(UpdateCommand).resolves({});

    await expect(store.extendDue(TENANT, 'job_1', 3, new Date('2026-03-01T13:00:00.000Z'))).resolves.toBe(true);

    expect(ddb).toHaveReceivedCommandWith(UpdateCommand, {
      TableName: 'jobs-table',
      Key: { pk: `JOB#${TENANT}#job_1` },
      UpdateExpression: 'SET due_pk = :duePk, due_at = :due',
      ConditionExpression: NOT_TERMINAL,
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: { ':v': 3, ...TERMINAL_VALUES, ':duePk': 'DUE', ':due': '2026-03-01T13:00:00.000Z' },
    });
  });

  it('addIncident appends to job.incidents (created if missing) and optionally sets the due time', async () => {
    ddb.on(UpdateCommand).resolves({});
    const incident = { at: T0, kind: 'message_dead_lettered' as const, queue: 'publish' as const, receive_count: 6, detail: 'd' };

    await expect(store.addIncident(TENANT, 'job_1', 2, incident, new Date(0))).resolves.toBe(true);
    await expect(store.addIncident(TENANT, 'job_1', 2, incident)).resolves.toBe(true);

    const [withDue, without] = ddb.commandCalls(UpdateCommand).map((c) => c.args[0].input);
    expect(withDue).toMatchObject({
      UpdateExpression:
        'SET #job.#incidents = list_append(if_not_exists(#job.#incidents, :none), :incident), due_pk = :duePk, due_at = :due',
      ConditionExpression: NOT_TERMINAL,
      ExpressionAttributeNames: { '#status': 'status', '#job': 'job', '#incidents': 'incidents' },
      ExpressionAttributeValues: {
        ':v': 2,
        ...TERMINAL_VALUES,
        ':none': [],
        ':incident': [incident],
        ':duePk': 'DUE',
        ':due': '1970-01-01T00:00:00.000Z',
      },
    });
    expect(without!.UpdateExpression).toBe('SET #job.#incidents = list_append(if_not_exists(#job.#incidents, :none), :incident)');
    expect(without!.ExpressionAttributeValues).not.toHaveProperty(':due');
  });

  it('both answer false when the job moved on or ended, and rethrow other errors', async () => {
    ddb.on(UpdateCommand).rejectsOnce(conditionFailed()).rejectsOnce(conditionFailed()).rejectsOnce(new Error('boom'));

    await expect(store.extendDue(TENANT, 'job_1', 3, new Date())).resolves.toBe(false);
    await expect(store.addIncident(TENANT, 'job_1', 3, { at: T0, kind: 'redispatched', detail: 'd' })).resolves.toBe(false);
    await expect(store.extendDue(TENANT, 'job_1', 3, new Date())).rejects.toThrow('boom');
  });

  it('listDue queries the due index by name, earliest first, before the cut-off', async () => {
    const record = jobRecord();
    ddb.on(QueryCommand).resolves({ Items: [toItem(record, 30)] });

    await expect(store.listDue(new Date('2026-03-01T11:50:00.000Z'), 100)).resolves.toEqual([record]);

    expect(ddb).toHaveReceivedCommandWith(QueryCommand, {
      TableName: 'jobs-table',
      IndexName: 'by_due',
      KeyConditionExpression: '#p = :p AND #s < :before',
      ExpressionAttributeNames: { '#p': 'due_pk', '#s': 'due_at' },
      ExpressionAttributeValues: { ':p': 'DUE', ':before': '2026-03-01T11:50:00.000Z' },
      ScanIndexForward: true,
      Limit: 100,
    });
  });
});
