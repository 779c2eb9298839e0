import { beforeEach, describe, expect, it } from 'vitest';
import { jobEventFor, jobEventOf, statusChangeOf } from '../../../lambdas/domain/events.ts';
import { JOB_STATUSES, transition, type JobRecord } from '../../../lambdas/domain/job.ts';
import { redispatched } from '../../../lambdas/domain/reconciliation.ts';
import { EventsNotPublishedError, inJobOrder, relayJobChange, sweepPendingOutbox } from '../../../lambdas/use-cases/outbox.ts';
import { jobRecord, T0, TENANT } from '../builders.ts';
import { fakeDeps } from '../fakes.ts';

const NOW = '2026-03-01T12:10:00.000Z';
let deps: ReturnType<typeof fakeDeps>;

beforeEach(() => {
  deps = fakeDeps(NOW);
});

const at = (ms: number) => new Date(Date.parse(T0) + ms).toISOString();
/** Writes `next` over the stored version, as the use cases do (the store adds what it owes). */
async function write(next: JobRecord, previous: JobRecord): Promise<JobRecord> {
  expect(await deps.jobs.replace(next, previous.version)).toBe(true);
  return next;
}
const eventsOf = () => deps.events.published.map((e) => [e.detailType, (e.detail as { id: string }).id]);

