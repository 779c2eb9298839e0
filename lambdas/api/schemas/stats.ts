import { CONNECTION_STATUSES } from '../../domain/account.ts';
import { AccountRate } from './account.ts';
import { JobStatus } from './job.ts';
import * as z from 'zod';
import './zod.ts';

/** GET /v1/stats on the wire (lambdas/domain/stats.ts). */

const jobCount = z.number().int().min(0);

export const JobStatusCounts = z
  .object({
    scheduled: jobCount,
    queued: jobCount,
    running: jobCount,
    retry_scheduled: jobCount,
    succeeded: jobCount,
    failed: jobCount,
    cancelled: jobCount,
  })
  .openapi('JobStatusCounts');
export type JobStatusCounts = z.infer<typeof JobStatusCounts>;

export const AccountBacklog = z
  .object({ scheduled: jobCount, queued: jobCount, running: jobCount, retry_scheduled: jobCount, total: jobCount })
  .openapi('AccountBacklog', { description: "The account's jobs that are not finished, by status." });

export const AccountStats = z
  .object({
    account_id: z.string(),
    connection_status: z.enum(CONNECTION_STATUSES),
    backlog: AccountBacklog,
    rate: AccountRate,
  })
  .openapi('AccountStats', {
    description: 'One account: its unfinished jobs and its pacing state (`rate` is GET /v1/accounts/{account_id}/rate).',
  });

export const Stats = z
  .object({
    generated_at: z.string(),
    counts: JobStatusCounts.openapi({ description: "The tenant's jobs by status (terminal jobs are kept for jobRetentionDays)." }),
    total: jobCount,
    partial_counts: z.array(JobStatus).openapi({
      description: 'Statuses whose count stopped at its read budget (very large tenants): those counts are lower bounds. Usually empty.',
    }),
    last_hour: z
      .object({
        since: z.string(),
        succeeded: jobCount,
        failed: jobCount,
        per_minute: z.number().openapi({ description: '(succeeded + failed) / 60, two decimals.' }),
      })
      .openapi({
        description:
          'Jobs that became succeeded or failed in the last 60 minutes, among the jobs created in the last 24 hours ' +
          '(a job scheduled further ahead is in `counts` but not here).',
      }),
    accounts: z.array(AccountStats).openapi({ description: 'Per connected account, in account id order: backlog and pacing state.' }),
    accounts_truncated: z.boolean().openapi({ description: 'The tenant has more accounts than the 20 listed.' }),
  })
  .openapi('Stats');
export type Stats = z.infer<typeof Stats>;
