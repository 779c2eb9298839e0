import { describe, expect, it } from 'vitest';
import {
  capacityUnitsOf,
  dynamoKind,
  dynamoResourceOf,
  operationOf,
  queueNameOf,
  RequestCounter,
  routeOf,
  sqsChunks,
} from '../../../bench/request-count.ts';

// Counted, not estimated: each request lands under its service and operation, folded by the kind of item,
// queue or route it touched, with SQS's 64 KB billing chunks and DynamoDB's reported request units.
describe('request counting', () => {
  it('reads the operation from X-Amz-Target, or the query protocol Action', () => {
    expect(operationOf('DynamoDB_20120810.PutItem', '')).toBe('PutItem');
    expect(operationOf('AmazonSQS.ReceiveMessage', '')).toBe('ReceiveMessage');
    expect(operationOf(undefined, 'Action=SendMessage&QueueUrl=x')).toBe('SendMessage');
  });

  it('tells reads from writes from the control plane', () => {
    expect(['GetItem', 'Query', 'PutItem', 'TransactWriteItems', 'DescribeTable'].map(dynamoKind)).toEqual([
      'read',
      'read',
      'write',
      'write',
      'control',
    ]);
  });

  it('folds ids away so calls on the same kind of item count together', () => {
    expect(dynamoResourceOf({ TableName: 'TenantsTable', Key: { pk: { S: 'PACING#ten_1#acct' }, sk: { S: 'BUCKET' } } })).toBe(
      'TenantsTable/PACING#/BUCKET',
    );
    expect(dynamoResourceOf({ TableName: 'cmp-JobsTable', Item: { pk: { S: 'job_abc123' } } })).toBe('JobsTable/job_');
    expect(dynamoResourceOf({ TableName: 'JobsTable', IndexName: 'by_due' })).toBe('JobsTable/by_due');
    expect(dynamoResourceOf({ TransactItems: [{}, {}] })).toBe('transaction of 2');
    expect(queueNameOf(JSON.stringify({ QueueUrl: 'http://sqs.us-east-1.localhost:1/000000000000/PublishQueue.fifo' }))).toBe(
      'PublishQueue.fifo',
    );
    expect(routeOf('/v1/jobs/job_x/cancel?x=1')).toBe('/v1/jobs/{id}/cancel');
    expect(routeOf('/v1/pins')).toBe('/v1/pins');
  });

  it('bills SQS per started 64 KB of the larger of request and answer', () => {
    expect(sqsChunks(100, 200)).toBe(1);
    expect(sqsChunks(65_536, 10)).toBe(1);
    expect(sqsChunks(65_537, 10)).toBe(2);
    expect(sqsChunks(10, 200_000)).toBe(4);
  });

  it('sums the request units of one or many tables', () => {
    expect(capacityUnitsOf({ ConsumedCapacity: { TableName: 't', CapacityUnits: 3 } })).toBe(3);
    expect(capacityUnitsOf({ ConsumedCapacity: [{ CapacityUnits: 1 }, { CapacityUnits: 2.5 }] })).toBe(3.5);
    expect(capacityUnitsOf({})).toBe(0);
  });

  it('accumulates rows by service, operation and resource, and forgets on reset', () => {
    const counter = new RequestCounter();
    counter.add({ service: 'sqs', operation: 'ReceiveMessage', resource: 'q', empty: 1, chunks: 1 });
    counter.add({ service: 'sqs', operation: 'ReceiveMessage', resource: 'q', items: 3, chunks: 1 });
    counter.add({ service: 'dynamodb', operation: 'GetItem', capacityUnits: 0.5 });
    expect(counter.snapshot()).toEqual([
      { service: 'dynamodb', operation: 'GetItem', resource: '', requests: 1, empty: 0, items: 0, chunks: 0, capacityUnits: 0.5 },
      { service: 'sqs', operation: 'ReceiveMessage', resource: 'q', requests: 2, empty: 1, items: 3, chunks: 2, capacityUnits: 0 },
    ]);
    counter.reset();
    expect(counter.snapshot()).toEqual([]);
  });
});
