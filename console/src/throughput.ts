import type { Job, Stats } from './api/client.ts';

/**
 * The Overview's figures that GET /v1/stats does not hand over as such.
 *
 * Throughput: the API reports the last hour as totals and one average (`last_hour.per_minute`), not as a
 * series, so the chart plots samples the page collects while it is open: the API's average, and the rate
 * measured between two samples from the growth of finished jobs (succeeded + failed).
 *
 * Failures by route: counted from the newest failed jobs (GET /v1/jobs?status=failed), which carry the route.
 */

export interface Sample {
  /** Seconds since the epoch (uPlot's x unit). */
  readonly t: number;
  /** The API's last-hour average, finished jobs per minute. */
  readonly hourAverage: number;
  /** Finished jobs per minute since the previous sample; null for the first. */
  readonly measured: number | null;
  /** succeeded + failed, by status count, when sampled. */
  readonly finished: number;
}

export const SAMPLE_WINDOW_SECONDS = 3600;

/** The samples with `stats` appended, those older than an hour before it dropped. */
export function addSample(samples: readonly Sample[], stats: Stats): Sample[] {
  const t = Date.parse(stats.generated_at) / 1000;
  const finished = stats.counts.succeeded + stats.counts.failed;
  const previous = samples.at(-1);
  if (previous && t <= previous.t) return [...samples]; // the same or an older answer: nothing new
  // A requeue moves a failed job back to queued and retention expires old ones: never a negative rate.
  const measured = previous ? (Math.max(0, finished - previous.finished) * 60) / (t - previous.t) : null;
  const next = [...samples, { t, hourAverage: stats.last_hour.per_minute, measured, finished }];
  return next.filter((s) => s.t > t - SAMPLE_WINDOW_SECONDS);
}

/** uPlot's columnar data: x, then one array per series (null where a series has no point). */
export function chartData(samples: readonly Sample[]): [number[], (number | null)[], (number | null)[]] {
  return [samples.map((s) => s.t), samples.map((s) => s.hourAverage), samples.map((s) => s.measured)];
}

export interface RouteCount {
  readonly route: string;
  readonly count: number;
  readonly reasons: readonly { readonly reason: string; readonly count: number }[];
}

/** Failed jobs grouped by failure route, then reason; most frequent first, then by name. */
export function failuresByRoute(jobs: readonly Job[]): RouteCount[] {
  const routes = new Map<string, Map<string, number>>();
  for (const job of jobs) {
    if (job.status !== 'failed' || !job.failure) continue;
    const reasons = routes.get(job.failure.route) ?? new Map<string, number>();
    reasons.set(job.failure.reason, (reasons.get(job.failure.reason) ?? 0) + 1);
    routes.set(job.failure.route, reasons);
  }
  const byCount =
    <T extends { count: number }>(name: (x: T) => string) =>
    (a: T, b: T) =>
      b.count - a.count || name(a).localeCompare(name(b));
  return [...routes]
    .map(([route, reasons]) => ({
      route,
      count: [...reasons.values()].reduce((sum, n) => sum + n, 0),
      reasons: [...reasons].map(([reason, count]) => ({ reason, count })).sort(byCount((r) => r.reason)),
    }))
    .sort(byCount((r) => r.route));
}
