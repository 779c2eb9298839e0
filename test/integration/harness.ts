import { randomBytes } from 'node:crypto';
import { GetQueueAttributesCommand, ReceiveMessageCommand, SQSClient, type Message, type QueueAttributeName } from '@aws-sdk/client-sqs';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { inject } from 'vitest';
import type { z } from 'zod';
import type { ErrorEnvelope, Job } from '../../lambdas/api/schemas.ts';
import { startPipeline, type Pipeline, type PipelineOptions } from '../../local/pipeline.ts';
import { startSqsPoller, type SqsPoller } from '../../local/sqs-poller.ts';
import { waitFor } from './wait.ts';

export { waitFor, type WaitOptions } from './wait.ts';

/** A pipeline over the shared emulators, with its own tables and queues. */
export async function testPipeline(options: Omit<PipelineOptions, 'emulators' | 'namePrefix' | 'port'> = {}): Promise<Pipeline> {
  return startPipeline({
    port: 0,
    emulators: { dynamodb: inject('dynamodbEndpoint'), sqs: inject('sqsEndpoint') },
    namePrefix: `t${randomBytes(4).toString('hex')}-`,
    sweeper: false,
    reconciler: false,
    // Suites that drive intake hard are not about per-tenant throttling (tenant-throttling.test.ts turns it on).
    api: { tenantLimits: false },
    log: () => undefined,
    ...options,
  });
}

/** The API's error answer (lambdas/api/schemas/error.ts). */
export type ErrorBody = z.infer<typeof ErrorEnvelope>;

export interface ApiResponse<Body> {
  readonly status: number;
  readonly headers: Headers;
  /** The parsed JSON, the text when it is not JSON, undefined when empty. */
  readonly body: Body;
}

/**
 * One tenant's calls to the API. `Body` names the document the test expects back (a Job, a JobList, an
 * ErrorBody, …); nothing checks it here: the test's assertions on the answer are the check.
 */
export type Caller = <Body = unknown>(
  method: string,
  path: string,
  init?: { body?: unknown; headers?: Record<string, string>; rawBody?: string },
) => Promise<ApiResponse<Body>>;

/** A tiny HTTP client for one tenant: real requests to the local API Gateway. */
export function callerFor(pipeline: Pipeline, apiKey: string): Caller {
  return async <Body>(method: string, path: string, init: Parameters<Caller>[2] = {}): Promise<ApiResponse<Body>> => {
    const response = await fetch(`${pipeline.apiUrl}${path}`, {
      method,
      headers: {
        Authorization: `Bearer ${apiKey}`,
        ...(init.body !== undefined || init.rawBody !== undefined ? { 'Content-Type': 'application/json' } : {}),
        ...init.headers,
      },
      ...(init.rawBody !== undefined ? { body: init.rawBody } : init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
    });
    const text = await response.text();
    let body: unknown = text;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      /* not JSON: keep the text */
    }
    return { status: response.status, headers: response.headers, body: body as Body };
  };
}

/** How many items fall under each key, for the summaries the heavier tests print. */
export function countBy<T>(items: readonly T[], key: (item: T) => string | number): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const item of items) {
    const k = String(key(item));
    counts[k] = (counts[k] ?? 0) + 1;
  }
  return counts;
}

export function pin(overrides: Record<string, unknown> = {}) {
  return {
    account_id: 'acme-main',
    board_id: '987654321',
    title: 'Walnut side table',
    description: 'Solid walnut, oiled finish.',
    link: 'https://shop.example.com/tables/walnut',
    media_source: { source_type: 'image_url', url: 'https://cdn.example.com/walnut.jpg' },
    ...overrides,
  };
}

/**
 * Every message currently visible on a queue, received and left in flight so nothing is counted twice.
 * On a FIFO queue that is at most one batch (10) per message group: the group is blocked after it.
 */
export async function drainQueue(pipeline: Pipeline, queueUrl: string): Promise<Message[]> {
  const sqs = sqsOf(pipeline);
  const all: Message[] = [];
  for (;;) {
    const out = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: 10,
        VisibilityTimeout: 300,
        WaitTimeSeconds: 0,
        MessageSystemAttributeNames: ['All'],
      }),
    );
    if (!out.Messages?.length) return all;
    all.push(...out.Messages);
  }
}

const TERMINAL = ['succeeded', 'failed', 'cancelled'];

