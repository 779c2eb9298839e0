import { beforeEach, describe, expect, it } from 'vitest';
import { pinProblems } from '../../../lambdas/api/schemas.ts';
import { InvalidPinFields, JobKeptChanging, JobNotCancellable, JobNotFound, JobNotRequeueable } from '../../../lambdas/domain/errors.ts';
import { JOB_STATUSES, transition } from '../../../lambdas/domain/job.ts';
import type { PinProblem } from '../../../lambdas/domain/pin.ts';
import { cancelJob, getJob, listJobs, requeueJob } from '../../../lambdas/use-cases/jobs.ts';
import { jobRecord, OTHER_TENANT, T0, TENANT } from '../builders.ts';
import { fakeDeps } from '../fakes.ts';

const LATER = '2026-03-01T13:00:00.000Z';
let deps: ReturnType<typeof fakeDeps>;

beforeEach(() => {
  deps = fakeDeps(LATER);
});

describe('getJob', () => {
  it('returns the tenant’s own job', async () => {
    const record = jobRecord();
    deps.jobs.seed(record);

    await expect(getJob(deps, TENANT, record.job.id)).resolves.toEqual(record.job);
  });

  it.each([
    ['another tenant’s job', OTHER_TENANT, () => jobRecord().job.id],
    ['an unknown id', TENANT, () => jobRecord({ key: 'never-used' }).job.id],
    ['a malformed id', TENANT, () => '../../etc/passwd'],
  ])('answers JobNotFound for %s', async (_what, tenant, id) => {
    deps.jobs.seed(jobRecord());

    await expect(getJob(deps, tenant, id())).rejects.toBeInstanceOf(JobNotFound);
  });

  it('does not even look up a malformed id', async () => {
    await expect(getJob(deps, TENANT, 'job_SHORT')).rejects.toBeInstanceOf(JobNotFound);
    expect(deps.log).toEqual([]);
  });
});

describe('listJobs', () => {
  it('maps the filter and page through to the store and returns public jobs', async () => {
    const queued = jobRecord({ key: 'a' });
    const failed = jobRecord({ key: 'b', status: 'failed', now: '2026-03-01T12:30:00.000Z' });
    deps.jobs.seed(queued);
    deps.jobs.seed(failed);
    deps.jobs.seed(jobRecord({ key: 'a', tenantId: OTHER_TENANT }));

    const all = await listJobs(deps, TENANT, { limit: 1 });
    const next = await listJobs(deps, TENANT, { limit: 1, cursor: all.next_cursor! });
    const onlyFailed = await listJobs(deps, TENANT, { limit: 10, status: 'failed', account_id: 'acme-main' });

    expect(all).toEqual({ items: [failed.job], next_cursor: expect.any(String) });
    expect(next).toEqual({ items: [queued.job], next_cursor: expect.any(String) }); // a full page has a cursor, as a DynamoDB query answers
    expect(onlyFailed.items).toEqual([failed.job]);
  });
});

