import { beforeEach, describe, expect, it } from 'vitest';
import { transition, type JobRecord } from '../../../lambdas/domain/job.ts';
import { relayJobChanges, type JobChange } from '../../../lambdas/use-cases/outbox.ts';
import { jobRecord, TENANT } from '../builders.ts';
import { fakeDeps } from '../fakes.ts';

/**
 * A stream batch relayed as a whole (lambdas/use-cases/outbox.ts relayJobChanges). What it protects:
 * each job's events reach the bus in the order of its status changes and never past a refused one (the
 * rest stay owed and their changes are retried), one job's failure holds back no other job, and the
 * requests shrink: events of different jobs share PutEvents requests, each job is confirmed once.
 */
const NOW = '2026-03-01T12:10:00.000Z';
let deps: ReturnType<typeof fakeDeps>;

beforeEach(() => {
  deps = fakeDeps(NOW);
});

/** A job's three changes as the stream delivers them: inserted queued, claimed, succeeded. */
async function lifeOf(key: string): Promise<JobChange[]> {
  const v1 = jobRecord({ key });
  const v2 = transition(v1, 'running', new Date(Date.parse(NOW) - 2000));
  const v3 = transition(v2, 'succeeded', new Date(Date.parse(NOW) - 1000));
  deps.jobs.seed(v1);
  // Written as the worker does: each version adds what it owes to what is still owed.
  expect(await deps.jobs.replace(v2, 1)).toBe(true);
  expect(await deps.jobs.replace(v3, 2)).toBe(true);
  return [
    { before: null, after: v1, id: `${key}#1` },
    { before: v1, after: v2, id: `${key}#2` },
    { before: v2, after: v3, id: `${key}#3` },
  ];
}
const relay = (changes: JobChange[]) =>
  relayJobChanges(
    deps,
    changes,
    (c) => (c.after as JobRecord).job.id,
    (c) => c,
  );
const publishes = () => deps.log.filter((l) => l.startsWith('events.publish')).map((l) => l.replace(/ evt_\w+/g, ''));
const confirms = () => deps.log.filter((l) => l.startsWith('jobs.confirmOutbox'));

describe('relayJobChanges: a batch', () => {
  it('publishes round by round (one event per job per request), in each job’s order, and confirms each job once', async () => {
    const a = await lifeOf('a');
    const b = await lifeOf('b');
    // Interleaved as a stream batch would hold them.
    const result = await relay([a[0]!, b[0]!, a[1]!, b[1]!, a[2]!, b[2]!]);

    expect(result.failed).toEqual([]);
    expect(publishes()).toEqual([
      'events.publish job.queued, job.queued',
      'events.publish job.running, job.running',
      'events.publish job.succeeded, job.succeeded',
    ]);
    expect(confirms()).toHaveLength(2);
    for (const change of [a[2]!, b[2]!]) {
      expect(deps.jobs.isPending(TENANT, (change.after as JobRecord).job.id)).toBe(false);
    }
    // The queued version was superseded within the batch: its message is confirmed, not sent.
    expect(deps.queue.sent).toEqual([]);
    // Outcomes in stream order (the handler logs and counts from them).
    expect(result.relayed.map((r) => `${r.change.after?.job.idempotency_key} ${r.outcome.event?.type}`)).toEqual([
      'a job.queued',
      'b job.queued',
      'a job.running',
      'b job.running',
      'a job.succeeded',
      'b job.succeeded',
    ]);
  });

  it('a refused event stops its job there: its later events are not published, its changes from there fail; other jobs go on', async () => {
    const a = await lifeOf('a');
    const b = await lifeOf('b');
    deps.events.refuse = (e) =>
      (e.detail as { data: { job: { id: string } } }).data.job.id === a[1]!.after?.job.id && e.detailType === 'job.running'
        ? 'InternalFailure'
        : undefined;

    const result = await relay([...a, ...b]);

    expect(result.failed).toEqual([a[1], a[2]]);
    const aEvents = deps.events.published.filter(
      (e) => (e.detail as { data: { job: { id: string } } }).data.job.id === a[0]!.after?.job.id,
    );
    expect(aEvents.map((e) => e.detailType)).toEqual(['job.queued']); // never job.succeeded before job.running
    expect(deps.events.published.filter((e) => e !== aEvents[0]).map((e) => e.detailType)).toEqual([
      'job.queued',
      'job.running',
      'job.succeeded',
    ]);
    // What was done for a is confirmed; the refused event and the one after it stay owed.
    const owed = deps.jobs.outboxOf(TENANT, a[0]!.after!.job.id).entries;
    expect(owed.map((e) => e.split(' ').slice(0, 3).join(' ')).sort()).toEqual(['event 2 running', 'event 3 succeeded']);
  });

  it('a message that cannot be sent fails its job’s changes before any of its events; other jobs go on', async () => {
    const a = [(await lifeOf('a'))[0]!];
    const b = [(await lifeOf('b'))[0]!];
    const send = deps.queue.enqueue.bind(deps.queue);
    deps.queue.enqueue = async (record) => {
      if (record.job.id === a[0]!.after?.job.id) throw new Error('SQS unavailable');
      await send(record);
    };

    const result = await relay([...a, ...b]);

    expect(result.failed).toEqual(a);
    expect(result.errors.map(String)).toEqual(['Error: SQS unavailable']);
    expect(publishes()).toEqual(['events.publish job.queued']);
    expect(deps.queue.sent.map((s) => s.record.job.id)).toEqual([b[0]!.after?.job.id]);
  });
});
