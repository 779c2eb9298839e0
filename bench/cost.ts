/**
 * Cost per million published pins at us-east-1 list prices, from the AWS requests the comparison counted
 * (bench/request-count.ts, bench/compare.ts). Pure arithmetic: the counts come in, dollars go out.
 *
 * What is per pin and what is not: the SQS pollers' empty receives (local mode long-polls for 1 s with 8
 * pollers; Lambda's own pollers wait 20 s and their number is AWS's), the stream reads (free when Lambda
 * reads a DynamoDB stream), the scheduled sweeper and reconciler, and the authorizer (its answer is cached
 * per API key) cost by the hour, not by the pin: they are left out of the per-pin figures.
 */
import { FUNCTIONS, type FunctionDefinition } from '../definitions/functions.ts';
import { dynamoKind, type RequestRow } from './request-count.ts';

/**
 * us-east-1 list prices (USD) as of 2026-11-30, first pricing tier. Checked that day against 2026 summaries of
 * the AWS pricing pages (the pages themselves were not reachable from here): DynamoDB on-demand after the
 * November 2024 reduction (aws.amazon.com/blogs/aws/amazon-dynamodb-on-demand…, updated 2025-01-31;
 * airbyte.com/data-engineering-resources/dynamodb-pricing); SQS (cloudburn.io/blog/amazon-sqs-pricing,
 * 2026-03-14; factualminds.com, 2026-06-13); EventBridge (factualminds.com, 2026-06); Secrets Manager
 * (hivebook.wiki); Lambda arm64 (cloudchipr.com/blog/aws-lambda-pricing). API Gateway REST: $3.50 per million
 * (first 333 M) is AWS's long-standing price, not re-confirmed on 2026-11-30.
 */
export const PRICES = {
  asOf: '2026-11-30',
  /** per million write request units (1 KB each; a transactional write counts double) */
  dynamoWriteUnitPerMillion: 0.625,
  /** per million read request units (4 KB strongly consistent, 8 KB eventually consistent) */
  dynamoReadUnitPerMillion: 0.125,
  /** per million FIFO requests; each 64 KB of payload is one request */
  sqsFifoPerMillion: 0.5,
  /** per million standard-queue requests; each 64 KB of payload is one request */
  sqsStandardPerMillion: 0.4,
  /** per million custom events put on a bus; each 64 KB of an entry is one event */
  eventBridgeEventsPerMillion: 1.0,
  /** per million API-destination invocations (webhook deliveries, retries included) */
  eventBridgeApiDestinationPerMillion: 0.2,
  /** per 10,000 API calls */
  secretsManagerPer10k: 0.05,
  /** per million invocations */
  lambdaRequestsPerMillion: 0.2,
  /** per GB-second, arm64 (every pinrelay function runs on arm64) */
  lambdaArmGbSecond: 0.0000133334,
  /** per million REST API requests (unconfirmed on 2026-11-30, see above) */
  apiGatewayRestPerMillion: 3.5,
} as const;

/**
 * Lambda duration per invocation in AWS, ms: an assumption, not measured (local mode runs the handlers in one
 * process, against emulators on loopback). About 10 ms per AWS call in the region, 150 ms per Pinterest call.
 */
export const ASSUMED_DURATION_MS: Readonly<Record<string, number>> = {
  'create-pin': 40,
  'publish-pin': 300,
  'release-due-jobs': 60,
  'relay-outbox': 80,
  'record-dead-letters': 60,
};

/** Each function's memory (MB), as the stack configures it (definitions/functions.ts; 256 when unset). */
export function memoryOf(functionName: string): number {
  const definitions: readonly FunctionDefinition[] = FUNCTIONS;
  return definitions.find((f) => f.name === functionName)?.memorySize ?? 256;
}

/** What a run of pinrelay used, counted, for `pins` published pins. */
export interface Usage {
  readonly pins: number;
  readonly dynamoReadUnits: number;
  readonly dynamoWriteUnits: number;
  /** SQS requests in 64 KB chunks, empty receives left out. */
  readonly sqsFifoRequests: number;
  readonly sqsStandardRequests: number;
  /** Entries put on the bus, in 64 KB chunks. */
  readonly busEvents: number;
  readonly apiDestinationInvocations: number;
  readonly secretsManagerCalls: number;
  readonly apiRequests: number;
  readonly lambdaInvocations: Readonly<Record<string, number>>;
}

/**
 * The usage a run's counted requests add up to. Lambda invocations are derived from what triggers them: one
 * create-pin per POST /v1/pins, one queue consumer invocation per receive that returned messages (a batch),
 * one relay-outbox invocation per stream read that returned records.
 */
