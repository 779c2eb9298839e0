import { METRICS } from '../../definitions/metrics.ts';
import { maxCrashes, retryPolicy } from '../domain/backoff.ts';
import { config } from '../common/config.ts';
import { clock, jobStore } from '../common/deps/jobs.ts';
import { observedHandler } from '../common/handlers.ts';
import { emit } from '../common/observability.ts';
import { logger } from '../common/powertools.ts';
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
  emit(METRICS.ReconcilerRedispatches, report.redispatched);
  emit(METRICS.ReconcilerRecoveries, report.recovered);
  emit(METRICS.ReconcilerStranded, report.stranded);
  if (report.redispatched + report.recovered + report.stranded > 0) logger.warn('reconciler moved stranded jobs', { ...report });
  if (errors.length > 0) {
    throw new AggregateError(
      errors.map((e) => e.error),
      `reconciler failed on ${errors.length} job(s): ${errors.map((e) => e.jobId).join(', ')}`,
    );
  }
  return report;
};

export const handler = observedHandler(reconcile);
