import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { config } from '../shared/config.ts';
import { clock, jobQueue, jobStore } from '../shared/deps.ts';
import { logger, metrics } from '../shared/powertools.ts';
import { sweepUndispatched } from '../use-cases/dispatch.ts';

/** Per run; a larger backlog drains over consecutive runs (every minute). */
const SWEEP_BATCH = 200;

const sweep = async (): Promise<{ redispatched: number }> => {
  const redispatched = await sweepUndispatched(
    { jobs: jobStore(), queue: jobQueue(), clock },
    { graceSeconds: config().SWEEP_GRACE_SECONDS, limit: SWEEP_BATCH },
  );
  metrics.addMetric('JobsRedispatchedBySweeper', MetricUnit.Count, redispatched);
  if (redispatched > 0) logger.warn('sweeper dispatched jobs the outbox relay had not', { redispatched });
  return { redispatched };
};

export const handler = middy(sweep).use(injectLambdaContext(logger, { resetKeys: true })).use(logMetrics(metrics));
