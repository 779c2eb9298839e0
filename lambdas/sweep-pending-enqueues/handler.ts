import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { config } from '../shared/config.ts';
import { clock, eventPublisher, jobQueue, jobStore } from '../shared/deps.ts';
import { logger, metrics } from '../shared/powertools.ts';
import { sweepPendingOutbox } from '../use-cases/dispatch.ts';

/** Jobs per run; a larger backlog drains over consecutive runs (every minute). */
const SWEEP_BATCH = 200;

/**
 * The outbox safety net: queue messages and job events still unconfirmed after the grace period are sent
 * and published here (docs/adr/0001-outbox-for-enqueue.md). What fails stays owed for the next run, and
 * the run fails, so the function's error metric shows it.
 */
const sweep = async (): Promise<{ redispatched: number; published: number }> => {
  const outcome = await sweepPendingOutbox(
    { jobs: jobStore(), queue: jobQueue(), events: eventPublisher(), clock },
    { graceSeconds: config().SWEEP_GRACE_SECONDS, limit: SWEEP_BATCH },
  );
  metrics.addMetric('JobsRedispatchedBySweeper', MetricUnit.Count, outcome.dispatched);
  metrics.addMetric('JobEventsPublishedBySweeper', MetricUnit.Count, outcome.published);
  if (outcome.dispatched > 0 || outcome.published > 0) {
    logger.warn('sweeper did what the outbox relay had not', { redispatched: outcome.dispatched, published: outcome.published });
  }
  if (outcome.failures.length > 0) {
    logger.error('outbox entries still owed after the sweep', { failures: outcome.failures.slice(0, 20), count: outcome.failures.length });
    throw new Error(`${outcome.failures.length} outbox entries could not be done; the next sweep retries them`);
  }
  return { redispatched: outcome.dispatched, published: outcome.published };
};

export const handler = middy(sweep).use(injectLambdaContext(logger, { resetKeys: true })).use(logMetrics(metrics));
