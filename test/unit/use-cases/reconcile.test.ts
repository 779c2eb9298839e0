import { beforeEach, describe, expect, it } from 'vitest';
import { transition, type JobRecord, type JobStatus } from '../../../lambdas/domain/job.ts';
import { DUE_IMMEDIATELY } from '../../../lambdas/domain/reconciliation.ts';
import type { PoisonParking } from '../../../lambdas/use-cases/ports.ts';
import { reconcileStranded, recordDeadLetter, type DeadLetter, type ReconcileOptions } from '../../../lambdas/use-cases/reconcile.ts';
import { parseJobMessage } from '../../../lambdas/common/job-message.ts';
import { claimedRecord, jobRecord, T0, TENANT } from '../builders.ts';
import { fakeDeps } from '../fakes.ts';

const GRACE_S = 600;
const OPTIONS: ReconcileOptions = { graceSeconds: GRACE_S, limit: 100, maxRedispatches: 3, maxCrashes: 3 };
const T0_MS = Date.parse(T0);
const at = (ms: number) => new Date(T0_MS + ms).toISOString();
/** The publish queue's visibility timeout (the fake store's default redelivery window). */
const REDELIVERY_MS = 180_000;

class RecordingParking implements PoisonParking {
  readonly parked: Parameters<PoisonParking['park']>[0][] = [];
  async park(message: Parameters<PoisonParking['park']>[0]): Promise<void> {
    this.parked.push(message);
  }
}

let deps: ReturnType<typeof fakeDeps> & { poison: RecordingParking; parseMessage: typeof parseJobMessage };
beforeEach(() => {
  deps = { ...fakeDeps(T0), poison: new RecordingParking(), parseMessage: parseJobMessage };
});

const stored = (record: JobRecord) => deps.jobs.stored(TENANT, record.job.id)!;
const seed = (record: JobRecord) => {
  deps.jobs.seed(record);
  return record;
};
/** A job in `status` whose last change was at T0 (waiting jobs were due at T0 + 2 min). */
const seeded = (status: JobStatus, key = 'cms-4411') => seed(jobRecord({ status, key }));

describe('reconcileStranded: waiting jobs', () => {
  it('leaves a queued job alone until its grace has passed', async () => {
    const record = seeded('queued');
    deps.clock.set(at(GRACE_S * 1000)); // due at T0, exactly one grace later: not yet

    const report = await reconcileStranded(deps, OPTIONS);

    expect(report).toMatchObject({ examined: 0, redispatched: 0 });
    expect(stored(record)).toEqual(record);
  });

  it('re-dispatches an overdue queued job: one version later, same status, no status change recorded, an incident saying why', async () => {
    const record = seeded('queued');
    const now = at(GRACE_S * 1000 + 1);
    deps.clock.set(now);

    const report = await reconcileStranded(deps, OPTIONS);

    expect(report).toEqual({ examined: 1, redispatched: 1, recovered: 0, stranded: 0, skipped: 0, errors: [] });
    const after = stored(record);
    expect(after.version).toBe(record.version + 1);
    expect(after.job.status).toBe('queued');
    expect(after.job.status_history).toEqual(record.job.status_history);
    expect(after.job.updated_at).toBe(now);
    expect(after.job.incidents).toEqual([
      {
        at: now,
        kind: 'redispatched',
        detail: expect.stringMatching(
          /lost or dead-lettered unnoticed while the job was queued: sent a fresh message for version 2 \(re-dispatch 1 of at most 3\)/,
        ),
      },
    ]);
    // The outbox relay dispatches on the version change; the fresh due time is now.
    expect(deps.jobs.dueAt(TENANT, record.job.id)).toBe(now);
    expect(deps.jobs.isPending(TENANT, record.job.id)).toBe(true);
  });

  it('does nothing on the next run: the re-dispatched job is due again only a grace later', async () => {
    seeded('queued');
    deps.clock.set(at(GRACE_S * 1000 + 1));
    await reconcileStranded(deps, OPTIONS);

    deps.clock.advance(GRACE_S * 1000);
    await expect(reconcileStranded(deps, OPTIONS)).resolves.toMatchObject({ examined: 0 });
  });

  it.each(['scheduled', 'retry_scheduled'] as const)(
    're-dispatches an overdue %s job without changing its status or next_attempt_at',
    async (status) => {
      const record = seeded(status);
      const nextAttempt = Date.parse(record.job.next_attempt_at!);
      deps.clock.set(new Date(nextAttempt + GRACE_S * 1000 + 1));

      await expect(reconcileStranded(deps, OPTIONS)).resolves.toMatchObject({ redispatched: 1 });

      const after = stored(record);
      expect(after).toMatchObject({ version: record.version + 1, job: { status, next_attempt_at: record.job.next_attempt_at } });
      expect(after.job.status_history).toEqual(record.job.status_history);
    },
  );

  it('waits for a scheduled job until its publish_at plus the grace, however long ago it was written', async () => {
    const record = seeded('scheduled'); // publish_at T0 + 1 h
    deps.clock.set(at(3_600_000 + GRACE_S * 1000 - 1));

    await expect(reconcileStranded(deps, OPTIONS)).resolves.toMatchObject({ examined: 0 });
    expect(stored(record)).toEqual(record);
  });

  it('leaves a paced job alone until its slot plus the grace (extendDue)', async () => {
    const record = seeded('queued');
    const slot = new Date(T0_MS + 3_600_000);
    await deps.jobs.extendDue(TENANT, record.job.id, record.version, slot);
    deps.clock.set(new Date(slot.getTime() + GRACE_S * 1000 - 1));

    await expect(reconcileStranded(deps, OPTIONS)).resolves.toMatchObject({ examined: 0 });

    deps.clock.advance(2);
    await expect(reconcileStranded(deps, OPTIONS)).resolves.toMatchObject({ redispatched: 1 });
  });
});