export function usageOf(rows: readonly RequestRow[], input: { pins: number; busEvents: number; apiDestinationInvocations: number }): Usage {
  const sum = (pick: (r: RequestRow) => boolean, value: (r: RequestRow) => number) =>
    rows.filter(pick).reduce((total, r) => total + value(r), 0);
  const dynamo = (kind: 'read' | 'write') => (r: RequestRow) => r.service === 'dynamodb' && dynamoKind(r.operation) === kind;
  const units = (r: RequestRow) => Math.max(r.capacityUnits, r.requests);
  const sqs = (fifo: boolean) => (r: RequestRow) => r.service === 'sqs' && r.resource.endsWith('.fifo') === fifo;
  // An empty receive is one request of one chunk.
  const billed = (r: RequestRow) => r.chunks - r.empty;
  const batches = (queue: (name: string) => boolean) =>
    sum(
      (r) => r.service === 'sqs' && r.operation === 'ReceiveMessage' && queue(r.resource),
      (r) => r.requests - r.empty,
    );
  return {
    pins: input.pins,
    dynamoReadUnits: sum(dynamo('read'), units),
    dynamoWriteUnits: sum(dynamo('write'), units),
    sqsFifoRequests: sum(sqs(true), billed),
    sqsStandardRequests: sum(sqs(false), billed),
    busEvents: input.busEvents,
    apiDestinationInvocations: input.apiDestinationInvocations,
    secretsManagerCalls: sum(
      (r) => r.service === 'secretsmanager',
      (r) => r.requests,
    ),
    apiRequests: sum(
      (r) => r.service === 'api',
      (r) => r.requests,
    ),
    lambdaInvocations: {
      'create-pin': sum(
        (r) => r.service === 'api' && r.operation === 'POST' && r.resource === '/v1/pins',
        (r) => r.requests,
      ),
      'publish-pin': batches((q) => q.startsWith('PublishQueue')),
      'release-due-jobs': batches((q) => q.startsWith('DelayQueue')),
      'record-dead-letters': batches((q) => q.includes('DeadLetterQueue')),
      'relay-outbox': sum(
        (r) => r.service === 'dynamodb-streams' && r.operation === 'GetRecords',
        (r) => r.requests - r.empty,
      ),
    },
  };
}

/** Dollars per million published pins, by line. */
export interface CostPerMillion {
  readonly dynamodb: number;
  readonly sqs: number;
  readonly eventBridgeEvents: number;
  readonly apiDestinations: number;
  readonly secretsManager: number;
  readonly lambdaRequests: number;
  readonly lambdaDuration: number;
  readonly apiGateway: number;
  readonly total: number;
}

export function pinrelayCost(usage: Usage, options: { readonly webhooks: boolean }): CostPerMillion {
  if (usage.pins <= 0) throw new Error('no pin was published: no cost per pin');
  const perMillionPins = (amount: number, pricePerMillion: number) => (amount / usage.pins) * pricePerMillion;
  const invocations = Object.values(usage.lambdaInvocations).reduce((a, b) => a + b, 0);
  const gbSeconds = Object.entries(usage.lambdaInvocations).reduce(
    (total, [fn, count]) => total + count * ((ASSUMED_DURATION_MS[fn] ?? 100) / 1000) * (memoryOf(fn) / 1024),
    0,
  );
  return withTotal({
    dynamodb:
      perMillionPins(usage.dynamoWriteUnits, PRICES.dynamoWriteUnitPerMillion) +
      perMillionPins(usage.dynamoReadUnits, PRICES.dynamoReadUnitPerMillion),
    sqs:
      perMillionPins(usage.sqsFifoRequests, PRICES.sqsFifoPerMillion) +
      perMillionPins(usage.sqsStandardRequests, PRICES.sqsStandardPerMillion),
    eventBridgeEvents: perMillionPins(usage.busEvents, PRICES.eventBridgeEventsPerMillion),
    apiDestinations: options.webhooks ? perMillionPins(usage.apiDestinationInvocations, PRICES.eventBridgeApiDestinationPerMillion) : 0,
    secretsManager: perMillionPins(usage.secretsManagerCalls, PRICES.secretsManagerPer10k * 100),
    lambdaRequests: perMillionPins(invocations, PRICES.lambdaRequestsPerMillion),
    lambdaDuration: perMillionPins(gbSeconds, PRICES.lambdaArmGbSecond * 1_000_000),
    apiGateway: perMillionPins(usage.apiRequests, PRICES.apiGatewayRestPerMillion),
  });
}

/**
 * The naive loop on Lambda: one invocation per submission running its whole attempt loop (retry sleeps
 * included, as a Lambda bills them), its duration measured in the run, at `memoryMb`; per million intents
 * it published (an intent with a pin).
 */
export function naiveCost(input: {
  readonly invocations: number;
  readonly totalDurationMs: number;
  readonly memoryMb: number;
  readonly published: number;
}): CostPerMillion {
  if (input.published <= 0) throw new Error('no pin was published: no cost per pin');
  const gbSeconds = (input.totalDurationMs / 1000) * (input.memoryMb / 1024);
  return withTotal({
    dynamodb: 0,
    sqs: 0,
    eventBridgeEvents: 0,
    apiDestinations: 0,
    secretsManager: 0,
    lambdaRequests: (input.invocations / input.published) * PRICES.lambdaRequestsPerMillion,
    lambdaDuration: (gbSeconds / input.published) * PRICES.lambdaArmGbSecond * 1_000_000,
    apiGateway: 0,
  });
}

function withTotal(lines: Omit<CostPerMillion, 'total'>): CostPerMillion {
  return { ...lines, total: Object.values(lines).reduce((a, b) => a + b, 0) };
}

/** The cost table, Markdown: one column per variant. */
export function costTable(columns: readonly { readonly label: string; readonly cost: CostPerMillion }[]): string {
  const lines: [string, keyof CostPerMillion][] = [
    ['DynamoDB (request units)', 'dynamodb'],
    ['SQS', 'sqs'],
    ['EventBridge events', 'eventBridgeEvents'],
    ['EventBridge API destinations', 'apiDestinations'],
    ['Secrets Manager', 'secretsManager'],
    ['Lambda requests', 'lambdaRequests'],
    ['Lambda duration', 'lambdaDuration'],
    ['API Gateway REST', 'apiGateway'],
    ['total', 'total'],
  ];
  return [
    `| USD per million published pins (us-east-1, ${PRICES.asOf}) | ${columns.map((c) => c.label).join(' | ')} |`,
    `|---|${columns.map(() => '---:').join('|')}|`,
    ...lines.map(([label, key]) => `| ${label} | ${columns.map((c) => c.cost[key].toFixed(2)).join(' | ')} |`),
  ].join('\n');
}
