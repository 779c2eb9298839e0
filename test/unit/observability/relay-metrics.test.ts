import { marshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { JobRecord } from '../../../lambdas/domain/job.ts';
import { ACCOUNT, TENANT } from '../builders.ts';
import type { fakeDeps } from '../fakes.ts';
import { captureOutput, freshPowertools, logRecords, metricPoints, metricSum, type Captured } from './powertools-output.ts';

/**
 * The outbox relay (relay-outbox) through Powertools: every status change is one INFO line with the
 * job's keys and from → to, and the job-level metrics (events published, dispatched, succeeded, failed by
 * route, cancelled, retries by outcome, end-to-end time) come from the changes it relays.
 */

const NOW = '2026-03-01T12:00:00.000Z';
const at = (ms: number) => new Date(Date.parse(NOW) + ms);

let deps: ReturnType<typeof fakeDeps>;
let handler: (event: DynamoDBStreamEvent) => Promise<DynamoDBBatchResponse>;
let b: typeof import('../builders.ts');
let transition: typeof import('../../../lambdas/domain/job.ts')['transition'];
let toItem: typeof import('../../../lambdas/adapters/dynamo-job-item.ts')['toItem'];
let f: typeof import('../fakes.ts');
let out: Captured;

beforeAll(async () => {
  freshPowertools();
  vi.doMock('../../../lambdas/common/deps/jobs.ts', () => ({
    jobStore: () => deps.jobs,
    jobQueue: () => deps.queue,
    eventPublisher: () => deps.events,
    clock: { now: () => deps.clock.now() },
  }));
  ({ handler } = (await import('../../../lambdas/relay-outbox/handler.ts')) as never);
  b = await import('../builders.ts');
  ({ transition } = await import('../../../lambdas/domain/job.ts'));
  ({ toItem } = await import('../../../lambdas/adapters/dynamo-job-item.ts'));
  f = await import('../fakes.ts');
});
afterAll(() => {
  vi.doUnmock('../../../lambdas/common/deps/jobs.ts');
  vi.unstubAllEnvs();
  vi.resetModules();
});
beforeEach(() => {
  deps = f.fakeDeps(NOW);
  out = captureOutput();
});
afterEach(() => out.restore());

let sequence = 0;
const image = (record: JobRecord) => marshall(toItem(record, 30), { removeUndefinedValues: true }) as never;

/** One stream record per change (before → after, before null for an insert); the job as it is now is in the store. */
function changes(...pairs: [JobRecord | null, JobRecord][]): DynamoDBStreamEvent {
  const records: DynamoDBRecord[] = pairs.map(([before, after]) => ({
    eventID: `ev-${++sequence}`,
    eventName: before ? 'MODIFY' : 'INSERT',
    dynamodb: {
      Keys: { pk: { S: `JOB#${after.tenantId}#${after.job.id}` } },
      ...(before ? { OldImage: image(before) } : {}),
      NewImage: image(after),
      SequenceNumber: String(sequence),
    },
  }));
  for (const [, after] of pairs) deps.jobs.seed(after);
  return { Records: records };
}

const running = () =>
  transition(b.jobRecord({ now: NOW }), 'running', at(1000), {
    attempt_count: 1,
    attempts: [
      {
        number: 1,
        started_at: at(1000).toISOString(),
        finished_at: null,
        outcome: null,
        http_status: null,
        error_code: null,
        error_message: null,
        retry_at: null,
      },
    ],
  });
const finished = (record: JobRecord, outcome: 'succeeded' | 'retry_now' | 'needs_human', http: number | null) => ({
  attempts: record.job.attempts.map((a) => ({ ...a, finished_at: at(3000).toISOString(), outcome, http_status: http })),
});

describe('relay-outbox: one INFO line per status change', () => {
  it('logs from → to with the job keys, the attempt and its outcome; relays the event and the message', async () => {
    const created = b.jobRecord({ now: NOW, key: 'cms-relay' });
    const claimed = running();
    const retry = transition(claimed, 'retry_scheduled', at(3000), {
      ...finished(claimed, 'retry_now', 503),
      next_attempt_at: at(8000).toISOString(),
    });

    await expect(handler(changes([null, created], [claimed, retry]))).resolves.toEqual({ batchItemFailures: [] });

    const lines = logRecords(out.lines).filter((l) => l.message === 'job status changed');
    expect(lines).toEqual([
      expect.objectContaining({
        level: 'INFO',
        job_id: created.job.id,
        tenant_id: TENANT,
        account_id: ACCOUNT,
        idempotency_key: 'cms-relay',
        from: 'none',
        to: 'queued',
        dispatched: true,
      }),
      expect.objectContaining({
        level: 'INFO',
        job_id: claimed.job.id,
        tenant_id: TENANT,
        from: 'running',
        to: 'retry_scheduled',
        attempt: 1,
        outcome: 'retry_now',
      }),
    ]);
    expect(lines[0]).not.toHaveProperty('outcome');
    expect(metricSum(out.lines, 'JobEventsPublished', { source: 'relay' })).toBe(2);
    expect(metricSum(out.lines, 'JobEventsPublished')).toBe(2);
    expect(metricSum(out.lines, 'JobsDispatched')).toBe(2);
    expect(metricSum(out.lines, 'RetriesScheduled', { outcome: 'retry_now' })).toBe(1);
  });

  it('a change of version without a change of status (a re-dispatch) is logged as such, with no event', async () => {
    const created = b.jobRecord({ now: NOW });
    const redispatched = { ...created, version: created.version + 1 };

    await handler(changes([created, redispatched]));

    expect(logRecords(out.lines).filter((l) => String(l.message).startsWith('job '))).toEqual([
      expect.objectContaining({ message: 'job re-dispatched', job_id: created.job.id, status: 'queued', dispatched: true }),
    ]);
    expect(metricSum(out.lines, 'JobEventsPublished')).toBe(0);
  });

  it('a rewrite of the same version (an outbox confirmation) logs and counts nothing', async () => {
    const created = b.jobRecord({ now: NOW });

    await handler(changes([created, created]));

    expect(logRecords(out.lines).filter((l) => l.level === 'INFO')).toEqual([]);
    expect(metricPoints(out.lines)).toEqual([]);
  });
});

describe('relay-outbox: job-level metrics', () => {
  it('succeeded, failed by route and cancelled, each with its end-to-end time', async () => {
    const claimed = running();
    const succeeded = transition(claimed, 'succeeded', at(4000), {
      ...finished(claimed, 'succeeded', 201),
      result: { pin_id: '1', pin_url: 'https://www.pinterest.com/pin/1/', verified: false },
    });
    const other = transition(b.jobRecord({ now: NOW, key: 'cms-2' }), 'running', at(1000));
    const failed = transition(other, 'failed', at(6000), {
      failure: {
        route: 'ops',
        reason: 'board_not_found',
        http_status: 404,
        error_code: 40,
        message: 'not found',
        remediation: 'check the board',
      },
    });
    const queued = b.jobRecord({ now: NOW, key: 'cms-3' });
    const cancelled = transition(queued, 'cancelled', at(9000));

    await handler(changes([claimed, succeeded], [other, failed], [queued, cancelled]));

    expect(metricSum(out.lines, 'JobsSucceeded')).toBe(1);
    expect(metricSum(out.lines, 'JobsFailed', { route: 'ops' })).toBe(1);
    expect(metricSum(out.lines, 'JobsFailed')).toBe(1);
    expect(metricSum(out.lines, 'JobsCancelled')).toBe(1);
    const endToEnd = (status: string) =>
      metricPoints(out.lines).find((p) => p.name === 'EndToEndDuration' && p.dimensions.status === status);
    expect(endToEnd('succeeded')).toMatchObject({ unit: 'Milliseconds', values: [4000] });
    expect(endToEnd('failed')).toMatchObject({ values: [6000] });
    expect(endToEnd('cancelled')).toMatchObject({ values: [9000] });
    expect(logRecords(out.lines).find((l) => l.to === 'failed')).toMatchObject({ route: 'ops', reason: 'board_not_found' });
  });

  it('a change the relay cannot publish is a JobChangesFailed and no status line', async () => {
    const created = b.jobRecord({ now: NOW });
    deps.events.unavailable = new Error('EventBridge unavailable');

    const response = await handler(changes([null, created]));

    expect(response.batchItemFailures).toHaveLength(1);
    expect(metricSum(out.lines, 'JobChangesFailed')).toBe(1);
    expect(metricSum(out.lines, 'JobEventsPublished')).toBe(0);
    expect(logRecords(out.lines).filter((l) => l.message === 'job status changed')).toEqual([]);
  });
});
