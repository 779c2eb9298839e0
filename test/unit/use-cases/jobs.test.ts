import { beforeEach, describe, expect, it } from 'vitest';
import { JOB_STATUSES } from '../../../lambdas/api/schemas.ts';
import { transition } from '../../../lambdas/domain/job.ts';
import { ConflictError, NotFoundError } from '../../../lambdas/common/errors.ts';
import { cancelJob, getJob, listJobs } from '../../../lambdas/use-cases/jobs.ts';
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
  ])('answers 404 for %s', async (_what, tenant, id) => {
    deps.jobs.seed(jobRecord());

    await expect(getJob(deps, tenant, id())).rejects.toBeInstanceOf(NotFoundError);
  });

  it('does not even look up a malformed id', async () => {
    await expect(getJob(deps, TENANT, 'job_SHORT')).rejects.toBeInstanceOf(NotFoundError);
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
    expect(next).toEqual({ items: [queued.job], next_cursor: null });
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
    'answers 409 for a %s job and leaves it alone',
    async (status) => {
      const record = jobRecord({ status });
      deps.jobs.seed(record);

      await expect(cancelJob(deps, TENANT, record.job.id)).rejects.toBeInstanceOf(ConflictError);
      expect(deps.jobs.stored(TENANT, record.job.id)).toEqual(record);
    },
  );

  it.each([
    ['an unknown id', TENANT, jobRecord({ key: 'never-used' }).job.id],
    ['another tenant’s job', OTHER_TENANT, jobRecord().job.id],
    ['a malformed id', TENANT, 'job_x'],
  ])('answers 404 for %s', async (_what, tenant, id) => {
    deps.jobs.seed(jobRecord());
    await expect(cancelJob(deps, tenant, id)).rejects.toBeInstanceOf(NotFoundError);
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

  it('answers 409 when the job became running concurrently', async () => {
    const record = jobRecord();
    deps.jobs.seed(record);
    deps.jobs.beforeNextReplace = () => deps.jobs.seed(transition(record, 'running', new Date(T0)));

    await expect(cancelJob(deps, TENANT, record.job.id)).rejects.toBeInstanceOf(ConflictError);
    expect(deps.jobs.stored(TENANT, record.job.id)?.job.status).toBe('running');
  });

  it('gives up with 409 when the job keeps changing', async () => {
    const record = jobRecord();
    deps.jobs.seed(record);
    let version = record.version;
    const bump = () => {
      version += 1;
      deps.jobs.seed({ ...record, version });
      deps.jobs.beforeNextReplace = bump;
    };
    deps.jobs.beforeNextReplace = bump;

    await expect(cancelJob(deps, TENANT, record.job.id)).rejects.toThrow(/kept changing/);
    expect(deps.jobs.stored(TENANT, record.job.id)?.job.status).toBe('queued');
  });
});
