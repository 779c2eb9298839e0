import { randomBytes } from 'node:crypto';
import { GetQueueAttributesCommand, ReceiveMessageCommand, SQSClient, type Message } from '@aws-sdk/client-sqs';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { inject } from 'vitest';
import type { Job } from '../../lambdas/api/schemas.ts';
import { startPipeline, type Pipeline, type PipelineOptions } from '../../local/pipeline.ts';
import { startSqsPoller, type SqsPoller } from '../../local/sqs-poller.ts';

/** A pipeline over the shared emulators, with its own tables and queues. */
export async function testPipeline(options: Omit<PipelineOptions, 'emulators' | 'namePrefix' | 'port'> = {}): Promise<Pipeline> {
  return startPipeline({
    port: 0,
    emulators: { dynamodb: inject('dynamodbEndpoint'), sqs: inject('sqsEndpoint') },
    namePrefix: `t${randomBytes(4).toString('hex')}-`,
    sweeper: false,
    reconciler: false,
    log: () => undefined,
    ...options,
  });
}

export interface Caller {
  (method: string, path: string, init?: { body?: unknown; headers?: Record<string, string>; rawBody?: string }): Promise<{
    status: number;
    headers: Headers;
    body: any;
  }>;
}

/** A tiny HTTP client for one tenant: real requests to the local API Gateway. */
export function callerFor(pipeline: Pipeline, apiKey: string): Caller {
  return async (method, path, init = {}) => {
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
    return { status: response.status, headers: response.headers, body };
  };
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
  const sqs = new SQSClient({ endpoint: pipeline.endpoints.sqs, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
  const all: Message[] = [];
  for (;;) {
    const out = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, VisibilityTimeout: 300, WaitTimeSeconds: 0, MessageSystemAttributeNames: ['All'] }),
    );
    if (!out.Messages?.length) return all;
    all.push(...out.Messages);
  }
}

const TERMINAL = ['succeeded', 'failed', 'cancelled'];

/** Polls GET /v1/jobs/{id} until the job is terminal (the client's view: POST, then poll). */
export async function waitForJob(api: Caller, jobId: string, timeoutMs = 30_000): Promise<Job> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const job = (await api('GET', `/v1/jobs/${jobId}`)).body as Job;
    if (TERMINAL.includes(job.status)) return job;
    if (Date.now() > deadline) throw new Error(`job ${jobId} still ${job.status} after ${timeoutMs} ms: ${JSON.stringify(job.attempts)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The handlers' view of a pipeline's SQS (for moving messages by hand). */
export function sqsOf(pipeline: Pipeline): SQSClient {
  return new SQSClient({ endpoint: pipeline.endpoints.sqs, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
}

/** Polls `probe` until it returns a value (not undefined/false); fails with `what` after `timeoutMs`. */
export async function waitFor<T>(probe: () => Promise<T | undefined | false>, options: { what: string; timeoutMs?: number; everyMs?: number }): Promise<T> {
  const deadline = Date.now() + (options.timeoutMs ?? 30_000);
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${options.timeoutMs ?? 30_000} ms waiting for ${options.what}`);
    await new Promise((r) => setTimeout(r, options.everyMs ?? 100));
  }
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
    const handler = (await import(`../../lambdas/${consumer.name}/handler.ts`)).handler as (e: SQSEvent, c: Context) => Promise<SQSBatchResponse>;
    const attrs = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: consumer.url, AttributeNames: ['QueueArn'] }));
    pollers.push(
      startSqsPoller({ sqs, queueUrl: consumer.url, queueArn: attrs.Attributes!['QueueArn']!, functionName: consumer.name, handler, concurrency: consumer.concurrency }),
    );
  }
  return async () => {
    await Promise.all(pollers.map((p) => p.stop()));
  };
}
