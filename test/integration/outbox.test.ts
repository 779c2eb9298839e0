import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { afterEach, describe, expect, it } from 'vitest';
import type { Job } from '../../lambdas/api/schemas.ts';
import { sqsClient } from '../../lambdas/common/clients.ts';
import type { Pipeline } from '../../local/pipeline.ts';
import { callerFor, drainQueue, pin, testPipeline, waitFor } from './harness.ts';

/**
 * No job may be written and never enqueued: intake only writes the job; the jobs-table stream relay sends
 * it, and a sweeper re-sends anything still unconfirmed (docs/adr/0001-outbox-for-enqueue.md; the job
 * events the same outbox publishes are tested in job-events.test.ts). Failures are injected at the SQS
 * client the relay uses (the production client, via SDK middleware) and by running without a relay.
 */
let pipeline: Pipeline | undefined;

afterEach(async () => {
  await pipeline?.stop();
  pipeline = undefined;
});

/** Makes the next `count` SendMessage calls of the handlers' SQS client fail before reaching SQS. */
function failSends(count: number): { remaining: () => number } {
  let left = count;
  sqsClient().middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName === 'SendMessageCommand' && left > 0) {
        left--;
        throw Object.assign(new Error('injected: SQS is unavailable'), { name: 'ServiceUnavailable', $fault: 'server' });
      }
      return next(args);
    },
    { step: 'initialize', name: 'injectSqsFailure', override: true },
  );
  return { remaining: () => left };
}

async function submit(p: Pipeline, key: string): Promise<string> {
  const api = callerFor(p, p.apiKey);
  expect((await api('PUT', '/v1/accounts/acme-main', { body: { access_token: 't' } })).status).toBe(200);
  const created = await api<Job>('POST', '/v1/pins', { body: pin(), headers: { 'Idempotency-Key': key } });
  expect(created.status).toBe(202);
  return created.body.id;
}

async function messagesFor(p: Pipeline, jobId: string) {
  return (await drainQueue(p, p.queueUrls.publish)).filter((m) => JSON.parse(m.Body!).job_id === jobId);
}

async function pendingMarker(p: Pipeline, jobId: string): Promise<boolean> {
  const dynamo = new DynamoDBClient({
    endpoint: p.endpoints.dynamodb,
    region: 'us-east-1',
    credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
  });
  const item = await dynamo.send(
    new GetItemCommand({ TableName: p.tableNames.jobs, Key: { pk: { S: `JOB#${p.tenantId}#${jobId}` } }, ConsistentRead: true }),
  );
  expect(item.Item).toBeDefined();
  return item.Item!.pending_enqueue_pk !== undefined;
}

/**
 * Sweeps until a sweep sends something, and returns how many messages that one sent: a sweep within the
 * 1 s grace sends nothing and changes nothing, so this waits for the grace without guessing its end.
 */
function sweepOnceGraceIsOver(p: Pipeline): Promise<number> {
  return waitFor(() => p.sweepNow(), {
    until: (sent) => sent > 0,
    what: 'a sweep that re-sends the job (once its 1 s grace is over)',
    timeoutMs: 10_000,
  });
}

describe('outbox', () => {
  it('still enqueues the job exactly once when SQS fails between the job write and the send', async () => {
    pipeline = await testPipeline({ worker: false });
    const injected = failSends(3);
    const jobId = await submit(pipeline, 'sqs-fails-3');
    await pipeline.relayDrained(20_000);

    expect(injected.remaining()).toBe(0); // the failures really happened
    const messages = await messagesFor(pipeline, jobId);
    expect(messages).toHaveLength(1);
    expect(JSON.parse(messages[0]!.Body!)).toEqual({ job_id: jobId, tenant_id: pipeline.tenantId, version: 1 });
    expect(await pendingMarker(pipeline, jobId)).toBe(false);
  });

  it('enqueues through the sweeper when the process died before any send (no relay running)', async () => {
    pipeline = await testPipeline({ worker: false, relay: false, sweeper: { intervalMs: 3_600_000, graceSeconds: 1 } });
    const jobId = await submit(pipeline, 'relay-dead');
    expect(await messagesFor(pipeline, jobId)).toHaveLength(0);
    expect(await pendingMarker(pipeline, jobId)).toBe(true);

    expect(await sweepOnceGraceIsOver(pipeline)).toBe(1);
    expect(await messagesFor(pipeline, jobId)).toHaveLength(1);
    expect(await pendingMarker(pipeline, jobId)).toBe(false);
    expect(await pipeline.sweepNow()).toBe(0); // confirmed: nothing left to re-send
  });

  it('parks a batch the relay gave up on in the outbox DLQ and the sweeper still enqueues the job', async () => {
    pipeline = await testPipeline({ worker: false, relayRetryAttempts: 1, sweeper: { intervalMs: 3_600_000, graceSeconds: 1 } });
    const injected = failSends(2); // first try + one retry
    const jobId = await submit(pipeline, 'relay-gives-up');
    await pipeline.relayDrained(20_000);
    expect(injected.remaining()).toBe(0);

    const parked = await drainQueue(pipeline, pipeline.queueUrls.outboxDlq);
    expect(parked).toHaveLength(1);
    expect(JSON.parse(parked[0]!.Body!)).toMatchObject({
      condition: 'RetryAttemptsExhausted',
      keys: [{ pk: { S: `JOB#${pipeline.tenantId}#${jobId}` } }],
    });
    expect(await messagesFor(pipeline, jobId)).toHaveLength(0);

    expect(await sweepOnceGraceIsOver(pipeline)).toBe(1);
    expect(await messagesFor(pipeline, jobId)).toHaveLength(1);
  });

  it('holds a scheduled job in the delay queue instead of the publish queue', async () => {
    pipeline = await testPipeline({ worker: false });
    const api = callerFor(pipeline, pipeline.apiKey);
    await api('PUT', '/v1/accounts/acme-main', { body: { access_token: 't' } });
    const created = await api<Job>('POST', '/v1/pins', {
      body: pin({ publish_at: new Date(Date.now() + 3_600_000).toISOString() }),
      headers: { 'Idempotency-Key': 'scheduled-hold' },
    });
    expect(created.body.status).toBe('scheduled');
    await pipeline.relayDrained();
    expect(await messagesFor(pipeline, created.body.id)).toHaveLength(0);
    expect(await pendingMarker(pipeline, created.body.id)).toBe(false);
    // An hour ahead is beyond one 900 s hop: the message is delayed, not visible yet.
    expect(await drainQueue(pipeline, pipeline.queueUrls.delay)).toHaveLength(0);
  });
});
