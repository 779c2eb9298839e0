import { DeleteMessageCommand, ReceiveMessageCommand, SendMessageCommand, type Message } from '@aws-sdk/client-sqs';
import { afterEach, describe, expect, it } from 'vitest';
import { DynamoJobStore } from '../../lambdas/adapters/dynamo-job-store.ts';
import type { Job } from '../../lambdas/api/schemas.ts';
import { transition } from '../../lambdas/domain/job.ts';
import { dynamoClient } from '../../lambdas/common/clients.ts';
import type { Pipeline, PipelineOptions } from '../../local/pipeline.ts';
import { callerFor, drainQueue, sqsOf, startQueueConsumers, testPipeline, waitFor, waitForJob, type Caller } from './harness.ts';

/**
 * No job may stay non-terminal without something that will move it (docs/adr/0009-reconciler.md).
 * Each test builds the stranded state by hand on a pipeline whose worker is stopped — a message moved to
 * a dead-letter queue as SQS would after maxReceiveCount, a message deleted (lost), a claim whose worker
 * died — then starts the workers and waits for the job to end. Reconciler period and grace are shortened
 * (0.5 s, seconds); in AWS they are 5 min and 15 min.
 */
let pipeline: Pipeline | undefined;
let stopConsumers: (() => Promise<void>) | undefined;

afterEach(async () => {
  await stopConsumers?.();
  stopConsumers = undefined;
  await pipeline?.stop();
  pipeline = undefined;
});

async function start(reconciler: PipelineOptions['reconciler']): Promise<{ p: Pipeline; api: Caller }> {
  pipeline = await testPipeline({
    worker: false,
    reconciler,
    retry: { baseSeconds: 0.5, maxAttempts: 5 },
    pacing: { accountPerMinute: 600, appPerSecond: 100 },
    logLevel: 'ERROR', // the backstop logs every incident as a warning
  });
  return { p: pipeline, api: callerFor(pipeline, pipeline.apiKey) };
}

let users = 0;
/** A sandbox user with one board, connected as an account; a job for it, written and relayed. */
async function submitted(p: Pipeline, api: Caller): Promise<{ job: Job; boardId: string }> {
  users++;
  const boardId = `${700000 + users}`;
  const tokens = p.sandbox!.addUser({ username: `stranded${users}`, boards: [boardId] });
  expect(
    (await api('PUT', `/v1/accounts/stranded-${users}`, { body: { access_token: tokens.accessToken, refresh_token: tokens.refreshToken } }))
      .status,
  ).toBe(200);
  const created = await api('POST', '/v1/pins', {
    body: {
      account_id: `stranded-${users}`,
      board_id: boardId,
      title: `stranded ${users}`,
      link: `https://e.com/s/${users}`,
      media_source: { source_type: 'image_url', url: 'https://e.com/s.jpg' },
    },
    headers: { 'Idempotency-Key': `stranded-${users}` },
  });
  expect(created.status).toBe(202);
  await p.relayDrained();
  return { job: created.body as Job, boardId };
}

/** Receives the job's message from `queueUrl` (waiting until it is visible) and deletes it. */
async function takeMessage(p: Pipeline, queueUrl: string, jobId: string): Promise<Message> {
  const sqs = sqsOf(p);
  return waitFor(
    async () => {
      const out = await sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: queueUrl,
          MaxNumberOfMessages: 10,
          WaitTimeSeconds: 1,
          MessageSystemAttributeNames: ['All'],
        }),
      );
      const mine = (out.Messages ?? []).find((m) => JSON.parse(m.Body!).job_id === jobId);
      if (mine) await sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: mine.ReceiptHandle! }));
      return mine;
    },
    { what: `the message of ${jobId}`, timeoutMs: 15_000 },
  );
}

/** What SQS does after maxReceiveCount failed receives: the message leaves its queue for the dead-letter queue. */
async function deadLetter(p: Pipeline, from: string, to: string, jobId: string): Promise<void> {
  const message = await takeMessage(p, from, jobId);
  const group = message.Attributes?.MessageGroupId;
  await sqsOf(p).send(
    new SendMessageCommand({
      QueueUrl: to,
      MessageBody: message.Body!,
      ...(group ? { MessageGroupId: group, MessageDeduplicationId: `${message.MessageId}-dlq` } : {}),
    }),
  );
}

const kinds = (job: Job) => job.incidents.map((i) => i.kind);

