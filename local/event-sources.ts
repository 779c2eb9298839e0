/**
 * What makes the functions run in local mode, wired as the CDK stack wires them in AWS: the jobs-table
 * stream mapping of the outbox relay, the worker's SQS mappings, the dead-letter consumers, and the
 * schedules of the sweeper and the reconciler (intervals here). The handlers are imported only when
 * started: they read their configuration from the environment the pipeline has set by then.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { Context, DynamoDBBatchResponse, DynamoDBStreamEvent, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { DELAY_DLQ, DELAY_QUEUE, PUBLISH_DLQ, PUBLISH_QUEUE } from '../definitions/queues.ts';
import { lambdaContext } from './http-api.ts';
import { provisionedQueue, type Provisioned } from './provision.ts';
import { startSqsPoller } from './sqs-poller.ts';
import { startStreamPoller, type StreamPoller } from './stream-poller.ts';

type SqsHandler = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>;
type Stop = () => Promise<void>;
type Log = (message: string) => void;

const REGION = 'us-east-1';
const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };

export interface ReconcileResult {
  readonly examined: number;
  readonly redispatched: number;
  readonly recovered: number;
  readonly stranded: number;
  readonly skipped: number;
}

/**
 * One container's instance of a function: its handler module loaded apart from the other containers' (a
 * query on the module URL makes it a module of its own), so module-level state is per container as in
 * Lambda, where a container runs one invocation at a time. The modules it imports (the SDK clients, the
 * wiring) stay shared, as the fault injection (local/sdk-faults.ts) relies on.
 */
export async function loadHandler<H>(functionName: string, container: number): Promise<H> {
  const url = new URL(`../lambdas/${functionName}/handler.ts`, import.meta.url);
  url.searchParams.set('container', String(container));
  return ((await import(url.href)) as { handler: H }).handler;
}

/** `count` containers of an SQS-triggered function. */
async function sqsContainers(functionName: string, count: number): Promise<{ containers: SqsHandler[] }> {
  return { containers: await Promise.all(Array.from({ length: count }, (_, i) => loadHandler<SqsHandler>(functionName, i))) };
}

/** The jobs table's stream → relay-outbox; a batch that runs out of retries goes to the outbox DLQ. */
export async function startOutboxRelay(input: {
  readonly dynamoEndpoint: string;
  readonly streamArn: string;
  readonly sqs: SQSClient;
  readonly outboxDlqUrl: string;
  readonly retryAttempts: number;
  /** Where stream positions are kept across restarts (`--data`); omitted = from the latest record. */
  readonly checkpointFile?: string;
  readonly log: Log;
}): Promise<StreamPoller> {
  const handler = (await import('../lambdas/relay-outbox/handler.ts')).handler as unknown as (
    e: DynamoDBStreamEvent,
    c: Context,
  ) => Promise<DynamoDBBatchResponse>;
  const { checkpointFile } = input;
  return startStreamPoller({
    streams: new DynamoDBStreamsClient({ endpoint: input.dynamoEndpoint, region: REGION, credentials }),
    endpoint: input.dynamoEndpoint,
    streamArn: input.streamArn,
    functionName: 'relay-outbox',
    handler,
    retryAttempts: input.retryAttempts,
    onError: (e) => input.log(`relay-outbox: ${e instanceof Error ? e.message : String(e)}`),
    onFailure: async (records, error) => {
      // Same shape of information as Lambda's on-failure record: where, not what.
      await input.sqs.send(
        new SendMessageCommand({
          QueueUrl: input.outboxDlqUrl,
          MessageBody: JSON.stringify({
            condition: 'RetryAttemptsExhausted',
            error: error instanceof Error ? error.message : String(error),
            sequenceNumbers: records.map((r) => r.dynamodb?.SequenceNumber),
            keys: records.map((r) => r.dynamodb?.Keys),
          }),
        }),
      );
    },
    ...(checkpointFile
      ? {
          checkpoints: {
            load: () => {
              try {
                return JSON.parse(readFileSync(checkpointFile, 'utf8')) as Record<string, string>;
              } catch {
                return {};
              }
            },
            save: (positions) => writeFileSync(checkpointFile, JSON.stringify(positions)),
          },
        }
      : {}),
  });
}

