import type { Clock } from '../domain/clock.ts';
import { JOB_STATUSES, type JobStatus } from '../domain/job.ts';
import { UNFINISHED, type JobStatusCounts, type Stats, type UnfinishedStatus } from '../domain/stats.ts';
import { accountRate } from './account-rate.ts';
import type { JobStatistics, RateView, TenantDirectory, TenantStore } from './ports.ts';

/**
 * GET /v1/stats and local mode's live summary: how many of a tenant's jobs are in each status, how many
 * finished in the last hour, and per account the unfinished jobs and the pacing state.
 *
 * Every figure is a count on the jobs table's listing indexes (`Select: COUNT`, paginated): by_status per
 * status, by_account_status per account and unfinished status. The last hour is counted among the jobs
 * created in the last `lookbackHours` (a range on the index's created_at sort key) whose last change —
 * for a finished job, when it finished — is in the last 60 minutes: the index has no finish time, and
 * reading every finished job a tenant keeps (jobRetentionDays) for one hour's figure would cost far more.
 * Each count reads at most `maxPages` pages (1 MB each); a count that stops there is reported as partial.
 */

export const STATS_LIMITS = {
  /** Accounts listed with their backlog and rate. */
  maxAccounts: 20,
  /** Index pages (1 MB each) one count may read. */
  maxPages: 20,
  /** The last hour's figures count jobs created this long ago at most. */
  lookbackHours: 24,
  /** Counts run this many at a time. */
  concurrency: 8,
} as const;

export interface StatsOptions {
  /** The deployment's default pacing limit, for accounts without their own (PACING_ACCOUNT_PER_MINUTE). */
  readonly defaultPerMinute: number;
  readonly maxAccounts?: number;
  readonly maxPages?: number;
  readonly lookbackHours?: number;
}

export interface StatsDeps {
  readonly jobs: JobStatistics;
  readonly directory: Pick<TenantDirectory, 'listAccounts'>;
  readonly tenants: TenantStore;
  readonly pacer: RateView;
  readonly clock: Clock;
}

/** Runs `fn` over `items`, at most `limit` at a time, results in input order. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  // One iterator shared by the workers: each takes the next item when it is free.
  const pending = items.entries();
  const worker = async () => {
    for (const [i, item] of pending) results[i] = await fn(item);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/** The tenant's jobs by status, and the statuses whose count stopped at the page budget. */
export async function jobCounts(
  deps: { readonly jobs: JobStatistics },
  tenantId: string,
  options: { readonly maxPages?: number } = {},
): Promise<{ counts: JobStatusCounts; partial: JobStatus[] }> {
  const maxPages = options.maxPages ?? STATS_LIMITS.maxPages;
  const results = await mapLimit(JOB_STATUSES, STATS_LIMITS.concurrency, async (status) => ({
    status,
    found: await deps.jobs.count(tenantId, { status }, { maxPages }),
  }));
  const counts = Object.fromEntries(results.map(({ status, found }) => [status, found.count])) as JobStatusCounts;
  return { counts, partial: results.filter(({ found }) => !found.complete).map(({ status }) => status) };
}

/** Jobs that became succeeded or failed since `since`, among those created in the last `lookbackHours` before `now`. */
export async function finishedSince(
  deps: { readonly jobs: JobStatistics },
  tenantId: string,
  since: Date,
  now: Date,
  options: { readonly lookbackHours?: number; readonly maxPages?: number } = {},
): Promise<{ succeeded: number; failed: number; complete: boolean }> {
  const createdSince = new Date(now.getTime() - (options.lookbackHours ?? STATS_LIMITS.lookbackHours) * 3_600_000);
  const maxPages = options.maxPages ?? STATS_LIMITS.maxPages;
  const finished = (status: 'succeeded' | 'failed') =>
    deps.jobs.count(tenantId, { status, createdSince, changedSince: since }, { maxPages });
  const [succeeded, failed] = await Promise.all([finished('succeeded'), finished('failed')]);
  return { succeeded: succeeded.count, failed: failed.count, complete: succeeded.complete && failed.complete };
}

export async function tenantStats(deps: StatsDeps, tenantId: string, options: StatsOptions): Promise<Stats> {
  const now = deps.clock.now();
  const maxPages = options.maxPages ?? STATS_LIMITS.maxPages;
  const since = new Date(now.getTime() - 3_600_000);
  const [{ counts, partial }, lastHour, listed] = await Promise.all([
    jobCounts(deps, tenantId, { maxPages }),
    finishedSince(deps, tenantId, since, now, {
      maxPages,
      ...(options.lookbackHours !== undefined ? { lookbackHours: options.lookbackHours } : {}),
    }),
    deps.directory.listAccounts(tenantId, options.maxAccounts ?? STATS_LIMITS.maxAccounts),
  ]);
  const accounts = await mapLimit(listed.accounts, Math.max(1, Math.floor(STATS_LIMITS.concurrency / 4)), async (account) => {
    const [backlog, rate] = await Promise.all([
      mapLimit(UNFINISHED, UNFINISHED.length, async (status) => ({
        status,
        found: await deps.jobs.count(tenantId, { status, accountId: account.accountId }, { maxPages }),
      })),
      accountRate(deps, tenantId, account.accountId, options.defaultPerMinute),
    ]);
    const byStatus = Object.fromEntries(backlog.map(({ status, found }) => [status, found.count])) as Record<UnfinishedStatus, number>;
    return {
      account_id: account.accountId,
      connection_status: account.connectionStatus,
      backlog: {
        scheduled: byStatus.scheduled,
        queued: byStatus.queued,
        running: byStatus.running,
        retry_scheduled: byStatus.retry_scheduled,
        total: backlog.reduce((sum, b) => sum + b.found.count, 0),
      },
      rate,
    };
  });
  return {
    generated_at: now.toISOString(),
    counts,
    total: Object.values(counts).reduce((sum, n) => sum + n, 0),
    partial_counts: partial,
    last_hour: {
      since: since.toISOString(),
      succeeded: lastHour.succeeded,
      failed: lastHour.failed,
      per_minute: Math.round(((lastHour.succeeded + lastHour.failed) / 60) * 100) / 100,
    },
    accounts,
    accounts_truncated: listed.more,
  };
}
