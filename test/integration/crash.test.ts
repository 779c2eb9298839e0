import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Job } from '../../lambdas/api/schemas.ts';
import type { PinterestApi } from '../../lambdas/adapters/pinterest-client.ts';
import { PUBLISH_QUEUE } from '../../lib/definitions/queues.ts';
import type { Pipeline } from '../../local/pipeline.ts';
import { callerFor, drainQueue, testPipeline, type Caller } from './harness.ts';

/**
 * A worker that dies mid-attempt, right after Pinterest created the pin: nothing is recorded, the
 * message comes back after its visibility timeout, the lease has expired, so the attempt counts as
 * unknown and the board is checked before any new create. Visibility and lease are shortened (3 s / 2 s)
 * so the recovery happens within the test; in AWS they are 180 s / 60 s.
 */
let pipeline: Pipeline;
let api: Caller;
let crashes = 0;

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
        if (pin.title === 'always crashes') throw new SimulatedCrash('a handler bug that fails every time');
        const created = await real.createPin(token, pin);
        if (pin.title === 'crash after create' && crashes === 0) {
          crashes++;
          throw new SimulatedCrash('the worker process died after Pinterest created the pin');
        }
        return created;
      },
    }),
  });
  api = callerFor(pipeline, pipeline.apiKey);
});

afterAll(async () => {
  await pipeline?.stop();
});

it('a worker crash after the create ⇒ the job still ends succeeded with exactly one pin', async () => {
  const sandbox = pipeline.sandbox!;
  const tokens = sandbox.addUser({ username: 'crashy', boards: ['777'] });
  await api('PUT', '/v1/accounts/crashy', { body: { access_token: tokens.accessToken, refresh_token: tokens.refreshToken } });
  const created = await api('POST', '/v1/pins', {
    body: { account_id: 'crashy', board_id: '777', title: 'crash after create', link: 'https://e.com/crash', media_source: { source_type: 'image_url', url: 'https://e.com/c.jpg' } },
    headers: { 'Idempotency-Key': 'crash-1' },
  });
  expect(created.status).toBe(202);

  let job: Job;
  const deadline = Date.now() + 30_000;
  do {
    await new Promise((r) => setTimeout(r, 200));
    job = (await api('GET', `/v1/jobs/${created.body.id}`)).body as Job;
  } while (job.status !== 'succeeded' && job.status !== 'failed' && Date.now() < deadline);

  expect(crashes).toBe(1);
  expect(job.status).toBe('succeeded');
  expect(sandbox.pins({ boardId: '777' })).toHaveLength(1);
  expect(job.result).toMatchObject({ pin_id: sandbox.pins({ boardId: '777' })[0]!.id, verified: true });
  expect(job.attempts[0]).toMatchObject({ outcome: 'unknown', error_message: expect.stringContaining('lease expired') });
  expect(await drainQueue(pipeline, pipeline.queueUrls.publishDlq)).toHaveLength(0);
}, 45_000);

it('only poison reaches the DLQ: an unparseable message and a job whose handler crashes every time, traceable to the job', async () => {
  const sandbox = pipeline.sandbox!;
  const tokens = sandbox.addUser({ username: 'poison', boards: ['778'] });
  await api('PUT', '/v1/accounts/poison', { body: { access_token: tokens.accessToken, refresh_token: tokens.refreshToken } });
  const created = await api('POST', '/v1/pins', {
    body: { account_id: 'poison', board_id: '778', title: 'always crashes', media_source: { source_type: 'image_url', url: 'https://e.com/p.jpg' } },
    headers: { 'Idempotency-Key': 'poison-1' },
  });
  const { SQSClient, SendMessageCommand } = await import('@aws-sdk/client-sqs');
  const sqs = new SQSClient({ endpoint: pipeline.endpoints.sqs, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
  await sqs.send(new SendMessageCommand({ QueueUrl: pipeline.queueUrls.publish, MessageBody: '{not json', MessageGroupId: 'garbage', MessageDeduplicationId: 'garbage-1' }));

  const deadline = Date.now() + 60_000;
  const parked: Awaited<ReturnType<typeof drainQueue>> = [];
  while (Date.now() < deadline) {
    parked.push(...(await drainQueue(pipeline, pipeline.queueUrls.publishDlq))); // received messages stay hidden
    if (parked.length >= 2) break;
    await new Promise((r) => setTimeout(r, 1_000));
  }
  const bodies = parked.map((m) => m.Body);
  expect(bodies).toContain('{not json');
  const jobMessage = parked.find((m) => m.Body !== '{not json')!;
  expect(JSON.parse(jobMessage.Body!)).toMatchObject({ job_id: created.body.id, tenant_id: pipeline.tenantId });
  expect(Number(jobMessage.Attributes!['ApproximateReceiveCount'] ?? 0)).toBeGreaterThanOrEqual(1);
  // The job record still says where it stopped: running, attempt 1 unfinished (redrive the DLQ to resume).
  const job = (await api('GET', `/v1/jobs/${created.body.id}`)).body as Job;
  expect(job.status === 'running' || job.status === 'queued').toBe(true);
  expect(parked).toHaveLength(2); // nothing else was dead-lettered
}, 90_000);
