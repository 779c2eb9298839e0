import { useState } from 'preact/hooks';
import { ApiError, JOB_STATUSES, type Stats } from '../api/client.ts';
import { ThroughputChart } from '../chart.tsx';
import { ErrorNotice, PageHeading, TableScroll } from '../components.tsx';
import { formatRate, formatTime } from '../format.ts';
import { useApi, usePoll } from '../hooks.ts';
import { addSample, failuresByRoute, type RouteCount, type Sample } from '../throughput.ts';

/** How often the Overview asks GET /v1/stats again, and so how far apart the chart's samples are. */
const REFRESH_MS = 5000;
/** Failures by route are counted over this many of the newest failed jobs (one page of GET /v1/jobs). */
const FAILED_SAMPLE = 100;

/** Samples outlive the page component: leaving the Overview and coming back keeps the chart. */
let kept: Sample[] = [];

interface Failures {
  readonly routes: RouteCount[];
  readonly counted: number;
  readonly more: boolean;
}

export function OverviewPage() {
  const api = useApi();
  const [stats, setStats] = useState<Stats | null>(null);
  const [samples, setSamples] = useState<Sample[]>(kept);
  const [failures, setFailures] = useState<Failures | null>(null);
  const [error, setError] = useState<unknown>(null);

  usePoll(
    async () => {
      try {
        const [next, failed] = await Promise.all([
          api.call(api.client.GET('/v1/stats')),
          api.call(api.client.GET('/v1/jobs', { params: { query: { status: 'failed', limit: FAILED_SAMPLE } } })),
        ]);
        kept = addSample(kept, next);
        setStats(next);
        setSamples(kept);
        setFailures({ routes: failuresByRoute(failed.items), counted: failed.items.length, more: failed.next_cursor !== null });
        setError(null);
      } catch (e) {
        if (!(e instanceof ApiError && e.refusedKey)) setError(e);
      }
    },
    REFRESH_MS,
    true,
    [],
  );

  const summary = stats
    ? `last hour ${stats.last_hour.succeeded} succeeded, ${stats.last_hour.failed} failed, ${formatRate(stats.last_hour.per_minute)} on average; ${samples.length} samples collected by this page`
    : 'loading';

  return (
    <>
      <PageHeading>Overview</PageHeading>
      <ErrorNotice error={error} />
      {stats && <p class="muted">As of {formatTime(stats.generated_at)}, refreshed every 5 s.</p>}

      <section aria-labelledby="by-status">
        <h2 id="by-status">Jobs by status</h2>
        {stats ? (
          <>
            <ul class="status-counts">
              {JOB_STATUSES.map((status) => (
                <li key={status} class={`status-${status}`}>
                  <span>{status}</span>{' '}
                  <strong>{stats.partial_counts.includes(status) ? `≥ ${stats.counts[status]}` : stats.counts[status]}</strong>
                </li>
              ))}
            </ul>
            <p>
              Total: {stats.total}
              {stats.partial_counts.length > 0 && ' (some counts stopped at their read budget: "≥" marks lower bounds)'}
            </p>
          </>
        ) : (
          <p>Loading…</p>
        )}
      </section>

      <section aria-labelledby="throughput">
        <h2 id="throughput">Throughput, last hour</h2>
        {stats && (
          <p>
            Last hour: <strong>{stats.last_hour.succeeded}</strong> succeeded, <strong>{stats.last_hour.failed}</strong> failed,{' '}
            <strong>{formatRate(stats.last_hour.per_minute)}</strong> on average.
          </p>
        )}
        <ThroughputChart samples={samples} summary={summary} describedBy="throughput-caption" />
        <p id="throughput-caption" class="caption">
          GET /v1/stats reports the last hour as totals and an average, not as a series, so this chart plots what this page has sampled
          every 5 s since it was opened (up to an hour): the API's hour average, and the rate measured between samples from the growth of
          finished jobs.
        </p>
      </section>

      <section aria-labelledby="failures">
        <h2 id="failures">Failures by route</h2>
        {failures && <FailuresTable failures={failures} />}
      </section>
    </>
  );
}

function FailuresTable({ failures }: { failures: Failures }) {
  if (failures.counted === 0) return <p>No failed jobs.</p>;
  return (
    <>
      <TableScroll label="Route counts">
        <table>
          <thead>
            <tr>
              <th scope="col">Route</th>
              <th scope="col">Failed jobs</th>
              <th scope="col">Reasons</th>
            </tr>
          </thead>
          <tbody>
            {failures.routes.map((r) => (
              <tr key={r.route}>
                <th scope="row">{r.route}</th>
                <td>{r.count}</td>
                <td>{r.reasons.map((x) => `${x.reason} (${x.count})`).join(', ')}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </TableScroll>
      <p class="caption">
        {failures.more
          ? `Counted over the ${failures.counted} newest failed jobs (GET /v1/jobs?status=failed); older failures are not included.`
          : `Counted over all ${failures.counted} failed jobs (GET /v1/jobs?status=failed).`}
      </p>
    </>
  );
}
