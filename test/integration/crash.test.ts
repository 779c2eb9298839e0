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
      listBoardPins: (...args) => real.listBoardPins(...args),
      refreshAccessToken: (...args) => real.refreshAccessToken(...args),
      createPin: async (token, pin) => {
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
