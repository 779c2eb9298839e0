import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { CustomMonitoring, GraphWidgetType } from 'cdk-monitoring-constructs';
import { METRICS } from '../../../../definitions/metrics.ts';
import { FIFTEEN_MINUTES, FULL, PERCENT_AXIS, type SectionKit } from '../section-kit.ts';

/** Jobs: intake, attempts, success rate and failures by route (alarm `failedJobs`), latencies, the safety nets. */
export function jobsSection(kit: SectionKit): CustomMonitoring {
  const { facade, thresholds: t, alarm, custom, perValue } = kit;
  // The failed-jobs alarm counts what the operators have to act on: routes ops and engineering. A
  // client-route failure (bad board, bad media) is the tenant's to fix and shows in the graphs only.
  const q = { period: FIFTEEN_MINUTES };
  const finishedShare = new cloudwatch.MathExpression({
    expression:
      `IF(FILL(ok, 0) + FILL(fc, 0) + FILL(fo, 0) + FILL(fe, 0) >= ${t.failedJobsMinimum}, ` +
      '100 * (FILL(fo, 0) + FILL(fe, 0)) / (FILL(ok, 0) + FILL(fc, 0) + FILL(fo, 0) + FILL(fe, 0)), 0)',
    usingMetrics: {
      ok: custom(METRICS.JobsSucceeded, 'succeeded', q),
      fc: custom(METRICS.JobsFailed, 'failed: client', { ...q, breakdown: 'client' }),
      fo: custom(METRICS.JobsFailed, 'failed: ops', { ...q, breakdown: 'ops' }),
      fe: custom(METRICS.JobsFailed, 'failed: engineering', { ...q, breakdown: 'engineering' }),
    },
    label: 'failed (ops + engineering), % of finished',
    period: FIFTEEN_MINUTES,
  });
  const successRate = new cloudwatch.MathExpression({
    expression: 'IF(FILL(sok, 0) + FILL(sfail, 0) > 0, 100 * FILL(sok, 0) / (FILL(sok, 0) + FILL(sfail, 0)))',
    usingMetrics: { sok: custom(METRICS.JobsSucceeded, 'succeeded', q), sfail: custom(METRICS.JobsFailed, 'failed', q) },
    label: 'succeeded, % of finished',
    period: FIFTEEN_MINUTES,
  });
  return new CustomMonitoring(facade, {
    humanReadableName: 'Jobs',
    alarmFriendlyName: 'jobs',
    metricGroups: [
      {
        title: 'Intake: accepted vs replayed',
        graphWidgetWidth: FULL / 3,
        metrics: [
          custom(METRICS.JobsAccepted, 'accepted'),
          custom(METRICS.JobsReplayed, 'replayed (same Idempotency-Key)'),
          custom(METRICS.JobsRejected, 'rejected (4xx)'),
        ],
      },
      {
        title: 'Attempts by outcome',
        graphWidgetWidth: FULL / 3,
        graphWidgetType: GraphWidgetType.STACKED_AREA,
        metrics: perValue(METRICS.Attempts),
      },
      {
        title: 'Success rate (15 min)',
        graphWidgetWidth: FULL / 3,
        graphWidgetAxis: PERCENT_AXIS,
        metrics: [
          successRate,
          { metric: finishedShare, alarmFriendlyName: 'failed-jobs', addAlarm: alarm('failedJobs', t.failedJobsPercent) },
        ],
      },
      {
        title: 'Finished jobs, failures by route',
        graphWidgetWidth: FULL / 3,
        metrics: [
          custom(METRICS.JobsSucceeded, 'succeeded'),
          ...perValue(METRICS.JobsFailed).map((m) => m.with({ label: `failed: ${m.label}` })),
          custom(METRICS.JobsCancelled, 'cancelled'),
          custom(METRICS.RetriesScheduled, 'retries scheduled'),
        ],
      },
      {
        title: 'Queue wait, Pinterest call, end to end (ms)',
        graphWidgetWidth: FULL / 3,
        metrics: [
          custom(METRICS.QueueWait, 'queue wait p50', { statistic: 'p50' }),
          custom(METRICS.QueueWait, 'queue wait p99', { statistic: 'p99' }),
          custom(METRICS.PinterestCallDuration, 'Pinterest call p99', { statistic: 'p99' }),
          custom(METRICS.EndToEndDuration, 'end to end p50 (succeeded)', { statistic: 'p50', breakdown: 'succeeded' }),
          custom(METRICS.EndToEndDuration, 'end to end p99 (succeeded)', { statistic: 'p99', breakdown: 'succeeded' }),
        ],
      },
      {
        title: 'Pacing holds and safety nets',
        graphWidgetWidth: FULL / 3,
        metrics: [
          custom(METRICS.PacingHolds, 'pacing holds'),
          custom(METRICS.WorkerCrashes, 'worker crashes'),
          custom(METRICS.SweeperRedispatches, 'sweeper re-dispatches'),
          custom(METRICS.ReconcilerRedispatches, 'reconciler re-dispatches'),
          custom(METRICS.ReconcilerRecoveries, 'reconciler recoveries'),
          custom(METRICS.ReconcilerStranded, 'failed as stranded'),
        ],
      },
    ],
  });
}