describe('reconcileStranded: bounds', () => {
  it('fails a job re-dispatched maxRedispatches times: route engineering, reason stranded, remediation, and never loops', async () => {
    const record = seeded('queued');
    for (let i = 0; i < OPTIONS.maxRedispatches; i++) {
      deps.clock.advance(GRACE_S * 1000 + 1);
      await expect(reconcileStranded(deps, OPTIONS)).resolves.toMatchObject({ redispatched: 1 });
    }
    deps.clock.advance(GRACE_S * 1000 + 1);
    const now = deps.clock.now().toISOString();

    await expect(reconcileStranded(deps, OPTIONS)).resolves.toMatchObject({ stranded: 1, redispatched: 0 });

    const after = stored(record);
    expect(after.version).toBe(record.version + OPTIONS.maxRedispatches + 1);
    expect(after.job).toMatchObject({
      status: 'failed',
      next_attempt_at: null,
      failure: {
        route: 'engineering',
        reason: 'stranded',
        http_status: null,
        error_code: null,
        message: expect.stringContaining('after 3 re-dispatches'),
        remediation: expect.stringMatching(/dead-letter queue alarms.*requeue the job/),
      },
    });
    expect(after.job.status_history.at(-1)).toEqual({ status: 'failed', at: now });
    expect(after.job.incidents.map((i) => i.kind)).toEqual(['redispatched', 'redispatched', 'redispatched', 'stranded']);
    expect(deps.jobs.dueAt(TENANT, record.job.id)).toBeNull(); // terminal: out of the due index

    deps.clock.advance(10 * GRACE_S * 1000);
    await expect(reconcileStranded(deps, OPTIONS)).resolves.toMatchObject({ examined: 0 });
  });

  it('counts re-dispatches since the last requeue only', async () => {
    const failed = jobRecord({ status: 'failed' });
    const incidents = [1, 2, 3].map((n) => ({ at: at(n), kind: 'redispatched' as const, detail: 'earlier run' }));
    const requeued = transition({ ...failed, job: { ...failed.job, incidents } }, 'queued', new Date(at(10_000)));
    seed(requeued);
    deps.clock.set(at(10_000 + GRACE_S * 1000 + 1));

    await expect(reconcileStranded(deps, OPTIONS)).resolves.toMatchObject({ redispatched: 1, stranded: 0 });
  });

  it('handles at most `limit` jobs per run, the longest overdue first', async () => {
    const jobs = ['a', 'b', 'c'].map((key, i) => seed(jobRecord({ key, now: at(i * 1000) })));
    deps.clock.set(at(GRACE_S * 1000 + 10_000));

    await expect(reconcileStranded(deps, { ...OPTIONS, limit: 2 })).resolves.toMatchObject({ examined: 2, redispatched: 2 });

    expect(jobs.map((j) => stored(j).version)).toEqual([2, 2, 1]);
  });

  it('skips a job that moved between the listing and the write (conditional on version and due time)', async () => {
    const record = seeded('queued');
    deps.clock.set(at(GRACE_S * 1000 + 1));
    deps.jobs.beforeNextReplace = () => {
      void deps.jobs.extendDue(TENANT, record.job.id, record.version, new Date(at(3_600_000))); // a pacing hold won the race
    };

    await expect(reconcileStranded(deps, OPTIONS)).resolves.toMatchObject({ redispatched: 0, skipped: 1 });
    expect(stored(record)).toEqual(record);
  });

  it('skips a job the (eventually consistent) index still lists but that has ended', async () => {
    const record = seeded('queued');
    const cancelled = seed(transition(record, 'cancelled', new Date(at(1))));
    deps.jobs.listDue = async () => [record];
    deps.clock.set(at(GRACE_S * 1000 + 1));

    await expect(reconcileStranded(deps, OPTIONS)).resolves.toMatchObject({ examined: 1, skipped: 1 });
    expect(stored(record)).toEqual(cancelled);
  });

  it('handles the other jobs when one of them throws, and reports that one', async () => {
    const bad = seed(jobRecord({ key: 'bad', now: at(0) }));
    const good = seed(jobRecord({ key: 'good', now: at(1) }));
    const get = deps.jobs.get.bind(deps.jobs);
    deps.jobs.get = async (tenantId, jobId) => {
      if (jobId === bad.job.id) throw new Error('ProvisionedThroughputExceededException');
      return get(tenantId, jobId);
    };
    deps.clock.set(at(GRACE_S * 1000 + 10));

    const report = await reconcileStranded(deps, OPTIONS);

    expect(report).toMatchObject({ examined: 2, redispatched: 1, errors: [{ jobId: bad.job.id, error: expect.any(Error) }] });
    expect(stored(good).version).toBe(2);
  });
});

