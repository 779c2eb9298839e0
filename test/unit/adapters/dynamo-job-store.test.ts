import { DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { OPTIONAL_ATTRIBUTES, toItem } from '../../../lambdas/adapters/dynamo-job-item.ts';
import { JOB_STATUSES, transition, type JobStatus } from '../../../lambdas/domain/job.ts';
import { redispatched } from '../../../lambdas/domain/reconciliation.ts';
import { ACCOUNT, claimedRecord, jobRecord, OTHER_TENANT, T0, TENANT } from '../builders.ts';
import { conditionFailed, newJobStore } from './dynamo-job-store-support.ts';

/** DynamoJobStore's writes and reads of one job: create, get, replace (the outbox and the indexes: the sibling files). */

const ddb = mockClient(DynamoDBDocumentClient);
const store = newJobStore();

beforeEach(() => {
  ddb.reset();
});

describe('DynamoJobStore.create', () => {
  it.each(JOB_STATUSES)('writes one conditional put with every index key for a %s job', async (status: JobStatus) => {
    // Prepare
    const record = jobRecord({ status });
    ddb.on(PutCommand).resolves({});
    const { job } = record;
    const owesMessage = ['queued', 'scheduled', 'retry_scheduled'].includes(status);
    const terminal = ['succeeded', 'failed', 'cancelled'].includes(status);

    // Act
    const outcome = await store.create(record);

    // Assess
    expect(outcome).toEqual({ created: true });
    expect(ddb).toHaveReceivedCommandTimes(PutCommand, 1);
    const input = ddb.commandCalls(PutCommand)[0]!.args[0].input;
    expect(input).toMatchObject({
      TableName: 'jobs-table',
      ConditionExpression: 'attribute_not_exists(pk)',
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
    });
    expect(input.Item).toMatchObject({
      pk: `JOB#${TENANT}#${job.id}`,
      tenant_id: TENANT,
      job_id: job.id,
      status,
      version: record.version,
      body_hash: record.bodyHash,
      job,
      tenant_pk: `T#${TENANT}`,
      status_pk: `T#${TENANT}#S#${status}`,
      account_pk: `T#${TENANT}#A#${ACCOUNT}`,
      account_status_pk: `T#${TENANT}#A#${ACCOUNT}#S#${status}`,
      list_sk: `${job.created_at}#${job.id}`,
    });
    // Every status change owes its event; waiting statuses also their queue message.
    expect(input.Item).toMatchObject({ pending_enqueue_pk: 'PENDING', pending_enqueue_since: job.updated_at });
    expect(input.Item!.outbox).toEqual(
      new Set([...(owesMessage ? [`message ${record.version}`] : []), `event ${record.version} ${status} ${job.updated_at}`]),
    );
    if (terminal) expect(input.Item!.expires_at_epoch).toBe(Date.parse(job.updated_at) / 1000 + 30 * 86_400);
    expect('expires_at_epoch' in input.Item!).toBe(terminal);
  });

  it.each([
    ['queued', jobRecord({ status: 'queued' }), T0],
    ['scheduled', jobRecord({ status: 'scheduled' }), '2026-03-01T13:00:00.000Z'],
    ['retry_scheduled', jobRecord({ status: 'retry_scheduled' }), '2026-03-01T12:02:01.000Z'],
    ['running', claimedRecord({ startedAt: T0, leaseUntil: '2026-03-01T12:01:00.000Z' }), '2026-03-01T12:04:00.000Z'],
  ])('puts a %s job in the due index (due_pk DUE, due_at when its message should have moved it)', (_status, record, dueAt) => {
    expect(toItem(record, 30)).toMatchObject({ due_pk: 'DUE', due_at: dueAt });
  });

  it('marks a re-dispatch (a new version, the same status) as owing its message only', () => {
    const again = redispatched(jobRecord(), new Date('2026-03-01T13:00:00.000Z'), { maxRedispatches: 3 });

    expect(toItem(again, 30)).toMatchObject({
      outbox: new Set(['message 2']),
      pending_enqueue_pk: 'PENDING',
      pending_enqueue_since: '2026-03-01T13:00:00.000Z',
    });
  });

  it('uses the given redelivery window for running jobs', () => {
    expect(toItem(claimedRecord({ startedAt: T0, leaseUntil: '2026-03-01T12:01:00.000Z' }), 30, 5).due_at).toBe('2026-03-01T12:01:05.000Z');
  });

  it.each(['succeeded', 'failed', 'cancelled'] as const)('keeps a %s job out of the due index', (status) => {
    const item = toItem(jobRecord({ status }), 30);
    expect('due_pk' in item || 'due_at' in item).toBe(false);
  });

  it('reads a job stored before incidents existed with no incidents', () => {
    const record = jobRecord();
    const { incidents: _none, ...oldJob } = record.job;
    ddb.on(GetCommand).resolves({ Item: { ...toItem(record, 30), job: oldJob } });

    return expect(store.get(TENANT, record.job.id)).resolves.toEqual(record);
  });

  it('expires terminal jobs retentionDays after their last change, in whole epoch seconds', () => {
    const failed = jobRecord({ status: 'failed', now: '2026-03-01T12:00:00.750Z' }); // updated 12:00:02.750

    expect(toItem(failed, 7).expires_at_epoch).toBe(Date.parse('2026-03-01T12:00:02Z') / 1000 + 7 * 86_400);
  });

  it('returns the stored job when the key exists (marshalled Item on the exception)', async () => {
    const existing = jobRecord({ status: 'running' });
    ddb.on(PutCommand).rejects(conditionFailed(toItem(existing, 30)));

    const outcome = await store.create(jobRecord());

    expect(outcome).toEqual({ created: false, existing });
  });

  it.each([
    ['a conditional failure without Item', conditionFailed()],
    ['any other error', Object.assign(new Error('throughput exceeded'), { name: 'ProvisionedThroughputExceededException' })],
  ])('rethrows %s', async (_what, error) => {
    ddb.on(PutCommand).rejects(error);
    await expect(store.create(jobRecord())).rejects.toBe(error);
  });
});

describe('DynamoJobStore.get', () => {
  it('reads consistently by key and maps the item back', async () => {
    const record = jobRecord({ status: 'failed' });
    ddb
      .on(GetCommand)
      .resolves({})
      .on(GetCommand, { Key: { pk: `JOB#${TENANT}#${record.job.id}` } })
      .resolves({ Item: toItem(record, 30) });

    await expect(store.get(TENANT, record.job.id)).resolves.toEqual(record);
    await expect(store.get(OTHER_TENANT, record.job.id)).resolves.toBeNull();
    expect(ddb).toHaveReceivedCommandWith(GetCommand, { TableName: 'jobs-table', ConsistentRead: true });
  });
});

describe('DynamoJobStore.replace', () => {
  it('writes every attribute of the new record, adds what it owes to what is still owed, on condition that the version is unchanged', async () => {
    // Prepare
    const next = jobRecord({ status: 'cancelled' });
    const item = toItem(next, 30);
    ddb.on(UpdateCommand).resolves({});

    // Act
    await expect(store.replace(next, next.version - 1)).resolves.toBe(true);

    // Assess
    expect(ddb).toHaveReceivedCommandTimes(UpdateCommand, 1);
    expect(ddb).toHaveReceivedCommandTimes(PutCommand, 0);
    const set = [
      'tenant_id',
      'job_id',
      'status',
      'version',
      'body_hash',
      'job',
      'tenant_pk',
      'status_pk',
      'account_pk',
      'account_status_pk',
      'list_sk',
    ];
    const removed = ['due_pk', 'due_at', 'lease_until', 'run_after_attempt', 'crash_count', 'sent_pins'];
    expect(ddb.commandCalls(UpdateCommand)[0]!.args[0].input).toEqual({
      TableName: 'jobs-table',
      Key: { pk: `JOB#${TENANT}#${next.job.id}` },
      UpdateExpression:
        `SET ${set.map((a) => `#${a} = :${a}`).join(', ')}, #pending_enqueue_pk = :pending_enqueue_pk, ` +
        '#pending_enqueue_since = if_not_exists(#pending_enqueue_since, :pending_enqueue_since), #expires_at_epoch = :expires_at_epoch ' +
        `REMOVE ${removed.map((a) => `#${a}`).join(', ')} ADD #outbox :outbox`,
      ConditionExpression: 'version = :expected',
      ExpressionAttributeNames: Object.fromEntries(
        [...set, 'pending_enqueue_pk', 'pending_enqueue_since', 'expires_at_epoch', ...removed, 'outbox'].map((a) => [`#${a}`, a]),
      ),
      ExpressionAttributeValues: {
        ...Object.fromEntries([...set, 'pending_enqueue_pk', 'pending_enqueue_since', 'expires_at_epoch'].map((a) => [`:${a}`, item[a]])),
        ':outbox': new Set([`event 2 cancelled ${next.job.updated_at}`]),
        ':expected': 1,
      },
    });
  });

  it('removes the attributes the new version does not have and sets those it has (a running job: lease, sent pins, due time)', async () => {
    const queued = jobRecord();
    const running = {
      ...transition(queued, 'running', new Date('2026-03-01T12:00:01.000Z')),
      leaseUntil: '2026-03-01T12:01:01.000Z',
      sentPins: [{ board_id: '1' }],
    };
    ddb.on(UpdateCommand).resolves({});

    await store.replace(running, 1);

    const input = ddb.commandCalls(UpdateCommand)[0]!.args[0].input;
    expect(input.UpdateExpression).toMatch(/ REMOVE #run_after_attempt, #crash_count, #expires_at_epoch ADD #outbox :outbox$/);
    expect(input.ExpressionAttributeValues).toMatchObject({
      ':lease_until': '2026-03-01T12:01:01.000Z',
      ':sent_pins': [{ board_id: '1' }],
      ':due_pk': 'DUE',
      ':outbox': new Set(['event 2 running 2026-03-01T12:00:01.000Z']),
    });
  });

  it('knows every attribute toItem may leave out (or a replace would leave a stale one behind)', () => {
    const always = [
      'pk',
      'tenant_id',
      'job_id',
      'status',
      'version',
      'body_hash',
      'job',
      'tenant_pk',
      'status_pk',
      'account_pk',
      'account_status_pk',
      'list_sk',
    ];
    const outbox = ['outbox', 'pending_enqueue_pk', 'pending_enqueue_since'];
    const records = [
      ...JOB_STATUSES.map((status) => jobRecord({ status })),
      {
        ...claimedRecord({ startedAt: T0, leaseUntil: '2026-03-01T12:01:00.000Z' }),
        crashCount: 1,
        runAfterAttempt: 2,
        sentPins: [{ board_id: '1' }],
      },
      redispatched(jobRecord(), new Date('2026-03-01T13:00:00.000Z'), { maxRedispatches: 3 }),
    ];
    const written = new Set(records.flatMap((record) => Object.keys(toItem(record, 30))));

    expect([...written].filter((a) => !always.includes(a) && !outbox.includes(a)).sort()).toEqual([...OPTIONAL_ATTRIBUTES].sort());
  });

  it('with dueBefore, also on condition that the job is still due (the reconciler)', async () => {
    const next = jobRecord();
    ddb.on(UpdateCommand).resolves({});

    await expect(store.replace(next, 4, { dueBefore: new Date('2026-03-01T11:50:00.000Z') })).resolves.toBe(true);
    expect(ddb).toHaveReceivedCommandWith(UpdateCommand, {
      ConditionExpression: 'version = :expected AND due_at < :before',
      ExpressionAttributeValues: expect.objectContaining({ ':expected': 4, ':before': '2026-03-01T11:50:00.000Z' }),
    });
  });

  it('answers false when someone else changed the job first, and rethrows other errors', async () => {
    ddb.on(UpdateCommand).rejectsOnce(conditionFailed()).rejectsOnce(new Error('boom'));

    await expect(store.replace(jobRecord(), 1)).resolves.toBe(false);
    await expect(store.replace(jobRecord(), 1)).rejects.toThrow('boom');
  });
});
