import type { Clock } from '../domain/clock.ts';
import { Conflict, InvalidInput, InvalidPinFields, JobIdsWithoutTenant, NotFound } from '../domain/errors.ts';
import { FAILURE_ROUTES, type FailureRoute, type Job } from '../domain/job.ts';
import type { PinCorrections } from '../domain/pin.ts';
import { correctedPin, requeueJob } from './jobs.ts';
import type { CheckPin, JobStore, TenantDirectory } from './ports.ts';

/**
 * Operators' jobs commands (`npm run admin -- jobs …`): the failed jobs by route with their remediation,
 * a bulk requeue through the same use case as POST /v1/jobs/{id}/requeue (the stuck jobs are in
 * ops-stuck-jobs.ts). Dry runs change nothing.
 */

/** Failed jobs are read from the by_status index one page of this many at a time. */
const PAGE = 100;

export interface FailedJobsFilter {
  /** Without one, every tenant (listed from the tenants table). */
  readonly tenantId?: string;
  readonly route?: FailureRoute;
  readonly reason?: string;
  readonly accountId?: string;
  /** Only these jobs (needs `tenantId`). */
  readonly jobIds?: readonly string[];
  /** At most this many jobs are listed (newest first within a tenant). */
  readonly limit: number;
}

export interface FailedJob {
  readonly tenant_id: string;
  readonly job_id: string;
  readonly account_id: string;
  readonly idempotency_key: string;
  readonly board_id: string;
  readonly route: FailureRoute;
  readonly reason: string;
  readonly http_status: number | null;
  readonly error_code: number | null;
  readonly message: string;
  readonly remediation: string;
  /** When it failed (its last change). */
  readonly failed_at: string;
  readonly attempt_count: number;
}

export interface FailedJobsReport {
  readonly filter: {
    readonly tenant_id: string | null;
    readonly route: FailureRoute | null;
    readonly reason: string | null;
    readonly account_id: string | null;
    readonly limit: number;
  };
  /** The tenants whose failed jobs were read. */
  readonly tenants: readonly string[];
  readonly jobs: readonly FailedJob[];
  /** More failed jobs match than `limit`: the list stops there. */
  readonly truncated: boolean;
  /** The listed jobs by route, then reason (routes and reasons in a fixed order: ops, client, engineering; reasons by count). */
  readonly by_route: readonly {
    readonly route: FailureRoute;
    readonly count: number;
    readonly reasons: readonly { readonly reason: string; readonly count: number }[];
  }[];
}

export interface FailedJobsDeps {
  readonly jobs: Pick<JobStore, 'list' | 'get'>;
  /** Needed only without a tenant filter. */
  readonly directory?: Pick<TenantDirectory, 'listTenantIds'>;
}

/** A failed job as the report lists it; a failed job without a failure record (none should exist) counts as engineering's. */
export function failedJobOf(tenantId: string, job: Job): FailedJob {
  const failure = job.failure;
  return {
    tenant_id: tenantId,
    job_id: job.id,
    account_id: job.account_id,
    idempotency_key: job.idempotency_key,
    board_id: job.pin.board_id,
    route: failure?.route ?? 'engineering',
    reason: failure?.reason ?? 'unknown',
    http_status: failure?.http_status ?? null,
    error_code: failure?.error_code ?? null,
    message: failure?.message ?? 'the job failed without a failure record',
    remediation: failure?.remediation ?? 'Look for this job id in the publish-pin logs, then requeue it.',
    failed_at: job.updated_at,
    attempt_count: job.attempt_count,
  };
}

function matches(entry: FailedJob, filter: FailedJobsFilter): boolean {
  return (
    (!filter.route || entry.route === filter.route) &&
    (!filter.reason || entry.reason === filter.reason) &&
    (!filter.accountId || entry.account_id === filter.accountId)
  );
}

/** The tenant's failed jobs, newest first, page by page (by_status, or by_account_status with an account). */
async function* failedJobsOf(jobs: Pick<JobStore, 'list' | 'get'>, tenantId: string, filter: FailedJobsFilter): AsyncGenerator<FailedJob> {
  if (filter.jobIds) {
    for (const jobId of filter.jobIds) {
      const record = await jobs.get(tenantId, jobId);
      if (record?.job.status === 'failed') yield failedJobOf(tenantId, record.job);
    }
    return;
  }
  let cursor: string | null = null;
  do {
    const page = await jobs.list(
      tenantId,
      { status: 'failed', ...(filter.accountId ? { accountId: filter.accountId } : {}) },
      { limit: PAGE, ...(cursor ? { cursor } : {}) },
    );
    for (const record of page.items) yield failedJobOf(tenantId, record.job);
    cursor = page.nextCursor;
  } while (cursor);
}

export async function listFailedJobs(
  deps: FailedJobsDeps,
  filter: FailedJobsFilter,
  onProgress?: (progress: { readonly tenantsDone: number; readonly tenants: number; readonly found: number }) => void,
): Promise<FailedJobsReport> {
  if (filter.jobIds && !filter.tenantId) throw new JobIdsWithoutTenant();
  let tenants: string[];
  if (filter.tenantId) tenants = [filter.tenantId];
  else if (deps.directory) tenants = await deps.directory.listTenantIds();
  else throw new Error('listing every tenant needs the tenant directory');

  const found: FailedJob[] = [];
  let truncated = false;
  let done = 0;
  onProgress?.({ tenantsDone: 0, tenants: tenants.length, found: 0 });
  outer: for (const tenantId of tenants) {
    for await (const entry of failedJobsOf(deps.jobs, tenantId, filter)) {
      if (!matches(entry, filter)) continue;
      if (found.length === filter.limit) {
        truncated = true;
        break outer;
      }
      found.push(entry);
    }
    onProgress?.({ tenantsDone: ++done, tenants: tenants.length, found: found.length });
  }
  return {
    filter: {
      tenant_id: filter.tenantId ?? null,
      route: filter.route ?? null,
      reason: filter.reason ?? null,
      account_id: filter.accountId ?? null,
      limit: filter.limit,
    },
    tenants,
    jobs: found,
    truncated,
    by_route: byRoute(found),
  };
}