describe('reconcileStranded: running jobs', () => {
  const started = at(0);
  const leaseUntil = at(60_000);
  const claimed = () => seed(claimedRecord({ startedAt: started, leaseUntil }));

  it('leaves a running job alone while its claiming message may still come back (lease + visibility timeout + grace)', async () => {
    const record = claimed();
    deps.clock.set(at(60_000 + REDELIVERY_MS + GRACE_S * 1000));

    await expect(reconcileStranded(deps, OPTIONS)).resolves.toMatchObject({ examined: 0 });
    expect(stored(record)).toEqual(record);
  });

  it('recovers a running job whose lease expired and whose message is gone: attempt unknown, retry due now, an incident', async () => {
    const record = claimed();
    deps.clock.set(at(60_000 + REDELIVERY_MS + GRACE_S * 1000 + 1));
    const now = deps.clock.now().toISOString();

    await expect(reconcileStranded(deps, OPTIONS)).resolves.toMatchObject({ recovered: 1 });

    const after = stored(record);
    expect(after.version).toBe(record.version + 1);
    expect(after.leaseUntil ?? null).toBeNull();
    expect(after.job).toMatchObject({ status: 'retry_scheduled', next_attempt_at: now });
    expect(after.job.attempts.at(-1)).toMatchObject({ outcome: 'unknown', finished_at: now });
    expect(after.job.incidents).toEqual([
      { at: now, kind: 'lease_expired', detail: expect.stringContaining(`claim expired at ${leaseUntil} and no queue message was left`) },
    ]);
  });

  it('the crash that spends the budget leaves one board check: the job is retried, its attempt unknown', async () => {
    const record = seed({ ...claimedRecord({ startedAt: started, leaseUntil }), crashCount: OPTIONS.maxCrashes - 1 });
    deps.clock.set(at(60_000 + REDELIVERY_MS + GRACE_S * 1000 + 1));

    await expect(reconcileStranded(deps, OPTIONS)).resolves.toMatchObject({ recovered: 1 });

    expect(stored(record)).toMatchObject({ crashCount: OPTIONS.maxCrashes, job: { status: 'retry_scheduled' } });
    expect(stored(record).job.attempts.at(-1)).toMatchObject({ outcome: 'unknown' });
  });

  it('fails a running job that crashed again during its last board check instead of retrying it again', async () => {
    const record = seed({ ...claimedRecord({ startedAt: started, leaseUntil }), crashCount: OPTIONS.maxCrashes });
    deps.clock.set(at(60_000 + REDELIVERY_MS + GRACE_S * 1000 + 1));

    await expect(reconcileStranded(deps, OPTIONS)).resolves.toMatchObject({ recovered: 1 });

    expect(stored(record).job).toMatchObject({ status: 'failed', failure: { route: 'engineering' } });
    expect(stored(record).job.incidents.at(-1)).toMatchObject({ kind: 'lease_expired', detail: expect.stringContaining('the job failed') });
  });

  it('does not touch a running job whose lease is still held, even if listed', async () => {
    const record = seed(claimedRecord({ startedAt: started, leaseUntil: at(10 * 3_600_000) }));
    deps.jobs.listDue = async () => [record];
    deps.clock.set(at(60_000 + REDELIVERY_MS + GRACE_S * 1000 + 1));

    await expect(reconcileStranded(deps, OPTIONS)).resolves.toMatchObject({ skipped: 1 });
    expect(stored(record)).toEqual(record);
  });
});

