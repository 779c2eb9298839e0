import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { maxCrashes, retryPolicy } from '../domain/backoff.ts';
import { config } from '../shared/config.ts';
import { clock, jobStore } from '../shared/deps.ts';
import { logger, metrics } from '../shared/powertools.ts';
import { reconcileStranded, type ReconcileReport } from '../use-cases/reconcile.ts';

/** The stranded-job reconciler, on a schedule (lambdas/use-cases/reconcile.ts). A job it could not handle fails the run. */
const reconcile = async (): Promise<Omit<ReconcileReport, 'errors'>> => {
  const c = config();
  const { errors, ...report } = await reconcileStranded(
    { jobs: jobStore(), clock },
    {
      graceSeconds: c.RECONCILE_GRACE_SECONDS,
      limit: c.RECONCILE_PAGE_LIMIT,
      maxRedispatches: c.RECONCILE_MAX_REDISPATCHES,
      maxCrashes: maxCrashes(retryPolicy({ baseSeconds: c.RETRY_BASE_SECONDS, maxAttempts: c.RETRY_MAX_ATTEMPTS })),
    },
  );
  metrics.addMetric('JobsRedispatchedByReconciler', MetricUnit.Count, report.redispatched);
  metrics.addMetric('ExpiredLeasesRecovered', MetricUnit.Count, report.recovered);
  metrics.addMetric('JobsStranded', MetricUnit.Count, report.stranded);
  if (report.redispatched + report.recovered + report.stranded > 0) logger.warn('reconciler moved stranded jobs', { ...report });
  if (errors.length > 0) {
    throw new AggregateError(errors.map((e) => e.error), `reconciler failed on ${errors.length} job(s): ${errors.map((e) => e.jobId).join(', ')}`);
  }
  return report;
};

export const handler = middy(reconcile).use(injectLambdaContext(logger, { resetKeys: true })).use(logMetrics(metrics));