describe('stranded jobs are moved again', () => {
  it('a job whose publish-queue message was dead-lettered is re-dispatched and published once', async () => {
    // A long grace: only the dead-letter path can move the job within this test.
    const { p, api } = await start({ intervalMs: 500, graceSeconds: 120 });
    const { job, boardId } = await submitted(p, api);

    await deadLetter(p, p.queueUrls.publish, p.queueUrls.publishDlq, job.id);
    const deadLetteredAt = Date.now();
    stopConsumers = await startQueueConsumers(p);
    const done = await waitForJob(api, job.id, 20_000);
    const elapsedMs = Date.now() - deadLetteredAt;

    expect(done.status).toBe('succeeded');
    expect(kinds(done)).toEqual(['message_dead_lettered', 'redispatched']);
    expect(done.incidents[0]).toMatchObject({ queue: 'publish', detail: expect.stringContaining('publish-pin failed on it') });
    expect(done.incidents[1]!.detail).toMatch(/publish queue message was dead-lettered while the job was queued/);
    expect(done.attempts).toHaveLength(1);
    expect(p.sandbox!.pins({ boardId })).toHaveLength(1);
    expect(await drainQueue(p, p.queueUrls.publishDlq)).toHaveLength(0);
    expect(elapsedMs).toBeLessThan(10_000);
  }, 40_000);

  it('a retry_scheduled job whose delay-queue message was dead-lettered is re-dispatched and published', async () => {
    const { p, api } = await start({ intervalMs: 500, graceSeconds: 120 });
    const { job, boardId } = await submitted(p, api);
    // The first attempt failed with a 5xx: the job waits as retry_scheduled (written as the worker would).
    await takeMessage(p, p.queueUrls.publish, job.id);
    const jobs = new DynamoJobStore(dynamoClient(), p.tableNames.jobs, 30);
    const queued = (await jobs.get(p.tenantId, job.id))!;
    const startedAt = new Date();
    const running = transition(queued, 'running', startedAt, {
      attempt_count: 1,
      attempts: [
        {
          number: 1,
          started_at: startedAt.toISOString(),
          finished_at: null,
          outcome: null,
          http_status: null,
          error_code: null,
          error_message: null,
          retry_at: null,
        },
      ],
    });
    const retryAt = new Date(startedAt.getTime() + 2_000).toISOString();
    const waiting = transition(running, 'retry_scheduled', startedAt, {
      attempts: [
        {
          ...running.job.attempts[0]!,
          finished_at: startedAt.toISOString(),
          outcome: 'retry_now',
          http_status: 503,
          error_message: 'Service Unavailable',
          retry_at: retryAt,
        },
      ],
      next_attempt_at: retryAt,
    });
    expect(await jobs.replace(waiting, queued.version)).toBe(true);
    await p.relayDrained();

    await deadLetter(p, p.queueUrls.delay, p.queueUrls.delayDlq, job.id);
    const deadLetteredAt = Date.now();
    stopConsumers = await startQueueConsumers(p);
    const done = await waitForJob(api, job.id, 20_000);
    const elapsedMs = Date.now() - deadLetteredAt;

    expect(done.status).toBe('succeeded');
    expect(kinds(done)).toEqual(['message_dead_lettered', 'redispatched']);
    expect(done.incidents[0]).toMatchObject({ queue: 'delay', detail: expect.stringContaining('release-due-jobs failed on it') });
    expect(done.incidents[1]!.detail).toMatch(/delay queue message was dead-lettered while the job was retry_scheduled/);
    expect(done.attempts.map((a) => a.outcome)).toEqual(['retry_now', 'succeeded']);
    expect(p.sandbox!.pins({ boardId })).toHaveLength(1);
    expect(await drainQueue(p, p.queueUrls.delayDlq)).toHaveLength(0);
    expect(elapsedMs).toBeLessThan(10_000);
  }, 40_000);

  it('a queued job whose message was lost (nothing dead-lettered) is re-dispatched once its grace has passed', async () => {
    const { p, api } = await start({ intervalMs: 500, graceSeconds: 2 });
    const { job, boardId } = await submitted(p, api);

    await takeMessage(p, p.queueUrls.publish, job.id);
    stopConsumers = await startQueueConsumers(p);
    const done = await waitForJob(api, job.id, 20_000);

    expect(done.status).toBe('succeeded');
    expect(kinds(done)).toEqual(['redispatched']);
    expect(done.incidents[0]!.detail).toMatch(/lost or dead-lettered unnoticed/);
    expect(p.sandbox!.pins({ boardId })).toHaveLength(1);
  }, 40_000);

  it('a running job whose lease expired and whose message is gone is recovered, verified on the board and published', async () => {
    const { p, api } = await start({ intervalMs: 500, graceSeconds: 1 });
    const { job, boardId } = await submitted(p, api);
    // A worker claimed the job and died; its message is gone too (redelivery window 0 s here, 180 s in AWS).
    await takeMessage(p, p.queueUrls.publish, job.id);
    const jobs = new DynamoJobStore(dynamoClient(), p.tableNames.jobs, 30, 0);
    const queued = (await jobs.get(p.tenantId, job.id))!;
    const startedAt = new Date();
    const claimed = {
      ...transition(queued, 'running', startedAt, {
        attempt_count: 1,
        attempts: [
          {
            number: 1,
            started_at: startedAt.toISOString(),
            finished_at: null,
            outcome: null,
            http_status: null,
            error_code: null,
            error_message: null,
            retry_at: null,
          },
        ],
      }),
      leaseUntil: new Date(startedAt.getTime() + 1_000).toISOString(),
    };
    expect(await jobs.replace(claimed, queued.version)).toBe(true);

    stopConsumers = await startQueueConsumers(p);
    const done = await waitForJob(api, job.id, 20_000);

    expect(done.status).toBe('succeeded');
    expect(kinds(done)).toEqual(['lease_expired']);
    expect(done.attempts.map((a) => a.outcome)).toEqual(['unknown', 'succeeded']);
    expect(p.sandbox!.pins({ boardId })).toHaveLength(1);
  }, 40_000);
});

