import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, QueryCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import {
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  ListMessageMoveTasksCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SQSClient,
  StartMessageMoveTaskCommand,
} from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { toItem } from '../../../lambdas/adapters/dynamo-job-item.ts';
import { DynamoJobStore } from '../../../lambdas/adapters/dynamo-job-store.ts';
import { DynamoTenantDirectory } from '../../../lambdas/adapters/dynamo-tenant-directory.ts';
import { SqsQueueAdmin } from '../../../lambdas/adapters/sqs-queue-admin.ts';
import { jobRecord, TENANT } from '../builders.ts';

const dynamo = mockClient(DynamoDBDocumentClient);
const sqs = mockClient(SQSClient);
const doc = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'eu-west-1' }));
const jobs = new DynamoJobStore(doc, 'Jobs', 30);
const directory = new DynamoTenantDirectory(doc, 'Tenants');

const PUBLISH = 'https://sqs.eu-west-1.amazonaws.com/123456789012/Pinrelay-dev-Stateful-QueuesPublishQueue1A2B3C4D-abc.fifo';
const PUBLISH_DLQ = 'https://sqs.eu-west-1.amazonaws.com/123456789012/Pinrelay-dev-Stateful-QueuesPublishDeadLetterQueue1A2B3C4D-abc.fifo';
const arnOf = (url: string) => `arn:aws:sqs:eu-west-1:123456789012:${url.slice(url.lastIndexOf('/') + 1)}`;
const admin = () =>
  new SqsQueueAdmin(new SQSClient({ region: 'eu-west-1' }), {
    publish: { url: PUBLISH, fifo: true },
    publish_dlq: { url: PUBLISH_DLQ, fifo: true },
  });

beforeEach(() => {
  dynamo.reset();
  sqs.reset();
  sqs.on(GetQueueAttributesCommand).callsFake(async (input: { QueueUrl: string; AttributeNames: string[] }) =>
    input.AttributeNames.includes('QueueArn')
      ? { Attributes: { QueueArn: arnOf(input.QueueUrl) } }
      : {
          Attributes: {
            ApproximateNumberOfMessages: '4',
            ApproximateNumberOfMessagesNotVisible: '2',
            ApproximateNumberOfMessagesDelayed: '1',
          },
        },
  );
});

describe('DynamoJobStore.count', () => {
  it('Select COUNT on by_status, page after page', async () => {
    dynamo
      .on(QueryCommand)
      .resolvesOnce({ Count: 3, LastEvaluatedKey: { pk: 'a' } })
      .resolvesOnce({ Count: 2 });

    expect(await jobs.count(TENANT, { status: 'failed' })).toEqual({ count: 5, complete: true });

    const calls = dynamo.commandCalls(QueryCommand).map((c) => c.args[0].input);
    expect(calls[0]).toEqual({
      TableName: 'Jobs',
      IndexName: 'by_status',
      KeyConditionExpression: '#p = :p',
      ExpressionAttributeNames: { '#p': 'status_pk' },
      ExpressionAttributeValues: { ':p': `T#${TENANT}#S#failed` },
      Select: 'COUNT',
    });
    expect(calls[1]!.ExclusiveStartKey).toEqual({ pk: 'a' });
  });

  it('an account uses by_account_status; created since is a range on list_sk, changed since a filter on job.updated_at', async () => {
    dynamo.on(QueryCommand).resolves({ Count: 1 });
    await jobs.count(TENANT, {
      status: 'succeeded',
      accountId: 'main',
      createdSince: new Date('2026-03-01T00:00:00Z'),
      changedSince: new Date('2026-03-01T11:00:00Z'),
    });
    expect(dynamo.commandCalls(QueryCommand)[0]!.args[0].input).toEqual({
      TableName: 'Jobs',
      IndexName: 'by_account_status',
      KeyConditionExpression: '#p = :p AND #s >= :from',
      FilterExpression: '#job.#updated >= :changed',
      ExpressionAttributeNames: { '#p': 'account_status_pk', '#s': 'list_sk', '#job': 'job', '#updated': 'updated_at' },
      ExpressionAttributeValues: {
        ':p': `T#${TENANT}#A#main#S#succeeded`,
        ':from': '2026-03-01T00:00:00.000Z',
        ':changed': '2026-03-01T11:00:00.000Z',
      },
      Select: 'COUNT',
    });
  });

  it('stops at maxPages and says the count is incomplete', async () => {
    dynamo.on(QueryCommand).resolves({ Count: 10, LastEvaluatedKey: { pk: 'more' } });
    expect(await jobs.count(TENANT, { status: 'queued' }, { maxPages: 3 })).toEqual({ count: 30, complete: false });
    expect(dynamo.commandCalls(QueryCommand)).toHaveLength(3);
  });
});