describe('relayJobChange', () => {
  it('an insert of a queued job: enqueues it, publishes job.queued, then confirms both', async () => {
    // Prepare
    const v1 = jobRecord();
    deps.jobs.seed(v1);
    const event = jobEventFor(null, v1)!;

    // Act
    const outcome = await relayJobChange(deps, { before: null, after: v1 });

    // Assess
    expect(outcome).toEqual({ dispatched: true, event });
    expect(deps.log).toEqual([
      `queue.enqueue ${v1.job.id} v1`,
      `events.publish job.queued ${event.id}`,
      `jobs.confirmOutbox ${v1.job.id} message 1, event 1 queued ${T0}`,
    ]);
    expect(deps.events.published).toEqual([{ detailType: 'job.queued', detail: event }]);
    expect(deps.jobs.outboxOf(TENANT, v1.job.id)).toEqual({ entries: [], marked: false });
  });

  it.each(['scheduled', 'retry_scheduled'] as const)(
    'a change to %s: holds it in the delay queue with the current time, and publishes its event',
    async (status) => {
      const record = jobRecord({ status });
      deps.jobs.seed(record);

      await relayJobChange(deps, { before: null, after: record });

      expect(deps.queue.sent).toEqual([{ kind: 'hold', record, now: new Date(NOW) }]);
      expect(eventsOf()).toEqual([[`job.${status}`, jobEventFor(null, record)!.id]]);
      expect(deps.jobs.outboxOf(TENANT, record.job.id).marked).toBe(false);
    },
  );

  it.each(JOB_STATUSES.filter((s) => !['queued', 'scheduled', 'retry_scheduled'].includes(s)))(
    'a change to %s: one event, no queue message',
    async (status) => {
      const after = jobRecord({ status });
      const before = { ...after, version: after.version - 1, job: { ...after.job, status: after.job.status_history.at(-2)!.status } };
      deps.jobs.seed(after);

      const outcome = await relayJobChange(deps, { before, after });

      expect(outcome).toEqual({ dispatched: false, event: jobEventFor(before, after) });
      expect(deps.queue.sent).toEqual([]);
      expect(eventsOf()).toEqual([[`job.${status}`, jobEventFor(before, after)!.id]]);
      expect(deps.jobs.outboxOf(TENANT, after.job.id)).toEqual({ entries: [], marked: false });
    },
  );

  it('a version bump without a status change (re-dispatch): a fresh message, no event', async () => {
    const v1 = jobRecord();
    deps.jobs.seed(v1, null);
    const v2 = await write(redispatched(v1, new Date(NOW), { maxRedispatches: 3 }), v1);

    const outcome = await relayJobChange(deps, { before: v1, after: v2 });

    expect(outcome).toEqual({ dispatched: true, event: null });
    expect(deps.queue.sent.map((s) => [s.kind, s.record.version])).toEqual([['enqueue', 2]]);
    expect(deps.events.published).toEqual([]);
    expect(deps.jobs.outboxOf(TENANT, v1.job.id).marked).toBe(false);
  });

  it.each([
    ['a rewrite of the same version (a marker, an incident)', jobRecord(), { ...jobRecord() }],
    ['a removal (TTL)', jobRecord({ status: 'succeeded' }), null],
  ])('does nothing for %s', async (_what, before, after) => {
    await expect(relayJobChange(deps, { before, after })).resolves.toEqual({ dispatched: false, event: null });
    expect(deps.log).toEqual([]);
  });

  it('a refused PutEvents entry fails the change; the message stays sent and confirmed, the event stays owed', async () => {
    // Prepare
    const v1 = jobRecord();
    deps.jobs.seed(v1);
    deps.events.refuse = () => 'InternalFailure';

    // Act
    const relayed = relayJobChange(deps, { before: null, after: v1 });

    // Assess
    await expect(relayed).rejects.toBeInstanceOf(EventsNotPublishedError);
    await expect(relayed).rejects.toThrow(/InternalFailure/);
    expect(deps.queue.sent).toHaveLength(1);
    expect(deps.jobs.outboxOf(TENANT, v1.job.id)).toEqual({ entries: [`event 1 queued ${T0}`], marked: true });
  });

  it('a bus that cannot be reached fails the change the same way', async () => {
    const v1 = jobRecord({ status: 'running' });
    deps.jobs.seed(v1);
    deps.events.unavailable = Object.assign(new Error('connect ETIMEDOUT'), { name: 'TimeoutError' });

    await expect(relayJobChange(deps, { before: jobRecord(), after: v1 })).rejects.toThrow('connect ETIMEDOUT');
    expect(deps.jobs.outboxOf(TENANT, v1.job.id).entries).toEqual([`event 2 running ${at(1000)}`]);
  });

  it('a failed send fails the change before anything is published or confirmed', async () => {
    const v1 = jobRecord();
    deps.jobs.seed(v1);
    deps.queue.enqueue = async () => {
      throw new Error('SQS unavailable');
    };

    await expect(relayJobChange(deps, { before: null, after: v1 })).rejects.toThrow('SQS unavailable');
    expect(deps.events.published).toEqual([]);
    expect(deps.jobs.isPending(TENANT, v1.job.id)).toBe(true);
    expect(deps.jobs.outboxOf(TENANT, v1.job.id).entries).toHaveLength(2);
  });

  it('the same change relayed twice publishes the same event id twice (receivers dedupe) and confirms harmlessly', async () => {
    const v1 = jobRecord();
    deps.jobs.seed(v1);

    await relayJobChange(deps, { before: null, after: v1 });
    await relayJobChange(deps, { before: null, after: structuredClone(v1) });

    const ids = deps.events.published.map((e) => (e.detail as { id: string }).id);
    expect(ids).toHaveLength(2);
    expect(ids[0]).toBe(ids[1]);
    expect(deps.jobs.outboxOf(TENANT, v1.job.id).marked).toBe(false);
  });

  it('a change relayed after the job moved on confirms only its own version; the newer one stays owed', async () => {
    const v1 = jobRecord();
    deps.jobs.seed(v1);
    const v2 = await write(transition(v1, 'running', new Date(at(1000))), v1);

    await relayJobChange(deps, { before: null, after: v1 });

    expect(deps.jobs.outboxOf(TENANT, v1.job.id)).toEqual({ entries: [`event 2 running ${v2.job.updated_at}`], marked: true });
  });
});