describe('bounds and poison', () => {
  it('never loops: a job that stays stranded fails after maxRedispatches, route engineering, reason stranded', async () => {
    // No worker at all: whatever the reconciler sends, nothing moves the job.
    const { p, api } = await start({ intervalMs: 300, graceSeconds: 1, maxRedispatches: 2 });
    const { job } = await submitted(p, api);

    const done = await waitForJob(api, job.id, 20_000);

    expect(done.status).toBe('failed');
    expect(done.failure).toMatchObject({
      route: 'engineering',
      reason: 'stranded',
      remediation: expect.stringMatching(/dead-letter queue alarms.*requeue/),
    });
    expect(kinds(done)).toEqual(['redispatched', 'redispatched', 'stranded']);
    // Each re-dispatch sent one fresh message (versions 2 and 3) next to the original one, which is stale.
    const versions: number[] = [];
    for (let i = 0; i < 3; i++) versions.push(JSON.parse((await takeMessage(p, p.queueUrls.publish, job.id)).Body!).version);
    expect(versions).toEqual([1, 2, 3]);
    expect(await drainQueue(p, p.queueUrls.publish)).toHaveLength(0);
  }, 40_000);

  it('parks messages that are not job messages in the poison queue, with their origin, and consumes them from the dead-letter queues', async () => {
    const { p } = await start({ intervalMs: 60_000 });
    const sqs = sqsOf(p);
    await sqs.send(
      new SendMessageCommand({
        QueueUrl: p.queueUrls.publishDlq,
        MessageBody: '{not json',
        MessageGroupId: 'garbage',
        MessageDeduplicationId: 'garbage-1',
      }),
    );
    await sqs.send(new SendMessageCommand({ QueueUrl: p.queueUrls.delayDlq, MessageBody: JSON.stringify({ hello: 'world' }) }));

    const collected: Message[] = [];
    const parked = await waitFor(
      async () => {
        const out = await sqs.send(
          new ReceiveMessageCommand({
            QueueUrl: p.queueUrls.poison,
            MaxNumberOfMessages: 10,
            VisibilityTimeout: 300,
            WaitTimeSeconds: 1,
            MessageAttributeNames: ['All'],
          }),
        );
        collected.push(...(out.Messages ?? []));
        return collected.length >= 2 && collected;
      },
      { what: 'two parked poison messages', timeoutMs: 15_000 },
    );
    const attrs = (m: Message): Record<string, string | undefined> =>
      Object.fromEntries(Object.entries(m.MessageAttributes ?? {}).map(([k, v]) => [k, v.StringValue]));
    const seen: Array<Record<string, string | undefined>> = parked.map((m) => ({ body: m.Body, ...attrs(m) }));
    expect(seen.sort((a, b) => (a.source_queue ?? '').localeCompare(b.source_queue ?? ''))).toEqual([
      {
        body: '{"hello":"world"}',
        source_queue: 'delay',
        source_message_id: expect.any(String),
        reason: expect.stringContaining('not a job message'),
      },
      {
        body: '{not json',
        source_queue: 'publish',
        source_message_id: expect.any(String),
        source_message_group_id: 'garbage',
        reason: expect.stringContaining('body is not JSON'),
      },
    ]);
    expect(await drainQueue(p, p.queueUrls.publishDlq)).toHaveLength(0);
    expect(await drainQueue(p, p.queueUrls.delayDlq)).toHaveLength(0);
  }, 40_000);
});