/** The same wiring as the CDK PublishWorker construct: one event source mapping per queue. Returns their stops. */
export async function startWorker(input: {
  readonly sqs: SQSClient;
  readonly provisioned: Provisioned;
  /** Parallel pollers on the publish queue (distinct message groups run in parallel). */
  readonly concurrency: number;
  readonly log: Log;
}): Promise<Stop[]> {
  const consumers = [
    { name: 'publish-pin', queue: PUBLISH_QUEUE, concurrency: input.concurrency },
    { name: 'release-due-jobs', queue: DELAY_QUEUE, concurrency: 2 },
  ];
  const stops: Stop[] = [];
  for (const consumer of consumers) {
    const queue = provisionedQueue(input.provisioned, consumer.queue);
    const poller = startSqsPoller({
      sqs: input.sqs,
      queueUrl: queue.url,
      queueArn: queue.arn,
      functionName: consumer.name,
      handler: await sqsContainers(consumer.name, consumer.concurrency),
      concurrency: consumer.concurrency,
      onError: (e) => input.log(`${consumer.name}: ${e instanceof Error ? e.message : String(e)}`),
    });
    stops.push(poller.stop);
  }
  return stops;
}

/** sweep-outbox, runnable at will and, unless `intervalMs` is false, on an interval. */
export async function startSweeper(intervalMs: number | false, log: Log): Promise<{ sweepNow: () => Promise<number>; stop: Stop }> {
  const handler = (await import('../lambdas/sweep-outbox/handler.ts')).handler as unknown as (
    e: unknown,
    c: Context,
  ) => Promise<{ redispatched: number }>;
  const sweepNow = async () => (await handler({}, lambdaContext('sweep-outbox'))).redispatched;
  if (intervalMs === false) return { sweepNow, stop: async () => undefined };
  const timer = setInterval(() => {
    sweepNow().catch((e: unknown) => log(`sweep-outbox: ${String(e)}`));
  }, intervalMs);
  timer.unref();
  return { sweepNow, stop: async () => clearInterval(timer) };
}

/**
 * The stranded-job backstop, wired as the CDK StrandedJobs construct: both dead-letter queues feed
 * record-dead-letters, and the reconciler runs on an interval. With `intervalMs` false neither runs,
 * but `reconcileNow` still works.
 */
export async function startStrandedJobBackstop(input: {
  readonly sqs: SQSClient;
  readonly provisioned: Provisioned;
  readonly intervalMs: number | false;
  readonly log: Log;
}): Promise<{ reconcileNow: () => Promise<ReconcileResult>; stops: Stop[] }> {
  const handler = (await import('../lambdas/reconcile-stranded-jobs/handler.ts')).handler as unknown as (
    e: unknown,
    c: Context,
  ) => Promise<ReconcileResult>;
  const reconcileNow = () => handler({}, lambdaContext('reconcile-stranded-jobs', 60_000));
  const stops: Stop[] = [];
  if (input.intervalMs === false) return { reconcileNow, stops };
  // One mapping per queue, each invoking its own container: two batches never share one.
  for (const [container, dlq] of [PUBLISH_DLQ, DELAY_DLQ].entries()) {
    const queue = provisionedQueue(input.provisioned, dlq);
    const poller = startSqsPoller({
      sqs: input.sqs,
      queueUrl: queue.url,
      queueArn: queue.arn,
      functionName: 'record-dead-letters',
      handler: await loadHandler<SqsHandler>('record-dead-letters', container),
      onError: (e) => input.log(`record-dead-letters: ${e instanceof Error ? e.message : String(e)}`),
    });
    stops.push(poller.stop);
  }
  let running = false; // one run at a time, like a scheduled Lambda that finishes within its period
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    reconcileNow()
      .catch((e: unknown) => input.log(`reconcile-stranded-jobs: ${String(e)}`))
      .finally(() => {
        running = false;
      });
  }, input.intervalMs);
  timer.unref();
  stops.push(async () => clearInterval(timer));
  return { reconcileNow, stops };
}
