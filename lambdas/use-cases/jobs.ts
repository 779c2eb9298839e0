import { PinFields, type Job, type JobStatus } from '../api/schemas.ts';
import { JOB_ID_PATTERN } from '../domain/ids.ts';
import { CANCELLABLE, transition } from '../domain/job.ts';
import { ConflictError, NotFoundError, ValidationError } from '../common/errors.ts';
import type { Deps, JobFilter } from './ports.ts';

const notFound = (jobId: string) => new NotFoundError(`job ${jobId} not found`);

/** Another tenant's job and a job that never existed look the same: 404. */
export async function getJob(deps: Pick<Deps, 'jobs'>, tenantId: string, jobId: string): Promise<Job> {
  if (!JOB_ID_PATTERN.test(jobId)) throw notFound(jobId);
  const record = await deps.jobs.get(tenantId, jobId);
  if (!record) throw notFound(jobId);
  return record.job;
}

export async function listJobs(
  deps: Pick<Deps, 'jobs'>,
  tenantId: string,
  query: { status?: JobStatus; account_id?: string; limit: number; cursor?: string },
): Promise<{ items: Job[]; next_cursor: string | null }> {
  const filter: JobFilter = {
    ...(query.status ? { status: query.status } : {}),
    ...(query.account_id ? { accountId: query.account_id } : {}),
  };
  const page = await deps.jobs.list(tenantId, filter, {
    limit: query.limit,
    ...(query.cursor ? { cursor: query.cursor } : {}),
  });
  return { items: page.items.map((r) => r.job), next_cursor: page.nextCursor };
}

/** Optimistic retries when a concurrent writer (the worker) moved the job between our read and write. */
const MAX_CONCURRENT_RETRIES = 5;

export async function cancelJob(deps: Pick<Deps, 'jobs' | 'clock'>, tenantId: string, jobId: string): Promise<Job> {
  if (!JOB_ID_PATTERN.test(jobId)) throw notFound(jobId);
  for (let i = 0; i < MAX_CONCURRENT_RETRIES; i++) {
    const record = await deps.jobs.get(tenantId, jobId);
    if (!record) throw notFound(jobId);
    if (!CANCELLABLE.has(record.job.status)) {
      throw new ConflictError(
        `job ${jobId} is ${record.job.status}; only queued, scheduled or retry_scheduled jobs can be cancelled`,
      );
    }
    const next = transition(record, 'cancelled', deps.clock.now(), { next_attempt_at: null });
    if (await deps.jobs.replace(next, record.version)) return next.job;
  }
  throw new ConflictError(`job ${jobId} kept changing while it was being cancelled; try again`);
}

/**
 * Re-runs a failed job under the same idempotency key: failed → queued (the outbox enqueues it),
 * failure and result cleared, corrected pin fields merged and validated as a whole. Attempt numbers
 * continue; the retry caps start again for the new run. The stored request hash is unchanged, so the
 * original POST still replays as the same job.
 */
export async function requeueJob(
  deps: Pick<Deps, 'jobs' | 'clock'>,
  tenantId: string,
  jobId: string,
  corrections: Partial<PinFields> = {},
): Promise<Job> {
  if (!JOB_ID_PATTERN.test(jobId)) throw notFound(jobId);
  for (let i = 0; i < MAX_CONCURRENT_RETRIES; i++) {
    const record = await deps.jobs.get(tenantId, jobId);
    if (!record) throw notFound(jobId);
    if (record.job.status !== 'failed') {
      throw new ConflictError(`job ${jobId} is ${record.job.status}; only failed jobs can be requeued`);
    }
    const merged = PinFields.safeParse({ ...record.job.pin, ...corrections });
    if (!merged.success) {
      throw new ValidationError('the corrected pin is invalid', merged.error.issues.map((issue) => ({ path: ['pin', ...issue.path.map(String)].join('.'), message: issue.message })));
    }
    const next = {
      ...transition(record, 'queued', deps.clock.now(), { pin: merged.data, failure: null, result: null, next_attempt_at: null }),
      runAfterAttempt: record.job.attempt_count, // the retry caps count from here
      crashCount: 0, // and so does the crash budget
    };
    if (await deps.jobs.replace(next, record.version)) return next.job;
  }
  throw new ConflictError(`job ${jobId} kept changing while it was being requeued; try again`);
}
