import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { JOB_STATUSES } from '../lambdas/domain/job.ts';
import type { JobStatusCounts } from '../lambdas/domain/stats.ts';
import { DynamoJobStore } from '../lambdas/adapters/dynamo-job-store.ts';
import { DynamoTenantDirectory } from '../lambdas/adapters/dynamo-tenant-directory.ts';
import { finishedSince, jobCounts } from '../lambdas/use-cases/stats.ts';

/**
 * `npm start`'s live summary: while jobs move, one line every few seconds —
 *   [09:14:05Z] jobs: 3 queued · 1 running · 0 retrying · 12 succeeded · 1 failed · 8/min
 * (`retrying` is retry_scheduled; scheduled and cancelled are added when there are some; the rate is the
 * jobs that became succeeded or failed in the last 60 s). Nothing is printed while the counts stay as they
 * were at the last line, so an idle pipeline is quiet. The figures are periodic counts over every tenant,
 * with the same use case as GET /v1/stats (lambdas/use-cases/stats.ts). `npm start -- --no-summary` turns it off.
 */

export interface SummarySample {
  readonly counts: JobStatusCounts;
  /** Jobs that became succeeded or failed in the last 60 s. */
  readonly finishedLastMinute: number;
}

const ACTIVE = ['scheduled', 'queued', 'running', 'retry_scheduled'] as const;

export function formatSummary(sample: SummarySample, at: Date): string {
  const c = sample.counts;
  const parts = [
    `${c.queued} queued`,
    `${c.running} running`,
    `${c.retry_scheduled} retrying`,
    `${c.succeeded} succeeded`,
    `${c.failed} failed`,
    `${sample.finishedLastMinute}/min`,
  ];
  if (c.scheduled > 0) parts.push(`${c.scheduled} scheduled`);
  if (c.cancelled > 0) parts.push(`${c.cancelled} cancelled`);
  return `[${at.toISOString().slice(11, 19)}Z] jobs: ${parts.join(' · ')}`;
}

/** When to print: only when the counts changed since the last line (the rate alone decaying is not news). */
export class LiveSummary {
  private last: string | undefined;

  next(sample: SummarySample, at: Date): string | undefined {
    const key = JOB_STATUSES.map((s) => sample.counts[s]).join(',');
    const first = this.last === undefined;
    if (key === this.last) return undefined;
    this.last = key;
    // At start, finished jobs from before (a restart with --data) are not news; work in progress is.
    if (first && ACTIVE.every((s) => sample.counts[s] === 0)) return undefined;
    return formatSummary(sample, at);
  }
}

export interface LiveSummaryOptions {
  readonly sample: () => Promise<SummarySample>;
  readonly print: (line: string) => void;
  /** @default 5000 */
  readonly intervalMs?: number;
  /** A sample that fails is reported once, until one succeeds again. @default console.error */
  readonly onError?: (message: string) => void;
  readonly now?: () => Date;
}

/** Samples every `intervalMs` (one sample at a time) and prints what LiveSummary says. */
export function startLiveSummary(options: LiveSummaryOptions): { stop(): Promise<void> } {
  const summary = new LiveSummary();
  const now = options.now ?? (() => new Date());
  const onError = options.onError ?? ((m: string) => console.error(m));
  let failing = false;
  let stopped = false;
  let running: Promise<void> | undefined;
  const tick = async () => {
    try {
      const sample = await options.sample();
      failing = false;
      if (stopped) return;
      const line = summary.next(sample, now());
      if (line) options.print(line);
    } catch (error) {
      if (!failing && !stopped) onError(`live summary: ${error instanceof Error ? error.message : String(error)}`);
      failing = true;
    }
  };
  const timer = setInterval(() => {
    if (running || stopped) return;
    running = tick().finally(() => {
      running = undefined;
    });
  }, options.intervalMs ?? 5000);
  timer.unref();
  return {
    stop: async () => {
      stopped = true;
      clearInterval(timer);
      await running;
    },
  };
}

/**
 * Samples a local pipeline's jobs table: every tenant's counts by status, summed, and the jobs finished in
 * the last minute. `close()` releases the client.
 */
export function pipelineSampler(pipeline: {
  readonly endpoints: { readonly dynamodb: string };
  readonly tableNames: { readonly jobs: string; readonly tenants: string };
}) {
  const client = DynamoDBDocumentClient.from(
    new DynamoDBClient({
      endpoint: pipeline.endpoints.dynamodb,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    }),
  );
  const jobs = new DynamoJobStore(client, pipeline.tableNames.jobs, 30);
  const directory = new DynamoTenantDirectory(client, pipeline.tableNames.tenants);
  return {
    sample: async (): Promise<SummarySample> => {
      const now = new Date();
      const minuteAgo = new Date(now.getTime() - 60_000);
      const counts = Object.fromEntries(JOB_STATUSES.map((s) => [s, 0])) as Record<keyof JobStatusCounts, number>;
      let finishedLastMinute = 0;
      for (const tenantId of await directory.listTenantIds()) {
        const [tenant, finished] = await Promise.all([jobCounts({ jobs }, tenantId), finishedSince({ jobs }, tenantId, minuteAgo, now)]);
        for (const s of JOB_STATUSES) counts[s] += tenant.counts[s];
        finishedLastMinute += finished.succeeded + finished.failed;
      }
      return { counts, finishedLastMinute };
    },
    close: () => client.destroy(),
  };
}