describe('recordDeadLetter', () => {
  const dead = (record: JobRecord, overrides: Partial<DeadLetter> = {}): DeadLetter => ({
    messageId: 'm-1',
    body: JSON.stringify({ job_id: record.job.id, tenant_id: record.tenantId, version: record.version }),
    queue: 'publish',
    receiveCount: 6,
    ...overrides,
  });

  it('records the incident on a waiting job and makes it due at once, without a new version', async () => {
    const record = seeded('queued');
    deps.clock.set(at(5_000));

    await expect(recordDeadLetter(deps, dead(record))).resolves.toBe('recorded');

    const after = stored(record);
    expect(after.version).toBe(record.version);
    expect(after.job.status).toBe('queued');
    expect(after.job.incidents).toEqual([
      {
        at: at(5_000),
        kind: 'message_dead_lettered',
        queue: 'publish',
        receive_count: 6,
        detail: expect.stringMatching(
          /^the publish queue dead-lettered the job's message for version 1 after about 6 receives: publish-pin failed on it/,
        ),
      },
    ]);
    expect(deps.jobs.dueAt(TENANT, record.job.id)).toBe(DUE_IMMEDIATELY.toISOString());
  });

  it('then the next reconciler run re-dispatches it, whatever the grace, and says it was dead-lettered', async () => {
    const record = seeded('queued');
    await recordDeadLetter(deps, dead(record));
    deps.clock.set(at(1_000));

    await expect(reconcileStranded(deps, OPTIONS)).resolves.toMatchObject({ redispatched: 1 });

    expect(stored(record).job.incidents.map((i) => i.kind)).toEqual(['message_dead_lettered', 'redispatched']);
    expect(stored(record).job.incidents[1]!.detail).toMatch(/^its publish queue message was dead-lettered while the job was queued/);
  });

  it('records a delay-queue pacing hold of a queued job, naming the consumer that failed', async () => {
    const record = seeded('queued');
    const body = JSON.stringify({ job_id: record.job.id, tenant_id: TENANT, version: record.version, hold: 'pacing', slot_ms: T0_MS });

    await expect(recordDeadLetter(deps, dead(record, { queue: 'delay', body, receiveCount: null }))).resolves.toBe('recorded');

    const incident = stored(record).job.incidents[0]!;
    expect(incident).toMatchObject({
      queue: 'delay',
      detail: expect.stringMatching(/pacing-hold message for version 1: release-due-jobs failed/),
    });
    expect(incident).not.toHaveProperty('receive_count');
  });

  it('records the message a running job was claimed from (one version behind)', async () => {
    const queued = seeded('queued');
    const running = seed(transition(queued, 'running', new Date(at(1))));

    await expect(recordDeadLetter(deps, dead(queued))).resolves.toBe('recorded');
    expect(stored(running).job.incidents).toHaveLength(1);
  });

  it.each([
    ['the job moved on to a newer version', 'retry_scheduled'],
    ['the job has finished', 'succeeded'],
  ] as const)('drops a stale message (%s) without writing', async (_what, to) => {
    const record = seeded('queued');
    const running = transition(record, 'running', new Date(at(1)));
    const moved = seed(transition(running, to, new Date(at(2)), to === 'retry_scheduled' ? { next_attempt_at: at(60_000) } : {}));

    await expect(recordDeadLetter(deps, dead(record))).resolves.toBe('stale'); // version 1; the job is at 3
    await expect(recordDeadLetter(deps, dead(running))).resolves.toBe('stale'); // version 2; not running any more
    expect(stored(record)).toEqual(moved);
  });

  it('acknowledges a message for a job that no longer exists', async () => {
    const record = jobRecord();
    await expect(recordDeadLetter(deps, dead(record))).resolves.toBe('job_gone');
  });

  it.each([
    ['not JSON', '{not json'],
    ['not a job message', JSON.stringify({ hello: 'world' })],
    ['empty', ''],
  ])('parks a poison message (%s) in the poison queue with its origin, and touches no job', async (_what, body) => {
    await expect(
      recordDeadLetter(deps, { messageId: 'm-9', body, queue: 'publish', receiveCount: 5, messageGroupId: 'garbage' }),
    ).resolves.toBe('parked');

    expect(deps.poison.parked).toEqual([
      { body, sourceQueue: 'publish', messageId: 'm-9', reason: expect.stringContaining('not a job message'), messageGroupId: 'garbage' },
    ]);
    expect(deps.log.filter((l) => l.startsWith('jobs.'))).toEqual([]);
  });

  it('re-reads and retries when the job changes under it, then gives up loudly', async () => {
    const record = seeded('queued');
    const addIncident = deps.jobs.addIncident.bind(deps.jobs);
    let calls = 0;
    deps.jobs.addIncident = async (...args) => {
      calls++;
      return calls < 2 ? false : addIncident(...args);
    };
    await expect(recordDeadLetter(deps, dead(record))).resolves.toBe('recorded');

    deps.jobs.addIncident = async () => false;
    await expect(recordDeadLetter(deps, dead(record))).rejects.toThrow(/kept changing/);
  });
});
