import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { OPTIONAL_ATTRIBUTES, toItem } from '../../../lambdas/adapters/dynamo-job-item.ts';
import { DynamoJobStore } from '../../../lambdas/adapters/dynamo-job-store.ts';
import { InvalidCursor } from '../../../lambdas/domain/errors.ts';
import { JOB_STATUSES, transition, type JobStatus } from '../../../lambdas/domain/job.ts';
import { redispatched } from '../../../lambdas/domain/reconciliation.ts';
import { ACCOUNT, claimedRecord, jobRecord, OTHER_TENANT, T0, TENANT } from '../builders.ts';

const ddb = mockClient(DynamoDBDocumentClient);
const store = new DynamoJobStore(DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'eu-west-1' })), 'jobs-table', 30);
const conditionFailed = (Item?: Record<string, unknown>) =>
  new ConditionalCheckFailedException({
    message: 'The conditional request failed',
    $metadata: {},
    ...(Item ? { Item: marshall(Item) as never } : {}),
  });
const cursorOf = (key: unknown) => Buffer.from(JSON.stringify(key), 'utf8').toString('base64url');

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
    expect(input.Item!['outbox']).toEqual(
      new Set([...(owesMessage ? [`message ${record.version}`] : []), `event ${record.version} ${status} ${job.updated_at}`]),
    );
    if (terminal) expect(input.Item!['expires_at_epoch']).toBe(Date.parse(job.updated_at) / 1000 + 30 * 86_400);
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
    expect(toItem(claimedRecord({ startedAt: T0, leaseUntil: '2026-03-01T12:01:00.000Z' }), 30, 5)['due_at']).toBe(
      '2026-03-01T12:01:05.000Z',
    );
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

    expect(toItem(failed, 7)['expires_at_epoch']).toBe(Date.parse('2026-03-01T12:00:02Z') / 1000 + 7 * 86_400);
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
    });
  });

  it('when more is owed (the job moved on): removes these, and leaves the index only if nothing is left', async () => {
    ddb.on(UpdateCommand).rejectsOnce(conditionFailed()).resolvesOnce({}).rejectsOnce(conditionFailed());

    await expect(store.confirmOutbox(TENANT, 'job_1', done)).resolves.toBeUndefined();

    const [, remove, leave] = ddb.commandCalls(UpdateCommand).map((c) => c.args[0].input);
    expect(remove).toEqual({
      TableName: 'jobs-table',
      Key: KEY,
      UpdateExpression: 'DELETE #outbox :done',
      ConditionExpression: 'attribute_exists(#outbox)',
      ExpressionAttributeNames: { '#outbox': 'outbox' },
      ExpressionAttributeValues: { ':done': new Set(['message 3', `event 3 queued ${T0}`]) },
    });
    expect(leave).toEqual({
      TableName: 'jobs-table',
      Key: KEY,
      UpdateExpression: 'REMOVE #pending, #since',
      ConditionExpression: 'attribute_exists(#pending) AND attribute_not_exists(#outbox)',
      ExpressionAttributeNames: NAMES,
    });
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
    ddb.on(UpdateCommand).rejectsOnce(conditionFailed()).rejectsOnce(new Error('boom'));
    await expect(store.confirmOutbox(TENANT, 'job_1', done)).rejects.toThrow('boom');
  });
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
