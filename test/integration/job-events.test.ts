import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { JobEvent } from '../../lambdas/api/events.ts';
import type { Job } from '../../lambdas/api/schemas.ts';
import { EVENT_ID_PATTERN, eventIdFor } from '../../lambdas/domain/events.ts';
import { eventsClient } from '../../lambdas/common/clients.ts';
import { SANDBOX_DEMO_USER, type Pipeline } from '../../local/pipeline.ts';
import type { BusEvent } from '../../local/stand-ins/eventbridge.ts';
import { callerFor, drainQueue, pin, testPipeline, waitFor, waitForJob } from './harness.ts';

/**
 * Every job status change becomes one event on the pinrelay bus, at least once (docs/adr/0001-outbox-for-enqueue.md),
 * over the real pipeline: DynamoDB Local's stream, the relay, the sweeper, the EventBridge stand-in
 * (`pipeline.events`). Failures are injected at the EventBridge client the handlers use (SDK middleware),
 * or by running without a relay at all (a relay that died between the status write and the publish).
 */
let pipeline: Pipeline | undefined;

afterEach(async () => {
  await pipeline?.stop();
  pipeline = undefined;
});

/** Status change → accepted on the bus, in ms, for every event the relay published in these tests. */
const latencies: number[] = [];

afterAll(() => {
  if (latencies.length === 0) return;
  const sorted = [...latencies].sort((a, b) => a - b);
  const pct = (p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
  console.info(`status change → event on the bus: n=${sorted.length} p50=${pct(50)} ms p99=${pct(99)} ms max=${sorted.at(-1)} ms`);
});

/** The job's events on the pipeline's bus, in acceptance order. */
function eventsOf(p: Pipeline, jobId: string): BusEvent[] {
  return p.events
    .events(process.env.EVENT_BUS_NAME)
    .filter((e) => e.event.source === 'pinrelay' && (e.event.detail as { data?: { job?: { id?: string } } }).data?.job?.id === jobId);
}

const detailOf = (e: BusEvent) => e.event.detail as unknown as z.infer<typeof JobEvent>;

/**
 * Makes the next `count` PutEvents calls of the handlers' EventBridge client fail: `before` the bus sees
 * them (nothing published), or `after` it accepted them (published, but the caller sees an error: it retries).
 */
function failPutEvents(count: number, when: 'before' | 'after'): { remaining: () => number } {
  let left = count;
  eventsClient().middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName !== 'PutEventsCommand' || left <= 0) return next(args);
      left--;
      if (when === 'after') await next(args);
      throw Object.assign(new Error(`injected: EventBridge failed ${when} accepting the events`), {
        name: 'InternalException',
        $fault: 'server',
      });
    },
    { step: 'initialize', name: 'injectPutEventsFailure', override: true },
  );
  return { remaining: () => left };
}

/** Connects the sandbox's demo user as account `demo` (or another sandbox user's tokens as `accountId`). */
async function connect(p: Pipeline, accountId = 'demo', tokens: { accessToken: string; refreshToken: string } = SANDBOX_DEMO_USER) {
  const api = callerFor(p, p.apiKey);
  const put = await api('PUT', `/v1/accounts/${accountId}`, {
    body: { access_token: tokens.accessToken, refresh_token: tokens.refreshToken },
  });
  expect(put.status).toBe(200);
  return api;
}

async function submit(p: Pipeline, key: string, accountId = 'demo', boardId: string = SANDBOX_DEMO_USER.boards[0]): Promise<Job> {
  const api = callerFor(p, p.apiKey);
  const created = await api('POST', '/v1/pins', {
    body: pin({ account_id: accountId, board_id: boardId, link: `https://shop.example.com/${key}` }),
    headers: { 'Idempotency-Key': key },
  });
  expect(created.status).toBe(202);
  return created.body as Job;
}

async function outboxMarked(p: Pipeline, jobId: string): Promise<boolean> {
  const dynamo = new DynamoDBClient({
    endpoint: p.endpoints.dynamodb,
    region: 'us-east-1',
    credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
  });
  const item = await dynamo.send(
    new GetItemCommand({ TableName: p.tableNames.jobs, Key: { pk: { S: `JOB#${p.tenantId}#${jobId}` } }, ConsistentRead: true }),
  );
  return item.Item?.pending_enqueue_pk !== undefined;
}

/**
 * Sweeps until `done` says the sweep did its work (a sweep within the 1 s grace does nothing), and returns
 * what each sweep answered (messages re-sent).
 */
async function sweepUntil(p: Pipeline, done: () => Promise<boolean>, what: string): Promise<number[]> {
  const sent: number[] = [];
  await waitFor(
    async () => {
      sent.push(await p.sweepNow());
      return done();
    },
    { what, timeoutMs: 10_000 },
  );
  return sent;
}