/** Polls GET /v1/jobs/{id} until the job is terminal (the client's view: POST, then poll). */
export async function waitForJob(api: Caller, jobId: string, timeoutMs = 30_000): Promise<Job> {
  return waitFor(async () => (await api('GET', `/v1/jobs/${jobId}`)).body as Job, {
    until: (job) => TERMINAL.includes(job.status),
    what: `job ${jobId} to end (succeeded, failed or cancelled)`,
    timeoutMs,
    show: (job) => (job?.status ? `${job.status}, attempts ${JSON.stringify(job.attempts)}` : JSON.stringify(job)),
  });
}

const sqsClients = new WeakMap<Pipeline, SQSClient>();

/** The handlers' view of a pipeline's SQS (for moving messages by hand), one client per pipeline. */
export function sqsOf(pipeline: Pipeline): SQSClient {
  let client = sqsClients.get(pipeline);
  if (!client) {
    client = new SQSClient({
      endpoint: pipeline.endpoints.sqs,
      region: 'us-east-1',
      credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
    });
    sqsClients.set(pipeline, client);
  }
  return client;
}

export type QueueName = keyof Pipeline['queueUrls'];

/** What fauxqs counts on a queue: receivable now, received and not deleted, sent with a delay still running. */
export async function queueDepth(pipeline: Pipeline, queue: QueueName): Promise<{ visible: number; inFlight: number; delayed: number }> {
  const out = await sqsOf(pipeline).send(
    new GetQueueAttributesCommand({
      QueueUrl: pipeline.queueUrls[queue],
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible', 'ApproximateNumberOfMessagesDelayed'],
    }),
  );
  const count = (name: QueueAttributeName) => Number(out.Attributes?.[name] ?? 0);
  return {
    visible: count('ApproximateNumberOfMessages'),
    inFlight: count('ApproximateNumberOfMessagesNotVisible'),
    delayed: count('ApproximateNumberOfMessagesDelayed'),
  };
}

/** Reads in a row that must all find the pipeline idle before it counts as idle. */
const IDLE_READS = 3;

/**
 * Waits until the pipeline has nothing left to do for its jobs: every job change relayed (so every message
 * it owes is sent) and the publish and delay queues empty — nothing visible, in flight or delayed — on
 * IDLE_READS reads in a row. One read is not enough: a job's next step can sit between two places (the
 * stream, then a queue; one queue, then the other) while the other is read.
 */
export async function waitForPipelineIdle(pipeline: Pipeline, timeoutMs = 30_000): Promise<void> {
  let idleReads = 0;
  await waitFor(
    async () => {
      await pipeline.relayDrained(timeoutMs);
      const [publish, delay] = await Promise.all([queueDepth(pipeline, 'publish'), queueDepth(pipeline, 'delay')]);
      const idle = [publish, delay].every((d) => d.visible + d.inFlight + d.delayed === 0);
      idleReads = idle ? idleReads + 1 : 0;
      return { publish, delay, idleReads };
    },
    {
      until: (read) => read.idleReads >= IDLE_READS,
      what: 'the pipeline to be idle (every change relayed, the publish and delay queues empty)',
      timeoutMs,
    },
  );
}

/**
 * Starts the publish worker and the delay-queue consumer on a pipeline created with `worker: false`, mounted
 * as the pipeline mounts them: a test sets up a state first (a message dead-lettered, lost), then lets
 * the workers run. Returns the stop function.
 */
export async function startQueueConsumers(pipeline: Pipeline): Promise<() => Promise<void>> {
  const sqs = sqsOf(pipeline);
  const consumers = [
    { name: 'publish-pin', url: pipeline.queueUrls.publish, concurrency: 2 },
    { name: 'release-due-jobs', url: pipeline.queueUrls.delay, concurrency: 1 },
  ];
  const pollers: SqsPoller[] = [];
  for (const consumer of consumers) {
    const handler = (await import(`../../lambdas/${consumer.name}/handler.ts`)).handler as (
      e: SQSEvent,
      c: Context,
    ) => Promise<SQSBatchResponse>;
    const attrs = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: consumer.url, AttributeNames: ['QueueArn'] }));
    pollers.push(
      startSqsPoller({
        sqs,
        queueUrl: consumer.url,
        queueArn: attrs.Attributes!.QueueArn!,
        functionName: consumer.name,
        handler,
        concurrency: consumer.concurrency,
      }),
    );
  }
  return async () => {
    await Promise.all(pollers.map((p) => p.stop()));
  };
}
