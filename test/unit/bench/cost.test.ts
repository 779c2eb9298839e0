import { describe, expect, it } from 'vitest';
import { perPin } from '../../../bench/request-count-per-pin.ts';
import { memoryOf, naiveCost, pinrelayCost, PRICES, usageOf } from '../../../bench/cost.ts';
import type { RequestRow } from '../../../bench/request-count.ts';

// The cost and requests-per-pin figures are arithmetic on counted requests: reads and writes are billed in
// the request units DynamoDB reported, SQS in 64 KB chunks without the pollers' empty receives, webhooks add
// only their API-destination invocations, and Lambda invocations follow from what triggered them.
const row = (r: Partial<RequestRow> & Pick<RequestRow, 'service' | 'operation'>): RequestRow => ({
  resource: '',
  requests: 0,
  empty: 0,
  items: 0,
  chunks: 0,
  capacityUnits: 0,
  ...r,
});

const rows: RequestRow[] = [
  row({ service: 'dynamodb', operation: 'GetItem', requests: 20, capacityUnits: 10 }),
  row({ service: 'dynamodb', operation: 'UpdateItem', requests: 30, capacityUnits: 90 }),
  row({ service: 'dynamodb', operation: 'DescribeTable', requests: 5 }),
  row({ service: 'sqs', operation: 'ReceiveMessage', resource: 'PublishQueue.fifo', requests: 50, empty: 40, chunks: 50, items: 10 }),
  row({ service: 'sqs', operation: 'SendMessage', resource: 'PublishQueue.fifo', requests: 10, chunks: 12 }),
  row({ service: 'sqs', operation: 'ReceiveMessage', resource: 'DelayQueue', requests: 8, empty: 3, chunks: 8 }),
  row({ service: 'dynamodb-streams', operation: 'GetRecords', requests: 30, empty: 20, items: 40 }),
  row({ service: 'eventbridge', operation: 'PutEvents', requests: 30 }),
  row({ service: 'secretsmanager', operation: 'GetSecretValue', requests: 2 }),
  row({ service: 'api', operation: 'POST', resource: '/v1/pins', requests: 12 }),
];

describe('usage and requests per pin', () => {
  const usage = usageOf(rows, { pins: 10, busEvents: 30, apiDestinationInvocations: 31 });

  it('bills DynamoDB in the reported request units and SQS in chunks without empty receives', () => {
    expect(usage).toMatchObject({
      dynamoReadUnits: 20, // never less than one unit per request
      dynamoWriteUnits: 90,
      sqsFifoRequests: 10 + 12,
      sqsStandardRequests: 5,
      secretsManagerCalls: 2,
      apiRequests: 12,
    });
  });

  it('derives Lambda invocations from their triggers', () => {
    expect(usage.lambdaInvocations).toEqual({
      'create-pin': 12,
      'publish-pin': 10,
      'release-due-jobs': 5,
      'record-dead-letters': 0,
      'relay-outbox': 10,
    });
  });

  it('counts requests per pin against the target, the control plane and idle polling apart', () => {
    const p = perPin(rows, usage);
    expect(p).toMatchObject({ dynamodbReads: 2, dynamodbWrites: 3, sqs: 2.5, eventBridgePutEvents: 3, secretsManager: 0.2 });
    expect(p.total).toBeCloseTo(10.7);
    expect(p.notPerPin).toEqual({ emptyReceives: 4.3, streamReads: 3 });
    expect(p.top[0]).toMatchObject({ operation: 'UpdateItem', perPin: 3 });
  });
});

describe('cost per million pins', () => {
  const usage = usageOf(rows, { pins: 10, busEvents: 30, apiDestinationInvocations: 31 });

  it('prices each line at the stated list price', () => {
    const cost = pinrelayCost(usage, { webhooks: true });
    expect(cost.dynamodb).toBeCloseTo(9 * PRICES.dynamoWriteUnitPerMillion + 2 * PRICES.dynamoReadUnitPerMillion);
    expect(cost.sqs).toBeCloseTo(2.2 * PRICES.sqsFifoPerMillion + 0.5 * PRICES.sqsStandardPerMillion);
    expect(cost.eventBridgeEvents).toBeCloseTo(3 * PRICES.eventBridgeEventsPerMillion);
    expect(cost.apiDestinations).toBeCloseTo(3.1 * PRICES.eventBridgeApiDestinationPerMillion);
    expect(cost.secretsManager).toBeCloseTo(0.2 * 100 * PRICES.secretsManagerPer10k);
    expect(cost.apiGateway).toBeCloseTo(1.2 * PRICES.apiGatewayRestPerMillion);
    expect(cost.lambdaRequests).toBeCloseTo(3.7 * PRICES.lambdaRequestsPerMillion);
    const sum = Object.entries(cost).reduce((s, [k, v]) => (k === 'total' ? s : s + v), 0);
    expect(cost.total).toBeCloseTo(sum);
  });

  it('leaves out only the API-destination invocations without webhooks', () => {
    const withHooks = pinrelayCost(usage, { webhooks: true });
    const without = pinrelayCost(usage, { webhooks: false });
    expect(without.apiDestinations).toBe(0);
    expect(withHooks.total - without.total).toBeCloseTo(withHooks.apiDestinations);
  });

  it('prices the naive loop as one invocation per submission for its measured duration', () => {
    const cost = naiveCost({ invocations: 1200, totalDurationMs: 600_000, memoryMb: 256, published: 600 });
    expect(cost.lambdaRequests).toBeCloseTo(2 * PRICES.lambdaRequestsPerMillion);
    // 600 s × 0.25 GB = 150 GB-s for 600 pins.
    expect(cost.lambdaDuration).toBeCloseTo(0.25 * PRICES.lambdaArmGbSecond * 1_000_000);
    expect(cost.total).toBeCloseTo(cost.lambdaRequests + cost.lambdaDuration);
  });

  it('reads each function memory from the definitions', () => {
    expect(memoryOf('publish-pin')).toBe(512);
    expect(memoryOf('create-pin')).toBe(256);
  });

  it('refuses to price a run that published nothing', () => {
    expect(() => pinrelayCost({ ...usage, pins: 0 }, { webhooks: false })).toThrow(/no pin/);
  });
});