describe('job events', () => {
  it('a job that goes queued → running → succeeded yields exactly those events, in order, with the documented detail and no secrets', async () => {
    // Prepare
    pipeline = await testPipeline({ pacing: { accountPerMinute: 600, appPerSecond: 100 } });
    const api = await connect(pipeline);
    const served = await fetch(`${pipeline.apiUrl}/v1/events/schema.json`); // public: no API key
    expect(served.status).toBe(200);
    const schema = z.fromJSONSchema((await served.json()) as never);

    // Act
    const created = await submit(pipeline, 'events-happy');
    const job = await waitForJob(api, created.id);
    await pipeline.relayDrained(20_000);

    // Assess
    expect(job.status).toBe('succeeded');
    const events = eventsOf(pipeline, job.id);
    expect(events.map((e) => e.event['detail-type'])).toEqual(['job.queued', 'job.running', 'job.succeeded']);
    events.forEach((e, i) => {
      const detail = detailOf(e);
      const version = i + 1;
      expect(e.eventBusName).toBe(process.env.EVENT_BUS_NAME);
      expect(e.event.source).toBe('pinrelay');
      expect(detail).toEqual(JobEvent.parse(detail));
      expect(schema.safeParse(detail).success).toBe(true);
      expect(detail).toMatchObject({
        id: eventIdFor(pipeline!.tenantId, job.id, job.created_at, version),
        type: e.event['detail-type'],
        schema_version: 1,
        created_at: job.status_history[i]!.at,
        timestamp: Math.floor(Date.parse(job.status_history[i]!.at) / 1000),
        tenant_id: pipeline!.tenantId,
      });
      expect(detail.id).toMatch(EVENT_ID_PATTERN);
      expect(detail.data.job.status).toBe(job.status_history[i]!.status);
      expect(detail.data.job.updated_at).toBe(detail.created_at);
    });
    expect(detailOf(events[2]!).data.job).toEqual(job);
    const text = JSON.stringify(events);
    for (const secret of [
      SANDBOX_DEMO_USER.accessToken,
      SANDBOX_DEMO_USER.refreshToken,
      'secretsmanager',
      'access_token',
      'refresh_token',
    ]) {
      expect(text).not.toContain(secret);
    }
    expect(await outboxMarked(pipeline, job.id)).toBe(false);
  });

  it("20 jobs: 60 events, each job's in order (and the time from status change to the bus)", async () => {
    pipeline = await testPipeline({ pacing: { accountPerMinute: 6000, appPerSecond: 100 } });
    const accepted = new Map<string, number>();
    pipeline.events.onEvent((e) => void accepted.set(e.event.id, Date.now()));
    const api = await connect(pipeline);
    await connect(pipeline, 'second', pipeline.sandbox!.addUser({ username: 'second', boards: ['2222222222'] }));

    const jobs = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        i % 2 ? submit(pipeline!, `events-load-${i}`) : submit(pipeline!, `events-load-${i}`, 'second', '2222222222'),
      ),
    );
    for (const job of jobs) expect((await waitForJob(api, job.id)).status).toBe('succeeded');
    await pipeline.relayDrained(20_000);

    for (const job of jobs) {
      const events = eventsOf(pipeline, job.id);
      expect(events.map((e) => e.event['detail-type'])).toEqual(['job.queued', 'job.running', 'job.succeeded']);
      for (const e of events) latencies.push(accepted.get(e.event.id)! - Date.parse(detailOf(e).data.job.updated_at));
    }
    expect(latencies.every((ms) => ms >= 0 && ms < 10_000)).toBe(true);
  });

  it('a relay that died between the status write and the publish: the sweeper publishes the event, once', async () => {
    // Prepare: no relay at all, so nothing but the job write happened.
    pipeline = await testPipeline({ worker: false, relay: false, sweeper: { intervalMs: 3_600_000, graceSeconds: 1 } });
    await connect(pipeline);
    const job = await submit(pipeline, 'events-relay-dead');
    expect(await outboxMarked(pipeline, job.id)).toBe(true); // written, owed, and nothing runs that could publish it
    expect(eventsOf(pipeline, job.id)).toEqual([]);

    // Act
    const sent = await sweepUntil(
      pipeline,
      async () => eventsOf(pipeline!, job.id).length > 0,
      'a sweep past the grace to publish job.queued',
    );
    expect(sent.filter((n) => n > 0)).toEqual([1]);

    // Assess
    const events = eventsOf(pipeline, job.id);
    expect(events.map((e) => [e.event['detail-type'], detailOf(e).id])).toEqual([
      ['job.queued', eventIdFor(pipeline.tenantId, job.id, job.created_at, 1)],
    ]);
    expect(detailOf(events[0]!).data.job).toEqual(job);
    expect(await outboxMarked(pipeline, job.id)).toBe(false);
    expect(await pipeline.sweepNow()).toBe(0);
    expect(eventsOf(pipeline, job.id)).toHaveLength(1); // nothing left to publish
  });

  it('no relay while the job runs to the end: every status change is still published, in order, by the sweeper', async () => {
    pipeline = await testPipeline({
      relay: false,
      sweeper: { intervalMs: 3_600_000, graceSeconds: 1 },
      pacing: { accountPerMinute: 600, appPerSecond: 100 },
    });
    const api = await connect(pipeline);
    const created = await submit(pipeline, 'events-moved-on');

    // The message (and job.queued): the worker takes it from there.
    const first = await sweepUntil(
      pipeline,
      async () => eventsOf(pipeline!, created.id).length > 0,
      'a sweep past the grace to send the job',
    );
    expect(first.filter((n) => n > 0)).toEqual([1]);
    const job = await waitForJob(api, created.id);
    const rest = await sweepUntil(
      pipeline,
      async () => !(await outboxMarked(pipeline!, job.id)),
      'sweeps to publish the events of running and succeeded',
    );
    expect(rest.every((n) => n === 0)).toBe(true); // a terminal job owes no message

    expect(job.status).toBe('succeeded');
    const events = eventsOf(pipeline, job.id);
    expect(events.map((e) => [e.event['detail-type'], detailOf(e).id, detailOf(e).created_at])).toEqual(
      job.status_history.map((change, i) => [
        `job.${change.status}`,
        eventIdFor(pipeline!.tenantId, job.id, job.created_at, i + 1),
        change.at,
      ]),
    );
    expect(events.map((e) => e.event['detail-type'])).toEqual(['job.queued', 'job.running', 'job.succeeded']);
    expect(await outboxMarked(pipeline, job.id)).toBe(false);
  });

  it('PutEvents failing for the relay until it gives up: the message still goes once, the record reaches the outbox DLQ, the sweeper publishes the event', async () => {
    pipeline = await testPipeline({ worker: false, relayRetryAttempts: 1, sweeper: { intervalMs: 3_600_000, graceSeconds: 1 } });
    await connect(pipeline);
    const injected = failPutEvents(2, 'before'); // first try + one retry

    const job = await submit(pipeline, 'events-relay-gives-up');
    await pipeline.relayDrained(20_000);

    expect(injected.remaining()).toBe(0);
    expect(eventsOf(pipeline, job.id)).toEqual([]);
    const parked = await drainQueue(pipeline, pipeline.queueUrls.outboxDlq);
    expect(parked.map((m) => JSON.parse(m.Body!))).toEqual([
      expect.objectContaining({ condition: 'RetryAttemptsExhausted', keys: [{ pk: { S: `JOB#${pipeline.tenantId}#${job.id}` } }] }),
    ]);
    expect(await outboxMarked(pipeline, job.id)).toBe(true);

    const sent = await sweepUntil(
      pipeline,
      async () => eventsOf(pipeline!, job.id).length > 0,
      'a sweep past the grace to publish job.queued',
    );
    expect(sent.every((n) => n === 0)).toBe(true); // the message was sent and confirmed before the publish failed

    expect(eventsOf(pipeline, job.id).map((e) => detailOf(e).id)).toEqual([eventIdFor(pipeline.tenantId, job.id, job.created_at, 1)]);
    const messages = (await drainQueue(pipeline, pipeline.queueUrls.publish)).filter((m) => JSON.parse(m.Body!).job_id === job.id);
    expect(messages).toHaveLength(1);
    expect(await outboxMarked(pipeline, job.id)).toBe(false);
  });

  it('a change relayed twice (the bus accepted it, the relay saw an error and retried) publishes the same event id twice', async () => {
    pipeline = await testPipeline({ worker: false });
    await connect(pipeline);
    const injected = failPutEvents(1, 'after');

    const job = await submit(pipeline, 'events-twice');
    await pipeline.relayDrained(20_000);

    expect(injected.remaining()).toBe(0);
    const events = eventsOf(pipeline, job.id);
    expect(events).toHaveLength(2);
    expect(detailOf(events[0]!)).toEqual(detailOf(events[1]!)); // same detail, same id: receivers drop the copy
    expect(detailOf(events[0]!).id).toBe(eventIdFor(pipeline.tenantId, job.id, job.created_at, 1));
    expect(events[0]!.event.id).not.toBe(events[1]!.event.id); // two EventBridge events all the same
    expect(await outboxMarked(pipeline, job.id)).toBe(false);
  });

  it('a version bump without a status change (the reconciler re-dispatching) publishes nothing', async () => {
    pipeline = await testPipeline({ worker: false, reconciler: { intervalMs: 3_600_000, graceSeconds: 1 } });
    const api = await connect(pipeline);
    const job = await submit(pipeline, 'events-redispatch');
    await waitFor(() => eventsOf(pipeline!, job.id).length, { until: (n) => n === 1, what: 'job.queued on the bus', timeoutMs: 10_000 });

    // A reconciliation within the job's 1 s grace examines nothing: reconcile until one takes the job.
    const reconciled = await waitFor(() => pipeline!.reconcileNow(), {
      until: (r) => r.examined > 0,
      what: 'a reconciliation past the grace',
      timeoutMs: 10_000,
    });
    expect(reconciled).toMatchObject({ redispatched: 1 });
    await pipeline.relayDrained(20_000);

    const now = (await api('GET', `/v1/jobs/${job.id}`)).body as Job;
    expect(now.incidents.map((i) => i.kind)).toEqual(['redispatched']);
    expect(eventsOf(pipeline, job.id).map((e) => e.event['detail-type'])).toEqual(['job.queued']);
    expect(await outboxMarked(pipeline, job.id)).toBe(false);
  });
});