describe('DynamoJobStore.listOverdue', () => {
  it('the due index before the cutoff, earliest first, with each due time', async () => {
    const record = jobRecord();
    dynamo.on(QueryCommand).resolves({ Items: [{ ...toItem(record, 30), due_at: '1970-01-01T00:00:00.000Z' }] });
    const listed = await jobs.listOverdue(new Date('2026-03-01T12:00:00Z'), 50);
    expect(listed).toEqual([{ record, dueAt: '1970-01-01T00:00:00.000Z' }]);
    expect(dynamo.commandCalls(QueryCommand)[0]!.args[0].input).toMatchObject({
      IndexName: 'by_due',
      KeyConditionExpression: '#p = :p AND #s < :before',
      ExpressionAttributeValues: { ':p': 'DUE', ':before': '2026-03-01T12:00:00.000Z' },
      ScanIndexForward: true,
      Limit: 50,
    });
  });
});

describe('DynamoTenantDirectory', () => {
  it('tenant ids: a scan keeping TENANT items, projecting tenant_id only, every page, sorted', async () => {
    dynamo
      .on(ScanCommand)
      .resolvesOnce({ Items: [{ tenant_id: 'ten_b' }], LastEvaluatedKey: { pk: 'x' } })
      .resolvesOnce({ Items: [{ tenant_id: 'ten_a' }] });
    expect(await directory.listTenantIds()).toEqual(['ten_a', 'ten_b']);
    expect(dynamo.commandCalls(ScanCommand)[0]!.args[0].input).toEqual({
      TableName: 'Tenants',
      FilterExpression: '#sk = :tenant',
      ProjectionExpression: '#tenant',
      ExpressionAttributeNames: { '#sk': 'sk', '#tenant': 'tenant_id' },
      ExpressionAttributeValues: { ':tenant': 'TENANT' },
    });
  });

  it("accounts: one query on the tenant's partition, account items only, one more than asked to tell whether there are more", async () => {
    dynamo.on(QueryCommand).resolves({
      Items: [
        { account_id: 'a', connection_status: 'connected', rate_limit_per_minute: 60 },
        { account_id: 'b', connection_status: 'reauthorization_required' },
        { account_id: 'c', connection_status: 'connected' },
      ],
    });
    expect(await directory.listAccounts(TENANT, 2)).toEqual({
      accounts: [
        { accountId: 'a', connectionStatus: 'connected', rateLimitPerMinute: 60 },
        { accountId: 'b', connectionStatus: 'reauthorization_required', rateLimitPerMinute: null },
      ],
      more: true,
    });
    expect(dynamo.commandCalls(QueryCommand)[0]!.args[0].input).toMatchObject({
      KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :account)',
      ExpressionAttributeValues: { ':pk': `TENANT#${TENANT}`, ':account': 'ACCOUNT#' },
      Limit: 3,
    });
  });
});

