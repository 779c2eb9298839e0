import type { Context, SQSEvent, SQSBatchResponse } from 'aws-lambda';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { JobRecord } from '../../../lambdas/domain/job.ts';
import type { PinterestPin } from '../../../lambdas/use-cases/ports.ts';
import { ACCOUNT, TENANT } from '../builders.ts';
import type { fakePublishDeps, Step } from '../fakes.ts';
import { captureOutput, freshPowertools, logRecords, metricPoints, metricSum, TEST_NAMESPACE, type Captured } from './powertools-output.ts';

/**
 * The publish-pin handler, through Powertools: one delivery per outcome class and the EMF it prints
 * (metric names and dimensions from definitions/metrics.ts), plus the attempt's log line.
 */

const NOW = '2026-03-01T12:10:00.000Z';
const QUEUED_FOR_MS = 1500;

let deps: ReturnType<typeof fakePublishDeps>;
let handler: (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>;
let out: Captured;
// Loaded with the handler, after the reset: Pinterest errors must be the classes the worker's modules test for.
let b: typeof import('../builders.ts');
let f: typeof import('../fakes.ts');

beforeAll(async () => {
  freshPowertools();
  vi.doMock('../../../lambdas/common/deps/publish.ts', () => ({ publishDeps: async () => deps }));
  ({ handler } = await import('../../../lambdas/publish-pin/handler.ts'));
  b = await import('../builders.ts');
  f = await import('../fakes.ts');
});
afterAll(() => {
  vi.doUnmock('../../../lambdas/common/deps/publish.ts');
  vi.unstubAllEnvs();
  vi.resetModules();
});

beforeEach(() => {
  deps = f.fakePublishDeps(NOW);
  deps.tenants.accounts.set(`${TENANT}/${ACCOUNT}`, f.accountRecord(TENANT, ACCOUNT, NOW));
  out = captureOutput();
});
afterEach(() => out.restore());

/** A long-running invocation: the worker never defers for lack of time. */
const context = (): Context => ({ ...b.lambdaContext('pinrelay-publish-pin'), getRemainingTimeInMillis: () => 800_000 });

function deliveryOf(record: JobRecord): SQSEvent {
  return {
    Records: [
      {
        messageId: 'msg-1',
        receiptHandle: 'rh-1',
        body: JSON.stringify(b.jobMessage(record)),
        attributes: {
          ApproximateReceiveCount: '1',
          SentTimestamp: '1772366400000',
          SenderId: 'AIDAEXAMPLE',
          ApproximateFirstReceiveTimestamp: '1772366400000',
          MessageGroupId: `${TENANT}#${ACCOUNT}`,
          MessageDeduplicationId: 'dedupe-1',
          SequenceNumber: '1',
        },
        messageAttributes: {},
        md5OfBody: '',
        eventSource: 'aws:sqs',
        eventSourceARN: 'arn:aws:sqs:eu-west-1:123456789012:pinrelay-publish.fifo',
        awsRegion: 'eu-west-1',
      },
    ],
  };
}

/** A queued job (queued at NOW), delivered QUEUED_FOR_MS later; Pinterest answers the create with `answer()`. */
async function deliver(answer: () => Step<PinterestPin>): Promise<JobRecord> {
  const record = b.jobRecord({ now: NOW });
  deps.jobs.seed(record);
  deps.pinterest.creates.push(answer());
  deps.clock.advance(QUEUED_FOR_MS);
  await expect(handler(deliveryOf(record), context())).resolves.toEqual({ batchItemFailures: [] });
  return deps.jobs.stored(TENANT, record.job.id)!;
}

const sorted = <T>(items: T[]) => items.map((i) => JSON.stringify(i)).sort();

describe('publish-pin metrics: one attempt of each outcome class', () => {
  it.each([
    ['succeeded', () => b.pinterestPin()],
    ['retry_now', () => b.httpError(503)],
    ['retry_later', () => b.httpError(429, { code: 8, retryAfterSeconds: 30 })],
    ['unknown', () => b.transportError('after_send')],
    ['needs_human', () => b.httpError(404, { code: 40 })],
    ['stop', () => b.httpError(400)],
    ['bug', () => b.httpError(302)],
  ] as const)('%s: Attempts{outcome} and its total, queue wait, the create timed', async (outcome, answer) => {
    const stored = await deliver(answer);

    expect(stored.job.attempts.at(-1)!.outcome).toBe(outcome);
    expect(metricSum(out.lines, 'Attempts', { outcome })).toBe(1);
    expect(metricSum(out.lines, 'Attempts')).toBe(1);
    expect(
      metricPoints(out.lines).filter(
        (p) => p.name === 'Attempts' && p.dimensions.outcome !== undefined && p.dimensions.outcome !== outcome,
      ),
    ).toEqual([]);
    expect(metricPoints(out.lines).find((p) => p.name === 'QueueWait')).toMatchObject({ unit: 'Milliseconds', values: [QUEUED_FOR_MS] });
    expect(
      sorted(
        metricPoints(out.lines)
          .filter((p) => p.name === 'PinterestCallDuration')
          .map((p) => p.dimensions),
      ),
    ).toEqual(sorted([{ service: 'pinrelay' }, { service: 'pinrelay', call: 'create_pin' }]));
    // One namespace for all of it: the stage's.
    expect(new Set(metricPoints(out.lines).map((p) => p.namespace))).toEqual(new Set([TEST_NAMESPACE]));
    // No job, tenant or account id ever becomes a dimension.
    for (const point of metricPoints(out.lines)) expect(JSON.stringify(point.dimensions)).not.toMatch(/job_|ten_|acme/);
  });

  it('a 429 is counted with or without Retry-After', async () => {
    await deliver(() => b.httpError(429, { code: 8, retryAfterSeconds: 30 }));
    await deliver(() => b.httpError(429, { code: 8 }));

    expect(metricSum(out.lines, 'PinterestRateLimited', { retry_after: 'present' })).toBe(1);
    expect(metricSum(out.lines, 'PinterestRateLimited', { retry_after: 'absent' })).toBe(1);
    expect(metricSum(out.lines, 'PinterestRateLimited')).toBe(2);
  });

  it('a crash after the claim is an attempt and a WorkerCrashes', async () => {
    await deliver(() => () => {
      throw new TypeError('cannot read properties of undefined');
    });

    expect(metricSum(out.lines, 'WorkerCrashes')).toBe(1);
    expect(metricSum(out.lines, 'Attempts', { outcome: 'unknown' })).toBe(1);
  });

  it('a pacing hold and a stale delivery are counted, with no attempt', async () => {
    deps.pacer.answers.push({ granted: false, waitMs: 20_000, slotMs: Date.parse(NOW) + 20_000 });
    const record = b.jobRecord({ now: NOW });
    deps.jobs.seed(record);
    await handler(deliveryOf(record), context());
    await handler(deliveryOf({ ...record, version: record.version + 1 }), context());

    expect(metricSum(out.lines, 'PacingHolds')).toBe(1);
    expect(metricSum(out.lines, 'DeliveriesSkipped')).toBe(1);
    expect(metricSum(out.lines, 'Attempts')).toBe(0);
  });

  it('a recovered lease is an unknown attempt without a queue wait (the attempt began in an earlier delivery)', async () => {
    const record = b.claimedRecord({ startedAt: '2026-03-01T12:00:00.000Z', leaseUntil: '2026-03-01T12:01:00.000Z' });
    deps.jobs.seed(record);
    await handler(deliveryOf(record), context());

    expect(metricSum(out.lines, 'Attempts', { outcome: 'unknown' })).toBe(1);
    expect(metricPoints(out.lines).filter((p) => p.name === 'QueueWait')).toEqual([]);
  });
});

describe('publish-pin logs', () => {
  it('one line per attempt with the job keys, the attempt number and its outcome; the keys do not leak into the next record', async () => {
    const stored = await deliver(() => b.httpError(503));

    const lines = logRecords(out.lines);
    expect(lines.filter((l) => l.message === 'attempt recorded')).toEqual([
      expect.objectContaining({
        level: 'INFO',
        job_id: stored.job.id,
        tenant_id: TENANT,
        account_id: ACCOUNT,
        idempotency_key: stored.job.idempotency_key,
        attempt: 1,
        outcome: 'retry_now',
        status: 'retry_scheduled',
        http_status: 503,
      }),
    ]);

    out.clear();
    deps.pacer.answers.push({ granted: false, waitMs: 20_000 });
    const other = b.jobRecord({ now: NOW, key: 'cms-9000' });
    deps.jobs.seed(other);
    await handler(deliveryOf(other), context());
    const paced = logRecords(out.lines).find((l) => l.message === 'paced');
    expect(paced).toMatchObject({ job_id: other.job.id, tenant_id: TENANT });
    expect(paced).not.toHaveProperty('account_id');
    expect(paced).not.toHaveProperty('idempotency_key');
  });
});
