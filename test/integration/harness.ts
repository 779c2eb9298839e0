import { randomBytes } from 'node:crypto';
import { ReceiveMessageCommand, SQSClient, type Message } from '@aws-sdk/client-sqs';
import { inject } from 'vitest';
import type { Job } from '../../lambdas/api/schemas.ts';
import { startPipeline, type Pipeline, type PipelineOptions } from '../../local/pipeline.ts';

/** A pipeline over the shared emulators, with its own tables and queues. */
export async function testPipeline(options: Omit<PipelineOptions, 'emulators' | 'namePrefix' | 'port'> = {}): Promise<Pipeline> {
  return startPipeline({
    port: 0,
    emulators: { dynamodb: inject('dynamodbEndpoint'), sqs: inject('sqsEndpoint') },
    namePrefix: `t${randomBytes(4).toString('hex')}-`,
    sweeper: false,
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
