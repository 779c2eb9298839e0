import type { Clock } from '../domain/clock.ts';
import { isTerminal, type JobRecord, type JobStatus } from '../domain/job.ts';
import { DUE_IMMEDIATELY, redispatchesInCurrentRun } from '../domain/reconciliation.ts';
import type { JobStore, OverdueJobs } from './ports.ts';
import { reconcileStranded, type ReconcileOptions } from './reconcile.ts';

/**
 * Operators' stuck-jobs commands (`npm run admin -- jobs stuck | nudge`): what the stranded-job reconciler
 * sees (jobs overdue on its due index) and what it would do, and running it now through its own use case.
 * Dry runs change nothing.
 */

/** What reconcile-stranded-jobs does with an overdue job (lambdas/use-cases/reconcile.ts). */
export type PlannedAction = 'redispatch' | 'recover_lease' | 'fail_stranded' | 'wait_for_lease';

/** The reconciler's decision for one overdue job, as reconcileStranded makes it (without writing anything). */
export function plannedAction(record: JobRecord, now: Date, maxRedispatches: number): PlannedAction {
  if (record.job.status === 'running') {
    return record.leaseUntil && Date.parse(record.leaseUntil) > now.getTime() ? 'wait_for_lease' : 'recover_lease';
  }
  return redispatchesInCurrentRun(record.job) >= maxRedispatches ? 'fail_stranded' : 'redispatch';
}

export interface StuckJob {
  readonly tenant_id: string;
  readonly job_id: string;
  readonly account_id: string;
  readonly status: JobStatus;
  /** When something should have moved it; the epoch for a job whose message was dead-lettered (due at once). */
  readonly due_at: string;
  /** How long past its due time (null when it is due at once because of a dead letter). */
  readonly overdue_seconds: number | null;
  readonly dead_lettered: boolean;
  readonly updated_at: string;
  readonly redispatches: number;
  readonly lease_until: string | null;
  readonly planned: PlannedAction;
  readonly last_incident: string | null;
}

export interface StuckOptions {
  /** The reconciler's grace (RECONCILE_GRACE_SECONDS): a job is stuck once this far past its due time. */
  readonly graceSeconds: number;
  /** At most this many, earliest due first (RECONCILE_PAGE_LIMIT: what one reconciler run takes). */
  readonly limit: number;
  readonly maxRedispatches: number;
}

export interface StuckReport {
  readonly generated_at: string;
  readonly grace_seconds: number;
  /** Jobs due before this are listed. */
  readonly due_before: string;
  readonly limit: number;
  readonly jobs: readonly StuckJob[];
  /** As many as `limit` were found: there may be more (the reconciler takes them over its next runs). */
  readonly maybe_more: boolean;
}

export async function listStuckJobs(
  deps: { readonly jobs: OverdueJobs; readonly clock: Clock },
  options: StuckOptions,
): Promise<StuckReport> {
  const now = deps.clock.now();
  const before = new Date(now.getTime() - options.graceSeconds * 1000);
  const overdue = await deps.jobs.listOverdue(before, options.limit);
  const jobs = overdue
    .filter(({ record }) => !isTerminal(record.job.status))
    .map(({ record, dueAt }): StuckJob => {
      const deadLettered = Date.parse(dueAt) === DUE_IMMEDIATELY.getTime();
      const last = record.job.incidents.at(-1);
      return {
        tenant_id: record.tenantId,
        job_id: record.job.id,
        account_id: record.job.account_id,
        status: record.job.status,
        due_at: dueAt,
        overdue_seconds: deadLettered ? null : Math.max(0, Math.round((now.getTime() - Date.parse(dueAt)) / 1000)),
        dead_lettered: deadLettered,
        updated_at: record.job.updated_at,
        redispatches: redispatchesInCurrentRun(record.job),
        lease_until: record.job.status === 'running' ? (record.leaseUntil ?? null) : null,
        planned: plannedAction(record, now, options.maxRedispatches),
        last_incident: last ? `${last.at} ${last.kind}: ${last.detail}` : null,
      };
    });
  return {
    generated_at: now.toISOString(),
    grace_seconds: options.graceSeconds,
    due_before: before.toISOString(),
    limit: options.limit,
    jobs,
    maybe_more: overdue.length >= options.limit,
  };
}

export interface NudgeReport {
  readonly dry_run: boolean;
  /** What the reconciler saw before it ran (in a dry run, all there is). */
  readonly stuck: StuckReport;
  /** What it did (null in a dry run). */
  readonly result: {
    readonly examined: number;
    readonly redispatched: number;
    readonly recovered: number;
    readonly stranded: number;
    readonly skipped: number;
    readonly errors: readonly { readonly job_id: string; readonly error: string }[];
  } | null;
}

/**
 * Runs the reconciliation now for the stuck jobs: `reconcileStranded`, the use case reconcile-stranded-jobs
 * runs every few minutes, with the same options. A dry run lists what it would take and do.
 */
export async function nudgeStuckJobs(
  deps: { readonly jobs: JobStore & OverdueJobs; readonly clock: Clock },
  options: ReconcileOptions & { readonly apply: boolean },
): Promise<NudgeReport> {
  const stuck = await listStuckJobs(deps, options);
  if (!options.apply) return { dry_run: true, stuck, result: null };
  const { errors, ...counts } = await reconcileStranded(deps, options);
  return {
    dry_run: false,
    stuck,
    result: {
      ...counts,
      errors: errors.map((e) => ({
        job_id: e.jobId,
        error: e.error instanceof Error ? `${e.error.name}: ${e.error.message}` : String(e.error),
      })),
    },
  };
}
