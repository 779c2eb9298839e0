import { METRICS } from '../../definitions/metrics.ts';
import { config } from '../common/config.ts';
import { clock, eventPublisher, jobQueue, jobStore } from '../common/deps/jobs.ts';
import { observedHandler } from '../common/handlers.ts';
import { emit } from '../common/observability.ts';
import { logger } from '../common/powertools.ts';
import { sweepPendingOutbox } from '../use-cases/outbox.ts';

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
  emit(METRICS.SweeperRedispatches, outcome.dispatched);
  emit(METRICS.JobEventsPublished, outcome.published, 'sweeper');
  if (outcome.dispatched > 0 || outcome.published > 0) {
    logger.warn('sweeper did what the outbox relay had not', { redispatched: outcome.dispatched, published: outcome.published });
  }
  if (outcome.failures.length > 0) {
    logger.error('outbox entries still owed after the sweep', { failures: outcome.failures.slice(0, 20), count: outcome.failures.length });
    throw new Error(`${outcome.failures.length} outbox entries could not be done; the next sweep retries them`);
  }
  return { redispatched: outcome.dispatched, published: outcome.published };
};

export const handler = observedHandler(sweep);