describe('inJobOrder', () => {
  it("runs each job's changes in order, jobs side by side; after a failure the job's later changes wait (reported failed), other jobs go on", async () => {
    // Prepare
    const ran: string[] = [];
    const items = [
      { key: 'a', n: 1 },
      { key: 'b', n: 1 },
      { key: 'a', n: 2 },
      { key: 'b', n: 2 },
      { key: 'a', n: 3 },
      { key: 'c', n: 1 },
    ];
    const run = async (item: { key: string; n: number }) => {
      await new Promise((r) => setTimeout(r, item.key === 'a' ? 5 : 1));
      ran.push(`${item.key}${item.n}`);
      if (item.key === 'a' && item.n === 2) throw new Error('a2 failed');
    };

    // Act
    const result = await inJobOrder(items, (item) => item.key, run);

    // Assess
    expect(result.failed).toEqual([items[2], items[4]]);
    expect(result.errors.map((e) => (e as Error).message)).toEqual(['a2 failed']);
    expect(ran.filter((r) => r.startsWith('a'))).toEqual(['a1', 'a2']);
    expect(ran.filter((r) => r.startsWith('b'))).toEqual(['b1', 'b2']);
    expect(ran).toContain('c1');
    expect(ran.indexOf('b1')).toBeLessThan(ran.indexOf('a1')); // jobs do not wait for each other
  });
});

