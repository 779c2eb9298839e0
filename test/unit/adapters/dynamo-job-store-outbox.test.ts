import { DynamoDBDocumentClient, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { toItem } from '../../../lambdas/adapters/dynamo-job-item.ts';
import { jobRecord, T0, TENANT } from '../builders.ts';
import { conditionFailed, newJobStore } from './dynamo-job-store-support.ts';

/** DynamoJobStore's side of the outbox: confirming what was dispatched, and finding jobs that still owe something. */

const ddb = mockClient(DynamoDBDocumentClient);
const store = newJobStore();

beforeEach(() => {
  ddb.reset();
});

describe('DynamoJobStore.confirmOutbox', () => {
  const KEY = { pk: `JOB#${TENANT}#job_1` };
  const NAMES = { '#outbox': 'outbox', '#pending': 'pending_enqueue_pk', '#since': 'pending_enqueue_since' };
  const done = [
    { kind: 'message', version: 3 },
    { kind: 'event', version: 3, status: 'queued', at: T0 },
  ] as const;

  it('when these are all the job owes: removes them and takes the job out of the pending index in one write', async () => {
    ddb.on(UpdateCommand).resolves({});

    await store.confirmOutbox(TENANT, 'job_1', done);

    expect(ddb).toHaveReceivedCommandTimes(UpdateCommand, 1);
    expect(ddb.commandCalls(UpdateCommand)[0]!.args[0].input).toEqual({
      TableName: 'jobs-table',
      Key: KEY,
      UpdateExpression: 'DELETE #outbox :done REMOVE #pending, #since',
      ConditionExpression: 'size(#outbox) = :n AND contains(#outbox, :e0) AND contains(#outbox, :e1)',
      ExpressionAttributeNames: NAMES,
      ExpressionAttributeValues: {
        ':done': new Set(['message 3', `event 3 queued ${T0}`]),
        ':n': 2,
        ':e0': 'message 3',
        ':e1': `event 3 queued ${T0}`,
      },
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
    });
  });

  // The job moved on: the failed condition hands back the item, so nothing is read and no write is made in vain.
  const item = (outbox: string[] | null, pending = true) => ({
    ...KEY,
    ...(outbox ? { outbox: new Set(outbox) } : {}),
    ...(pending ? { pending_enqueue_pk: 'PENDING', pending_enqueue_since: T0 } : {}),
  });
  const newer = `event 4 running ${T0}`;

  it('when more is owed (the job moved on): removes these in a second write, and stays in the index', async () => {
    ddb
      .on(UpdateCommand)
      .rejectsOnce(conditionFailed(item(['message 3', `event 3 queued ${T0}`, newer])))
      .resolvesOnce({ Attributes: item([newer]) });

    await expect(store.confirmOutbox(TENANT, 'job_1', done)).resolves.toBeUndefined();

    expect(ddb).toHaveReceivedCommandTimes(UpdateCommand, 2);
    expect(ddb.commandCalls(UpdateCommand)[1]!.args[0].input).toEqual({
      TableName: 'jobs-table',
      Key: KEY,
      UpdateExpression: 'DELETE #outbox :done',
      ConditionExpression: 'attribute_exists(#outbox)',
      ExpressionAttributeNames: { '#outbox': 'outbox' },
      ExpressionAttributeValues: { ':done': new Set(['message 3', `event 3 queued ${T0}`]) },
      ReturnValues: 'ALL_NEW',
    });
  });

  it('removes only what is still there, and leaves the index when that emptied the set; nothing there: no write', async () => {
    ddb
      .on(UpdateCommand)
      .rejectsOnce(conditionFailed(item([`event 3 queued ${T0}`])))
      .resolvesOnce({ Attributes: item(null) })
      .resolvesOnce({});
    await store.confirmOutbox(TENANT, 'job_1', done);
    const [, remove, leave] = ddb.commandCalls(UpdateCommand).map((c) => c.args[0].input);
    expect(remove?.ExpressionAttributeValues).toEqual({ ':done': new Set([`event 3 queued ${T0}`]) });
    expect(leave).toEqual({
      TableName: 'jobs-table',
      Key: KEY,
      UpdateExpression: 'REMOVE #pending, #since',
      ConditionExpression: 'attribute_exists(#pending) AND attribute_not_exists(#outbox)',
      ExpressionAttributeNames: NAMES,
    });
  });

  it('already confirmed by someone else: no further write; the job gone: none either', async () => {
    ddb
      .on(UpdateCommand)
      .rejectsOnce(conditionFailed(item([newer])))
      .rejectsOnce(conditionFailed());
    await store.confirmOutbox(TENANT, 'job_1', done);
    await store.confirmOutbox(TENANT, 'job_1', done);
    expect(ddb).toHaveReceivedCommandTimes(UpdateCommand, 2);
  });

  it('with nothing done (a job marked before outbox entries existed): only leaves the index if nothing is owed', async () => {
    ddb.on(UpdateCommand).resolves({});

    await store.confirmOutbox(TENANT, 'job_1', []);

    expect(ddb).toHaveReceivedCommandTimes(UpdateCommand, 1);
    expect(ddb).toHaveReceivedCommandWith(UpdateCommand, { UpdateExpression: 'REMOVE #pending, #since' });
  });

  it('swallows conditional failures (already confirmed, superseded, job gone) but not other errors', async () => {
    ddb.on(UpdateCommand).rejects(conditionFailed());
    await expect(store.confirmOutbox(TENANT, 'job_1', done)).resolves.toBeUndefined();

    ddb.reset();
    ddb
      .on(UpdateCommand)
      .rejectsOnce(conditionFailed(item(['message 3', newer])))
      .rejectsOnce(new Error('boom'));
    await expect(store.confirmOutbox(TENANT, 'job_1', done)).rejects.toThrow('boom');
  });
});

describe('DynamoJobStore.listPendingOutbox', () => {
  it('queries the sparse outbox index for markers older than the cut-off, with what each job owes', async () => {
    const record = jobRecord();
    const legacy = { ...toItem(jobRecord({ key: 'old' }), 30), outbox: undefined };
    ddb
      .on(QueryCommand)
      .resolves({ Items: [{ ...toItem(record, 30), outbox: new Set(['message 1', `event 1 queued ${T0}`, 'something else']) }, legacy] });

    const stale = await store.listPendingOutbox(new Date('2026-03-01T11:59:00.000Z'), 50);

    expect(stale).toEqual([
      {
        record,
        entries: [
          { kind: 'message', version: 1 },
          { kind: 'event', version: 1, status: 'queued', at: T0 },
        ],
      },
      { record: jobRecord({ key: 'old' }), entries: [] },
    ]);
    expect(ddb).toHaveReceivedCommandWith(QueryCommand, {
      IndexName: 'by_pending_enqueue',
      KeyConditionExpression: '#p = :p AND #s < :before',
      ExpressionAttributeNames: { '#p': 'pending_enqueue_pk', '#s': 'pending_enqueue_since' },
      ExpressionAttributeValues: { ':p': 'PENDING', ':before': '2026-03-01T11:59:00.000Z' },
      Limit: 50,
    });
  });
});