describe('SqsQueueAdmin', () => {
  it('depth: visible, in flight, delayed', async () => {
    expect(await admin().depth('publish')).toEqual({ visible: 4, in_flight: 2, delayed: 1 });
    expect(admin().configured()).toEqual(['publish', 'publish_dlq']);
  });

  it('startMoveTask: from the DLQ ARN to the source ARN', async () => {
    sqs.on(ListMessageMoveTasksCommand).resolves({ Results: [] });
    sqs.on(StartMessageMoveTaskCommand).resolves({ TaskHandle: 'h1' });
    expect(await admin().startMoveTask('publish_dlq', 'publish')).toEqual({ kind: 'started', handle: 'h1' });
    expect(sqs.commandCalls(StartMessageMoveTaskCommand)[0]!.args[0].input).toEqual({
      SourceArn: arnOf(PUBLISH_DLQ),
      DestinationArn: arnOf(PUBLISH),
    });
  });

  it('startMoveTask: a running task is followed, not started again', async () => {
    sqs.on(ListMessageMoveTasksCommand).resolves({
      Results: [{ TaskHandle: 'h0', Status: 'RUNNING', ApproximateNumberOfMessagesMoved: 3, ApproximateNumberOfMessagesToMove: 9 }],
    });
    expect(await admin().startMoveTask('publish_dlq', 'publish')).toEqual({
      kind: 'already_running',
      task: { handle: 'h0', status: 'RUNNING', moved: 3, toMove: 9, failureReason: null },
    });
    expect(sqs.commandCalls(StartMessageMoveTaskCommand)).toHaveLength(0);
  });

  it('an SQS without move tasks (InvalidAction): unsupported, and no latest task', async () => {
    const invalid = Object.assign(new Error('Unknown action: StartMessageMoveTask'), { name: 'InvalidAction' });
    sqs
      .on(ListMessageMoveTasksCommand)
      .rejects(Object.assign(new Error('Unknown action: ListMessageMoveTasks'), { name: 'InvalidAction' }));
    sqs.on(StartMessageMoveTaskCommand).rejects(invalid);
    expect(await admin().latestMoveTask('publish_dlq')).toBeNull();
    expect(await admin().startMoveTask('publish_dlq', 'publish')).toEqual({
      kind: 'unsupported',
      reason: 'Unknown action: StartMessageMoveTask',
    });
  });

  it('other errors are not taken for "unsupported"', async () => {
    sqs.on(ListMessageMoveTasksCommand).resolves({ Results: [] });
    sqs.on(StartMessageMoveTaskCommand).rejects(Object.assign(new Error('not a DLQ'), { name: 'UnsupportedOperation' }));
    await expect(admin().startMoveTask('publish_dlq', 'publish')).rejects.toThrow('not a DLQ');
  });

  it('moveByHand: same body and attributes, FIFO group kept, the dead-lettered message id as deduplication id; deleted once sent; a message seen twice is not sent twice', async () => {
    sqs
      .on(ReceiveMessageCommand)
      .resolvesOnce({
        Messages: [
          {
            MessageId: 'm1',
            ReceiptHandle: 'r1',
            Body: '{"job_id":"a"}',
            Attributes: { MessageGroupId: 'ten#main', MessageDeduplicationId: 'job_a-v1' },
          },
          {
            MessageId: 'm2',
            ReceiptHandle: 'r2',
            Body: '{"job_id":"b"}',
            Attributes: { MessageGroupId: 'ten#other' },
            MessageAttributes: { k: { DataType: 'String', StringValue: 'v' } },
          },
        ],
      })
      .resolvesOnce({ Messages: [{ MessageId: 'm1', ReceiptHandle: 'r1b', Body: '{"job_id":"a"}' }] })
      .resolves({ Messages: [] });
    sqs.on(SendMessageBatchCommand).resolves({
      Successful: [
        { Id: '0', MessageId: 'n1', MD5OfMessageBody: '' },
        { Id: '1', MessageId: 'n2', MD5OfMessageBody: '' },
      ],
      Failed: [],
    });
    sqs.on(DeleteMessageBatchCommand).resolves({ Successful: [{ Id: '0' }], Failed: [{ Id: '1', Code: 'x', SenderFault: false }] });
    const batches: string[] = [];

    const result = await admin().moveByHand('publish_dlq', 'publish', (moved, failed) => batches.push(`${moved}/${failed}`));

    expect(result).toEqual({ moved: 2, failed: 0, notDeleted: 1 });
    expect(sqs.commandCalls(ReceiveMessageCommand)[0]!.args[0].input).toMatchObject({
      QueueUrl: PUBLISH_DLQ,
      MaxNumberOfMessages: 10,
      MessageSystemAttributeNames: ['MessageGroupId', 'MessageDeduplicationId'],
    });
    expect(sqs.commandCalls(SendMessageBatchCommand)).toHaveLength(1);
    expect(sqs.commandCalls(SendMessageBatchCommand)[0]!.args[0].input).toEqual({
      QueueUrl: PUBLISH,
      Entries: [
        { Id: '0', MessageBody: '{"job_id":"a"}', MessageGroupId: 'ten#main', MessageDeduplicationId: 'm1' },
        {
          Id: '1',
          MessageBody: '{"job_id":"b"}',
          MessageAttributes: { k: { DataType: 'String', StringValue: 'v' } },
          MessageGroupId: 'ten#other',
          MessageDeduplicationId: 'm2',
        },
      ],
    });
    expect(sqs.commandCalls(DeleteMessageBatchCommand)[0]!.args[0].input).toEqual({
      QueueUrl: PUBLISH_DLQ,
      Entries: [
        { Id: '0', ReceiptHandle: 'r1' },
        { Id: '1', ReceiptHandle: 'r2' },
      ],
    });
    expect(batches).toEqual(['2/0']);
  });

  it('moveByHand: a message SQS refuses to take stays in the DLQ (failed), and is not deleted', async () => {
    sqs
      .on(ReceiveMessageCommand)
      .resolvesOnce({ Messages: [{ MessageId: 'm1', ReceiptHandle: 'r1', Body: 'x', Attributes: { MessageGroupId: 'g' } }] })
      .resolves({ Messages: [] });
    sqs.on(SendMessageBatchCommand).resolves({ Successful: [], Failed: [{ Id: '0', Code: 'InvalidParameterValue', SenderFault: true }] });
    expect(await admin().moveByHand('publish_dlq', 'publish')).toEqual({ moved: 0, failed: 1, notDeleted: 0 });
    expect(sqs.commandCalls(DeleteMessageBatchCommand)).toHaveLength(0);
  });
});