describe('sweepPendingOutbox', () => {
  it('sends and publishes only what is still owed after the grace period', async () => {
    // Prepare: changed 10 min ago (stale), 30 s ago (within grace), 10 min ago but already done.
    const stale = jobRecord({ key: 'stale', now: T0 });
    const fresh = jobRecord({ key: 'fresh', status: 'scheduled', now: '2026-03-01T12:09:30.000Z' });
    const done = jobRecord({ key: 'done', now: T0 });
    deps.jobs.seed(stale);
    deps.jobs.seed(fresh);
    deps.jobs.seed(done, null);

    // Act
    const outcome = await sweepPendingOutbox(deps, { graceSeconds: 60, limit: 25 });

    // Assess
    expect(outcome).toEqual({ dispatched: 1, published: 1, failures: [] });
    expect(deps.queue.sent.map((s) => s.record.job.id)).toEqual([stale.job.id]);
    expect(eventsOf()).toEqual([['job.queued', jobEventFor(null, stale)!.id]]);
    expect(deps.jobs.outboxOf(TENANT, stale.job.id).marked).toBe(false);
    expect(deps.jobs.outboxOf(TENANT, fresh.job.id).marked).toBe(true);
  });

  it('publishes the pending event of a job that owes no message (the relay died after the worker finished it)', async () => {
    const succeeded = jobRecord({ status: 'succeeded', now: T0 });
    deps.jobs.seed(succeeded);

    const outcome = await sweepPendingOutbox(deps, { graceSeconds: 60, limit: 25 });

    expect(outcome).toEqual({ dispatched: 0, published: 1, failures: [] });
    expect(deps.events.published).toEqual([{ detailType: 'job.succeeded', detail: jobEventFor(null, succeeded) }]);
    expect(deps.queue.sent).toEqual([]);
    expect(deps.jobs.outboxOf(TENANT, succeeded.job.id)).toEqual({ entries: [], marked: false });
  });

  it('a job that moved on before its events were published: every owed event, oldest first, with the job as it is now; the message of the current version only', async () => {
    // Prepare: queued v1 (nothing relayed), running v2, retry_scheduled v3, all unconfirmed.
    const v1 = jobRecord({ now: T0 });
    deps.jobs.seed(v1);
    const v2 = await write(transition(v1, 'running', new Date(at(1000))), v1);
    const v3 = await write(transition(v2, 'retry_scheduled', new Date(at(2000)), { next_attempt_at: at(62_000) }), v2);

    // Act
    const outcome = await sweepPendingOutbox(deps, { graceSeconds: 60, limit: 25 });

    // Assess
    expect(outcome).toEqual({ dispatched: 1, published: 3, failures: [] });
    expect(deps.queue.sent.map((s) => [s.kind, s.record.version])).toEqual([['hold', 3]]);
    expect(deps.events.published.map((e) => e.detail)).toEqual([v1, v2, v3].map((version) => jobEventOf(v3, statusChangeOf(version)!)));
    expect(eventsOf().map(([, id]) => id)).toEqual([jobEventFor(null, v1)!.id, jobEventFor(v1, v2)!.id, jobEventFor(v2, v3)!.id]);
    expect(deps.jobs.outboxOf(TENANT, v1.job.id)).toEqual({ entries: [], marked: false });
  });

  it('a refused entry stays owed and is counted; the rest is confirmed; the next sweep publishes only that one', async () => {
    // Prepare
    const a = jobRecord({ key: 'a', status: 'running', now: T0 });
    const b = jobRecord({ key: 'b', status: 'failed', now: T0 });
    deps.jobs.seed(a);
    deps.jobs.seed(b);
    deps.events.refuse = (event) => (event.detailType === 'job.failed' ? 'ThrottlingException' : undefined);

    // Act
    const first = await sweepPendingOutbox(deps, { graceSeconds: 60, limit: 25 });
    deps.events.refuse = undefined;
    const second = await sweepPendingOutbox(deps, { graceSeconds: 60, limit: 25 });

    // Assess
    expect(first).toMatchObject({
      dispatched: 0,
      published: 1,
      failures: [{ jobId: b.job.id, error: expect.stringMatching(/ThrottlingException/) }],
    });
    expect(second).toEqual({ dispatched: 0, published: 1, failures: [] });
    expect(eventsOf().map(([type]) => type)).toEqual(['job.running', 'job.failed']);
    expect(deps.jobs.outboxOf(TENANT, b.job.id).marked).toBe(false);
  });

  it('a bus that cannot be reached: every event stays owed, messages are still sent and confirmed', async () => {
    const queued = jobRecord({ now: T0 });
    deps.jobs.seed(queued);
    deps.events.unavailable = new Error('EventBridge unavailable');

    const outcome = await sweepPendingOutbox(deps, { graceSeconds: 60, limit: 25 });

    expect(outcome).toMatchObject({ dispatched: 1, published: 0, failures: [{ jobId: queued.job.id }] });
    expect(deps.jobs.outboxOf(TENANT, queued.job.id)).toEqual({ entries: [`event 1 queued ${T0}`], marked: true });
  });

  it('a job marked before outbox entries existed: the message its status owes, then the marker goes', async () => {
    const queued = jobRecord({ key: 'q', now: T0 });
    const cancelled = jobRecord({ key: 'c', status: 'cancelled', now: T0 });
    deps.jobs.seedLegacyMarker(queued);
    deps.jobs.seedLegacyMarker(cancelled);

    const outcome = await sweepPendingOutbox(deps, { graceSeconds: 60, limit: 25 });

    expect(outcome).toEqual({ dispatched: 1, published: 0, failures: [] });
    expect(deps.queue.sent.map((s) => s.record.job.id)).toEqual([queued.job.id]);
    expect(deps.jobs.outboxOf(TENANT, queued.job.id).marked).toBe(false);
    expect(deps.jobs.outboxOf(TENANT, cancelled.job.id).marked).toBe(false);
  });

  it('a job marked before outbox entries existed keeps its marker when the send fails', async () => {
    const queued = jobRecord({ now: T0 });
    deps.jobs.seedLegacyMarker(queued);
    deps.queue.enqueue = async () => {
      throw new Error('SQS unavailable');
    };

    const outcome = await sweepPendingOutbox(deps, { graceSeconds: 60, limit: 25 });

    expect(outcome).toMatchObject({ dispatched: 0, failures: [{ jobId: queued.job.id, error: 'Error: SQS unavailable' }] });
    expect(deps.jobs.outboxOf(TENANT, queued.job.id).marked).toBe(true);
  });

  it('uses now − grace as the cut-off, exclusively', async () => {
    deps.jobs.seed(jobRecord({ key: 'edge', now: '2026-03-01T12:09:00.000Z' }));
    await expect(sweepPendingOutbox(deps, { graceSeconds: 60, limit: 25 })).resolves.toMatchObject({ dispatched: 0, published: 0 });

    deps.clock.advance(1);
    await expect(sweepPendingOutbox(deps, { graceSeconds: 60, limit: 25 })).resolves.toMatchObject({ dispatched: 1, published: 1 });
  });

  it('handles at most `limit` jobs per run', async () => {
    for (const key of ['a', 'b', 'c']) deps.jobs.seed(jobRecord({ key, now: T0 }));

    await expect(sweepPendingOutbox(deps, { graceSeconds: 60, limit: 2 })).resolves.toMatchObject({ dispatched: 2, published: 2 });
    await expect(sweepPendingOutbox(deps, { graceSeconds: 60, limit: 2 })).resolves.toMatchObject({ dispatched: 1, published: 1 });
  });
});
