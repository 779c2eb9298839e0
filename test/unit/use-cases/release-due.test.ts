import { beforeEach, describe, expect, it } from 'vitest';
import { JOB_STATUSES, transition, type JobRecord, type JobStatus } from '../../../lambdas/domain/job.ts';
import { releaseDue } from '../../../lambdas/use-cases/release-due.ts';
import { jobMessage, jobRecord, TENANT } from '../builders.ts';
import { fakeDeps } from '../fakes.ts';

const NOW = '2026-03-01T12:10:00.000Z';
const NOW_MS = Date.parse(NOW);
const at = (ms: number) => new Date(NOW_MS + ms).toISOString();

let deps: ReturnType<typeof fakeDeps>;
beforeEach(() => {
  deps = fakeDeps(NOW);
});

/** A job in `status`, stored; `nextAttemptAt` overrides when a waiting job is due. */
function seed(status: JobStatus, nextAttemptAt?: string | null): JobRecord {
  let record = jobRecord({ status });
  if (nextAttemptAt !== undefined) record = { ...record, job: { ...record.job, next_attempt_at: nextAttemptAt } };
  deps.jobs.seed(record);
  return record;
}
const stored = (record: JobRecord) => deps.jobs.stored(TENANT, record.job.id)!;

describe('releaseDue: pacing holds', () => {
  it.each([
    ['its slot is due', NOW_MS + 1000],
    ['its slot has passed', NOW_MS - 5000],
  ])('returns a still-queued job to its FIFO group with the slot when %s', async (_what, slotMs) => {
    const record = seed('queued');

    await expect(releaseDue(deps, jobMessage(record, { hold: 'pacing', slot_ms: slotMs }))).resolves.toBe('released');

    expect(deps.queue.sent).toEqual([{ kind: 'release', record, holdId: String(NOW_MS), slotMs }]);
    expect(stored(record)).toEqual(record);
  });

  it('releases a hold without a slot as it is', async () => {
    const record = seed('queued');

    await expect(releaseDue(deps, jobMessage(record, { hold: 'pacing' }))).resolves.toBe('released');
    expect(deps.queue.sent).toEqual([{ kind: 'release', record, holdId: String(NOW_MS) }]);
  });

  it('holds the job again while its slot is more than a second ahead', async () => {
    const record = seed('queued');
    const slotMs = NOW_MS + 1001;

    await expect(releaseDue(deps, jobMessage(record, { hold: 'pacing', slot_ms: slotMs }))).resolves.toBe('redelayed');
    expect(deps.queue.sent).toEqual([{ kind: 'pacing', record, waitMs: 1001, slotMs }]);
  });

  it('moves the due time of a job waiting for a slot to the slot, so the reconciler leaves it alone (no new version)', async () => {
    const record = seed('queued');
    const slotMs = NOW_MS + 3_600_000;

    await expect(releaseDue(deps, jobMessage(record, { hold: 'pacing', slot_ms: slotMs }))).resolves.toBe('redelayed');

    expect(deps.jobs.dueAt(TENANT, record.job.id)).toBe(new Date(slotMs).toISOString());
    expect(stored(record)).toEqual(record);
    expect(deps.log).toContain(`jobs.extendDue ${record.job.id} v${record.version} ${new Date(slotMs).toISOString()}`);
  });

  it('drops the hold, sending nothing, when the job changed between the read and the due-time update', async () => {
    const record = seed('queued');
    deps.jobs.extendDue = async () => false;

    await expect(releaseDue(deps, jobMessage(record, { hold: 'pacing', slot_ms: NOW_MS + 3_600_000 }))).resolves.toBe('dropped');
    expect(deps.queue.sent).toEqual([]);
  });

  it.each(JOB_STATUSES.filter((s) => s !== 'queued'))('drops the hold of a %s job', async (status) => {
    const record = seed(status);

    await expect(releaseDue(deps, jobMessage(record, { hold: 'pacing', slot_ms: NOW_MS }))).resolves.toBe('dropped');
    expect(deps.queue.sent).toEqual([]);
    expect(stored(record)).toEqual(record);
  });
});

describe('releaseDue: waiting jobs', () => {
  it.each([
    ['scheduled', at(500)],
    ['retry_scheduled', at(500)],
    ['retry_scheduled', at(-60_000)],
    ['retry_scheduled', null],
  ] as const)('queues a due %s job (next_attempt_at %s): version + 1, next_attempt_at cleared', async (status, nextAttemptAt) => {
    const record = seed(status, nextAttemptAt);

    await expect(releaseDue(deps, jobMessage(record))).resolves.toBe('queued');

    const after = stored(record);
    expect(after.version).toBe(record.version + 1);
    expect(after.job).toMatchObject({ status: 'queued', next_attempt_at: null, updated_at: NOW });
    expect(after.job.status_history.at(-1)).toEqual({ status: 'queued', at: NOW });
    expect(deps.queue.sent).toEqual([]); // the outbox enqueues the new version
  });

  it.each(['scheduled', 'retry_scheduled'] as const)('delays a %s job that is not due yet again', async (status) => {
    const record = seed(status, at(501));

    await expect(releaseDue(deps, jobMessage(record))).resolves.toBe('redelayed');

    expect(deps.queue.sent).toEqual([{ kind: 'hold', record, now: new Date(NOW) }]);
    expect(stored(record)).toEqual(record);
  });

  it.each(JOB_STATUSES.filter((s) => s !== 'scheduled' && s !== 'retry_scheduled'))('drops a %s job', async (status) => {
    const record = seed(status);

    await expect(releaseDue(deps, jobMessage(record))).resolves.toBe('dropped');
    expect(deps.queue.sent).toEqual([]);
    expect(stored(record)).toEqual(record);
  });

  it('a concurrent cancel wins: the job stays cancelled', async () => {
    const record = seed('retry_scheduled', at(0));
    const cancelled = transition(record, 'cancelled', new Date(NOW));
    deps.jobs.beforeNextReplace = () => deps.jobs.seed(cancelled);

    await expect(releaseDue(deps, jobMessage(record))).resolves.toBe('dropped');
    expect(stored(record)).toEqual(cancelled);
  });
});

describe('releaseDue: stale messages', () => {
  it.each([
    ['an older version', -1],
    ['a newer version', +1],
  ])('drops a message for %s of the job', async (_what, delta) => {
    const record = seed('retry_scheduled', at(0));
    const message = { ...jobMessage(record), version: record.version + delta };

    await expect(releaseDue(deps, message)).resolves.toBe('dropped');
    await expect(releaseDue(deps, { ...message, hold: 'pacing' })).resolves.toBe('dropped');
    expect(deps.queue.sent).toEqual([]);
    expect(stored(record)).toEqual(record);
  });

  it('drops a message for a job that does not exist', async () => {
    const record = jobRecord({ status: 'retry_scheduled' });

    await expect(releaseDue(deps, jobMessage(record))).resolves.toBe('dropped');
    expect(deps.queue.sent).toEqual([]);
  });
});
