import { InvalidPinFields, JobKeptChanging, JobNotCancellable, JobNotFound, JobNotRequeueable } from '../domain/errors.ts';
import { JOB_ID_PATTERN } from '../domain/ids.ts';
import { CANCELLABLE, transition, type Job, type JobStatus } from '../domain/job.ts';
import type { PinCorrections, PinFields } from '../domain/pin.ts';
import type { CheckPin, Deps, JobFilter } from './ports.ts';

/** Another tenant's job and a job that never existed look the same: JobNotFound. */
export async function getJob(deps: Pick<Deps, 'jobs'>, tenantId: string, jobId: string): Promise<Job> {
  if (!JOB_ID_PATTERN.test(jobId)) throw new JobNotFound(jobId);
  const record = await deps.jobs.get(tenantId, jobId);
  if (!record) throw new JobNotFound(jobId);
  return record.job;
}

export interface JobListing {
  readonly status?: JobStatus | undefined;
  readonly account_id?: string | undefined;
  readonly limit: number;
  readonly cursor?: string | undefined;
}

export async function listJobs(
  deps: Pick<Deps, 'jobs'>,
  tenantId: string,
  query: JobListing,
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
  if (!JOB_ID_PATTERN.test(jobId)) throw new JobNotFound(jobId);
  for (let i = 0; i < MAX_CONCURRENT_RETRIES; i++) {
    const record = await deps.jobs.get(tenantId, jobId);
    if (!record) throw new JobNotFound(jobId);
    if (!CANCELLABLE.has(record.job.status)) throw new JobNotCancellable(jobId, record.job.status);
    const next = transition(record, 'cancelled', deps.clock.now(), { next_attempt_at: null });
    if (await deps.jobs.replace(next, record.version)) return next.job;
  }
  throw new JobKeptChanging(jobId, 'cancelled');
}

/** The job's pin with `corrections` merged in, or InvalidPinFields naming each problem at its path (`pin.…`). */
export function correctedPin(checkPin: CheckPin, pin: PinFields, corrections: PinCorrections): PinFields {
  const merged = { ...pin, ...corrections };
  const problems = checkPin(merged);
  if (problems.length > 0) throw new InvalidPinFields(problems.map((p) => ({ path: ['pin', ...p.path].join('.'), message: p.message })));
  return merged;
}

/**
 * Re-runs a failed job under the same idempotency key: failed → queued (the outbox enqueues it),
 * failure and result cleared, corrected pin fields merged and validated as a whole. Attempt numbers
 * continue; the retry caps start again for the new run. The stored request hash is unchanged, so the
 * original POST still replays as the same job.
 */
export async function requeueJob(
  deps: Pick<Deps, 'jobs' | 'clock'> & { readonly checkPin: CheckPin },
  tenantId: string,
  jobId: string,
  corrections: PinCorrections = {},
): Promise<Job> {
  if (!JOB_ID_PATTERN.test(jobId)) throw new JobNotFound(jobId);
  for (let i = 0; i < MAX_CONCURRENT_RETRIES; i++) {
    const record = await deps.jobs.get(tenantId, jobId);
    if (!record) throw new JobNotFound(jobId);
    if (record.job.status !== 'failed') throw new JobNotRequeueable(jobId, record.job.status);
    const pin = correctedPin(deps.checkPin, record.job.pin, corrections);
    const next = {
      ...transition(record, 'queued', deps.clock.now(), { pin, failure: null, result: null, next_attempt_at: null }),
      runAfterAttempt: record.job.attempt_count, // the retry caps count from here
      crashCount: 0, // and so does the crash budget
    };
    if (await deps.jobs.replace(next, record.version)) return next.job;
  }
  throw new JobKeptChanging(jobId, 'requeued');
}
