import type { AccountRate, ConnectionStatus } from './account.ts';
import type { JobStatus } from './job.ts';

/**
 * A tenant's figures (GET /v1/stats, local mode's live summary; lambdas/use-cases/stats.ts counts them).
 * Plain types; lambdas/api/schemas/stats.ts describes them on the wire, and lambdas/api/domain-match.ts
 * proves at compile time that both say the same.
 */

export type JobStatusCounts = Record<JobStatus, number>;

/** The statuses of a job that is not finished: an account's backlog. */
export const UNFINISHED = ['scheduled', 'queued', 'running', 'retry_scheduled'] as const satisfies readonly JobStatus[];
export type UnfinishedStatus = (typeof UNFINISHED)[number];

/** An account's unfinished jobs, by status. */
export type AccountBacklog = Record<UnfinishedStatus, number> & { total: number };

export interface AccountStats {
  account_id: string;
  connection_status: ConnectionStatus;
  backlog: AccountBacklog;
  rate: AccountRate;
}

export interface Stats {
  generated_at: string;
  /** The tenant's jobs by status (terminal jobs are kept for jobRetentionDays). */
  counts: JobStatusCounts;
  total: number;
  /** Statuses whose count stopped at its read budget: those counts are lower bounds. Usually empty. */
  partial_counts: JobStatus[];
  /** Jobs that became succeeded or failed in the last 60 minutes, among the jobs created in the last 24 hours. */
  last_hour: { since: string; succeeded: number; failed: number; per_minute: number };
  /** Per connected account, in account id order: backlog and pacing state. */
  accounts: AccountStats[];
  /** The tenant has more accounts than the ones listed. */
  accounts_truncated: boolean;
}