function byRoute(jobs: readonly FailedJob[]): FailedJobsReport['by_route'] {
  return FAILURE_ROUTES.map((route) => {
    const inRoute = jobs.filter((j) => j.route === route);
    const reasons = new Map<string, number>();
    for (const j of inRoute) reasons.set(j.reason, (reasons.get(j.reason) ?? 0) + 1);
    return {
      route,
      count: inRoute.length,
      reasons: [...reasons.entries()].sort(([a, x], [b, y]) => y - x || a.localeCompare(b)).map(([reason, count]) => ({ reason, count })),
    };
  }).filter((r) => r.count > 0);
}

// ---- bulk requeue ----

export interface BulkRequeueOptions extends Omit<FailedJobsFilter, 'tenantId'> {
  readonly tenantId: string;
  /** Pin fields to correct on every job (as POST /v1/jobs/{id}/requeue's `pin`), already parsed by the caller. */
  readonly corrections?: PinCorrections;
  /** Without it, nothing is written: the report says what would be requeued. */
  readonly apply: boolean;
  /** After each job (and once before the first). */
  readonly onProgress?: (progress: { readonly done: number; readonly total: number; readonly requeued: number }) => void;
}

export type RequeueOutcome = 'would_requeue' | 'requeued' | 'invalid' | 'conflict' | 'error';

export interface RequeueEntry {
  readonly job_id: string;
  readonly account_id: string;
  readonly route: FailureRoute;
  readonly reason: string;
  readonly outcome: RequeueOutcome;
  /** Why it was not requeued (invalid, conflict, error). */
  readonly detail?: string;
}

export interface BulkRequeueReport {
  readonly dry_run: boolean;
  readonly tenant_id: string;
  readonly filter: FailedJobsReport['filter'];
  readonly corrections: PinCorrections;
  readonly matched: number;
  /** More failed jobs match than `limit`: run again for the rest. */
  readonly truncated: boolean;
  readonly requeued: number;
  readonly would_requeue: number;
  readonly not_requeued: number;
  readonly jobs: readonly RequeueEntry[];
}

export interface BulkRequeueDeps {
  readonly jobs: JobStore;
  readonly clock: Clock;
  readonly checkPin: CheckPin;
}

/**
 * Requeues every failed job of one tenant that matches the filter, one by one through `requeueJob` (the
 * use case behind POST /v1/jobs/{id}/requeue): same job, same Idempotency-Key, corrections merged and the
 * merged pin validated. A dry run checks the merged pin too, so it reports the jobs a real run would refuse.
 * A job that stopped being failed meanwhile is a conflict and is left alone.
 */
export async function requeueFailedJobs(deps: BulkRequeueDeps, options: BulkRequeueOptions): Promise<BulkRequeueReport> {
  const corrections = options.corrections ?? {};
  const listed = await listFailedJobs(deps, options);
  const entries: RequeueEntry[] = [];
  const total = listed.jobs.length;
  let requeued = 0;
  options.onProgress?.({ done: 0, total, requeued });
  for (const failed of listed.jobs) {
    const base = { job_id: failed.job_id, account_id: failed.account_id, route: failed.route, reason: failed.reason };
    const entry: RequeueEntry = { ...base, ...(await requeueOne(deps, options, failed, corrections)) };
    entries.push(entry);
    if (entry.outcome === 'requeued') requeued++;
    options.onProgress?.({ done: entries.length, total, requeued });
  }
  const would = entries.filter((e) => e.outcome === 'would_requeue').length;
  return {
    dry_run: !options.apply,
    tenant_id: options.tenantId,
    filter: listed.filter,
    corrections,
    matched: total,
    truncated: listed.truncated,
    requeued,
    would_requeue: would,
    not_requeued: total - requeued - would,
    jobs: entries,
  };
}

async function requeueOne(
  deps: BulkRequeueDeps,
  options: BulkRequeueOptions,
  failed: FailedJob,
  corrections: PinCorrections,
): Promise<{ outcome: RequeueOutcome; detail?: string }> {
  const invalid = (error: InvalidInput) => ({
    outcome: 'invalid' as const,
    detail: error.details.map((d) => `${d.path}: ${d.message}`).join('; ') || error.message,
  });
  if (!options.apply) {
    const record = await deps.jobs.get(options.tenantId, failed.job_id);
    if (record?.job.status !== 'failed') return { outcome: 'conflict', detail: `the job is ${record?.job.status ?? 'gone'}` };
    try {
      correctedPin(deps.checkPin, record.job.pin, corrections);
    } catch (error) {
      if (error instanceof InvalidPinFields) return invalid(error);
      throw error;
    }
    return { outcome: 'would_requeue' };
  }
  try {
    await requeueJob(deps, options.tenantId, failed.job_id, corrections);
    return { outcome: 'requeued' };
  } catch (error) {
    if (error instanceof InvalidInput) return invalid(error);
    if (error instanceof Conflict || error instanceof NotFound) return { outcome: 'conflict', detail: error.message };
    return { outcome: 'error', detail: error instanceof Error ? `${error.name}: ${error.message}` : String(error) };
  }
}