describe('cancelJob', () => {
  it.each(['queued', 'scheduled', 'retry_scheduled'] as const)('cancels a %s job and clears next_attempt_at', async (status) => {
    // Prepare
    const record = jobRecord({ status });
    deps.jobs.seed(record);

    // Act
    const job = await cancelJob(deps, TENANT, record.job.id);

    // Assess
    expect(job).toMatchObject({ status: 'cancelled', next_attempt_at: null, updated_at: LATER });
    expect(job.status_history.at(-1)).toEqual({ status: 'cancelled', at: LATER });
    expect(deps.jobs.stored(TENANT, record.job.id)).toMatchObject({ version: record.version + 1, job });
    expect(deps.jobs.isPending(TENANT, record.job.id)).toBe(false); // a cancelled job owes no message
  });

  it.each(JOB_STATUSES.filter((s) => !['queued', 'scheduled', 'retry_scheduled'].includes(s)))(
    'refuses a %s job as not cancellable and leaves it alone',
    async (status) => {
      const record = jobRecord({ status });
      deps.jobs.seed(record);

      await expect(cancelJob(deps, TENANT, record.job.id)).rejects.toBeInstanceOf(JobNotCancellable);
      expect(deps.jobs.stored(TENANT, record.job.id)).toEqual(record);
    },
  );

  it.each([
    ['an unknown id', TENANT, jobRecord({ key: 'never-used' }).job.id],
    ['another tenant’s job', OTHER_TENANT, jobRecord().job.id],
    ['a malformed id', TENANT, 'job_x'],
  ])('refuses %s as not found', async (_what, tenant, id) => {
    deps.jobs.seed(jobRecord());
    await expect(cancelJob(deps, tenant, id)).rejects.toBeInstanceOf(JobNotFound);
    expect(deps.jobs.stored(TENANT, jobRecord().job.id)?.job.status).toBe('queued');
  });

  it('re-reads and retries when a concurrent writer bumped the version, then cancels the new state', async () => {
    // Prepare: the worker moves the job to retry_scheduled between our read and our write.
    const record = jobRecord();
    deps.jobs.seed(record);
    deps.jobs.beforeNextReplace = () => {
      deps.jobs.seed(transition(record, 'retry_scheduled', new Date('2026-03-01T12:59:00.000Z'), { next_attempt_at: LATER }));
    };

    // Act
    const job = await cancelJob(deps, TENANT, record.job.id);

    // Assess
    expect(job.status).toBe('cancelled');
    expect(job.status_history.map((s) => s.status)).toEqual(['queued', 'retry_scheduled', 'cancelled']);
    expect(deps.jobs.stored(TENANT, record.job.id)?.version).toBe(record.version + 2);
    expect(deps.log.filter((l) => l.startsWith('jobs.replace'))).toHaveLength(2);
  });

  it('refuses the job as not cancellable when it became running concurrently', async () => {
    const record = jobRecord();
    deps.jobs.seed(record);
    deps.jobs.beforeNextReplace = () => deps.jobs.seed(transition(record, 'running', new Date(T0)));

    await expect(cancelJob(deps, TENANT, record.job.id)).rejects.toBeInstanceOf(JobNotCancellable);
    expect(deps.jobs.stored(TENANT, record.job.id)?.job.status).toBe('running');
  });

  it('gives up (JobKeptChanging) when the job keeps changing', async () => {
    const record = jobRecord();
    deps.jobs.seed(record);
    let version = record.version;
    const bump = () => {
      version += 1;
      deps.jobs.seed({ ...record, version });
      deps.jobs.beforeNextReplace = bump;
    };
    deps.jobs.beforeNextReplace = bump;

    const attempt = cancelJob(deps, TENANT, record.job.id);
    await expect(attempt).rejects.toThrow(/kept changing/);
    await expect(attempt).rejects.toBeInstanceOf(JobKeptChanging);
    expect(deps.jobs.stored(TENANT, record.job.id)?.job.status).toBe('queued');
  });
});

describe('requeueJob', () => {
  const failedRecord = () => transition(jobRecord({ status: 'running' }), 'failed', new Date(T0), { attempt_count: 1 });

  it('merges the corrections into the stored pin, checks the whole pin with the rules it is given, and queues the job again', async () => {
    const record = failedRecord();
    deps.jobs.seed(record);
    const checked: unknown[] = [];
    const checkPin = (pin: unknown): PinProblem[] => {
      checked.push(pin);
      return pinProblems(pin);
    };

    const job = await requeueJob({ ...deps, checkPin }, TENANT, record.job.id, { board_id: '1111111111' });

    expect(checked).toEqual([{ ...record.job.pin, board_id: '1111111111' }]);
    expect(job).toMatchObject({ status: 'queued', failure: null, pin: { ...record.job.pin, board_id: '1111111111' } });
    expect(deps.jobs.stored(TENANT, record.job.id)?.job).toEqual(job);
  });

  it('refuses a merged pin the rules reject, every problem at its path under pin, and writes nothing', async () => {
    const record = failedRecord();
    deps.jobs.seed(record);

    const attempt = requeueJob({ ...deps, checkPin: pinProblems }, TENANT, record.job.id, { title: 'x'.repeat(101), board_id: 'abc' });

    await expect(attempt).rejects.toBeInstanceOf(InvalidPinFields);
    await expect(attempt).rejects.toMatchObject({
      message: 'the corrected pin is invalid',
      details: [
        { path: 'pin.board_id', message: 'board_id must be a string of digits' },
        { path: 'pin.title', message: 'must be at most 100 characters' },
      ],
    });
    expect(deps.jobs.stored(TENANT, record.job.id)).toEqual(record);
  });

  it.each(JOB_STATUSES.filter((s) => s !== 'failed'))('refuses a %s job as not requeueable', async (status) => {
    const record = jobRecord({ status });
    deps.jobs.seed(record);

    const attempt = requeueJob({ ...deps, checkPin: pinProblems }, TENANT, record.job.id);

    await expect(attempt).rejects.toBeInstanceOf(JobNotRequeueable);
    await expect(attempt).rejects.toThrow(`job ${record.job.id} is ${status}; only failed jobs can be requeued`);
  });
});
