import { GetQueueAttributesCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Job } from '../../lambdas/api/schemas.ts';
import type { PinterestApi } from '../../lambdas/use-cases/ports.ts';
import { PUBLISH_QUEUE } from '../../definitions/queues.ts';
import type { Pipeline } from '../../local/pipeline.ts';
import { callerFor, drainQueue, testPipeline, waitFor, waitForJob, type Caller } from './harness.ts';

/**
 * Workers that crash. Two kinds:
 * - a worker that DIES (killed, out of memory, timed out) records nothing: its message comes back after the
 *   visibility timeout, the lease has expired, and the redelivery records the attempt as unknown;
 * - a worker whose code THROWS after the claim records the crash itself, at once, as retry_now (nothing
 *   was sent) or unknown (a create may have left), and fails the job to engineering after the run's crash
 *   budget — the message is acknowledged either way, so a crash never adds a message.
 * Visibility and lease are shortened (3 s / 2 s) so recoveries happen within the test; in AWS they are
 * 180 s / 60 s.
 */
let pipeline: Pipeline;
let api: Caller;
let sqs: SQSClient;
const creates = new Map<string, number>();

class SimulatedCrash extends Error {}

beforeAll(async () => {
  pipeline = await testPipeline({
    retry: { baseSeconds: 0.5, maxAttempts: 5 },
    pacing: { accountPerMinute: 600, appPerSecond: 100 },
    queueVisibilityOverrides: { [PUBLISH_QUEUE.logicalName]: 3 },
    workerLeaseSeconds: 2,
    wrapPinterest: (real: PinterestApi): PinterestApi => ({
      ...real,
      listBoardPins: async (...args) => {
        if (args[1] === '778') throw new SimulatedCrash('a handler bug that fails every time');
        return real.listBoardPins(...args);
      },
      refreshAccessToken: (...args) => real.refreshAccessToken(...args),
      createPin: async (token, pin) => {
        const title = pin.title ?? '';
        const n = (creates.get(title) ?? 0) + 1;
        creates.set(title, n);
        if (title === 'always crashes') throw new SimulatedCrash('a handler bug that fails every time');
        const created = await real.createPin(token, pin);
        if (title === 'throw after create' && n === 1) throw new SimulatedCrash('our code failed after Pinterest created the pin');
        if (title === 'die after create' && n === 1) {
          // The process "dies": nothing is recorded until long after the lease and the visibility timeout.
          await new Promise((r) => setTimeout(r, 10_000));
          throw new SimulatedCrash('the dead worker woke up');
        }
        return created;
      },
    }),
  });
  api = callerFor(pipeline, pipeline.apiKey);
  sqs = new SQSClient({ endpoint: pipeline.endpoints.sqs, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
});

afterAll(async () => {
  await pipeline?.stop();
});

async function connect(username: string, board: string) {
  const tokens = pipeline.sandbox!.addUser({ username, boards: [board] });
  await api('PUT', `/v1/accounts/${username}`, { body: { access_token: tokens.accessToken, refresh_token: tokens.refreshToken } });
}

async function submit(account: string, board: string, title: string, key: string): Promise<string> {
  const created = await api<Job>('POST', '/v1/pins', {
    body: {
      account_id: account,
      board_id: board,
      title,
      link: `https://e.com/${key}`,
      media_source: { source_type: 'image_url', url: 'https://e.com/c.jpg' },
    },
    headers: { 'Idempotency-Key': key },
  });
  expect(created.status).toBe(202);
  return created.body.id;
}

async function messagesOn(queueUrl: string): Promise<number> {
  const out = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: queueUrl,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible', 'ApproximateNumberOfMessagesDelayed'],
    }),
  );
  const a = out.Attributes ?? {};
  return (
    Number(a.ApproximateNumberOfMessages ?? 0) +
    Number(a.ApproximateNumberOfMessagesNotVisible ?? 0) +
    Number(a.ApproximateNumberOfMessagesDelayed ?? 0)
  );
}

it('a worker that dies after the create (nothing recorded, lease expires) ⇒ succeeded with exactly one pin, verified', async () => {
  await connect('dying', '776');
  const id = await submit('dying', '776', 'die after create', 'die-1');

  const job = await waitForJob(api, id, 40_000);

  expect(job.status).toBe('succeeded');
  const pins = pipeline.sandbox!.pins({ boardId: '776' });
  expect(pins).toHaveLength(1);
  expect(job.result).toMatchObject({ pin_id: pins[0]!.id, verified: true });
  expect(job.attempts[0]).toMatchObject({ outcome: 'unknown', error_message: expect.stringContaining('lease expired') });
  expect(job.status_history.map((h) => h.status)).toEqual(['queued', 'running', 'retry_scheduled', 'queued', 'running', 'succeeded']);
}, 60_000);

it('an exception after the create ⇒ recorded at once as unknown, then verified: one pin', async () => {
  await connect('crashy', '777');
  const id = await submit('crashy', '777', 'throw after create', 'crash-1');

  const job = await waitForJob(api, id, 30_000);

  expect(job.status).toBe('succeeded');
  expect(pipeline.sandbox!.pins({ boardId: '777' })).toHaveLength(1);
  expect(job.result).toMatchObject({ pin_id: pipeline.sandbox!.pins({ boardId: '777' })[0]!.id, verified: true });
  expect(job.attempts[0]).toMatchObject({
    outcome: 'unknown',
    error_message: expect.stringContaining('after sending the create: Error: our code failed after Pinterest created the pin'),
  });
  expect(creates.get('throw after create')).toBe(1);
}, 45_000);

it('a handler that crashes every time ends failed/engineering after the crash budget, without multiplying messages; only poison reaches the DLQ', async () => {
  await connect('poison', '778');
  const id = await submit('poison', '778', 'always crashes', 'poison-1');
  await sqs.send(
    new SendMessageCommand({
      QueueUrl: pipeline.queueUrls.publish,
      MessageBody: '{not json',
      MessageGroupId: 'garbage',
      MessageDeduplicationId: 'garbage-1',
    }),
  );

  const job: Job = await waitForJob(api, id, 60_000);

  expect(job.status).toBe('failed');
  expect(job.failure).toMatchObject({ route: 'engineering', reason: 'handler_exception' });
  expect(job.failure!.message).toMatch(/crash 3 of at most 3/);
  expect(job.failure!.message).toContain('a handler bug that fails every time');
  // Attempt 1 crashed in the create (unknown); attempts 2 and 3 crashed verifying it, before any create.
  expect(job.attempts.map((a) => a.outcome)).toEqual(['unknown', 'retry_now', 'bug']);
  expect(creates.get('always crashes')).toBe(1);

  // Nothing left behind for the job: no stray message on the publish or delay queue.
  expect(await messagesOn(pipeline.queueUrls.delay)).toBe(0);
  const parked = await waitFor(() => drainQueue(pipeline, pipeline.queueUrls.publishDlq), {
    until: (messages) => messages.length > 0,
    what: 'the garbage message in the publish DLQ',
    everyMs: 500,
  });
  expect(parked.map((m) => m.Body)).toEqual(['{not json']); // the poison only
  expect(await messagesOn(pipeline.queueUrls.publish)).toBe(0);
}, 120_000);
