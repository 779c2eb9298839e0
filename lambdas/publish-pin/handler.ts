import { SqsFifoPartialProcessorAsync, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { METRICS } from '../../definitions/metrics.ts';
import { observedPinterest, type PinterestCall } from '../adapters/observed-pinterest.ts';
import type { Job } from '../domain/job.ts';
import { publishDeps } from '../common/deps/publish.ts';
import { observedHandler } from '../common/handlers.ts';
import { parseJobMessage } from '../common/job-message.ts';
import { clearJobContext, count, emit, inJobSegment, setJobContext } from '../common/observability.ts';
import { logger } from '../common/powertools.ts';
import { publishJob, type PublishDeps, type PublishResult } from '../use-cases/publish.ts';

/**
 * The publish-queue worker. Each message is a job to attempt once (lambdas/use-cases/publish.ts).
 * A record that throws (poison, our own bug, DynamoDB unavailable) is a batch item failure: it and the
 * rest of its message group come back after the visibility timeout, and a message that keeps failing
 * reaches the DLQ after maxReceiveCount. Pacing holds delete the message instead, so they never count.
 *
 * Observability: one trace subsegment per message annotated with the job and tenant ids (Pinterest and
 * AWS calls nest under it), one log line per attempt with job_id, tenant_id, account_id, idempotency_key,
 * attempt and outcome, and the worker's metrics of definitions/metrics.ts. Status changes themselves
 * are logged and counted by the outbox relay, which sees them all.
 */
const processor = new SqsFifoPartialProcessorAsync();

/** Each Pinterest request of the worker as metrics: its duration, and the 429s with and without Retry-After. */
function recordPinterestCall(call: PinterestCall): void {
  emit(METRICS.PinterestCallDuration, call.durationMs, call.call);
  if (call.status === 429) count(METRICS.PinterestRateLimited, call.retryAfter ? 'present' : 'absent');
}

/** The container's dependencies with an observed Pinterest client, made once per dependency set. */
const observed = new WeakMap<PublishDeps, PublishDeps>();
function observedDeps(deps: PublishDeps): PublishDeps {
  let wrapped = observed.get(deps);
  if (!wrapped) {
    wrapped = { ...deps, pinterest: observedPinterest(deps.pinterest, recordPinterestCall) };
    observed.set(deps, wrapped);
  }
  return wrapped;
}

/**
 * Enqueue → claim of the attempt this delivery started: from the job's last `queued` change to the
 * attempt's start. Null for an attempt an earlier delivery started (a recovered lease).
 */
function queueWaitMs(job: Job, deliveryStartedMs: number): number | null {
  const attempt = job.attempts.at(-1);
  if (!attempt) return null;
  const claimedAt = Date.parse(attempt.started_at);
  if (!(claimedAt >= deliveryStartedMs)) return null;
  const queued = job.status_history.findLast((change) => change.status === 'queued' && Date.parse(change.at) <= claimedAt);
  return queued ? claimedAt - Date.parse(queued.at) : null;
}

function observe(result: PublishResult, deliveryStartedMs: number): void {
  if (result.kind === 'held') {
    count(METRICS.PacingHolds);
    logger.debug('paced', { wait_ms: result.waitMs });
    return;
  }
  if (result.kind === 'skipped') {
    count(METRICS.DeliveriesSkipped);
    logger.info('delivery skipped', { reason: result.reason });
    return;
  }
  const { job, classification } = result;
  const outcome = classification?.outcome ?? 'succeeded';
  const attempt = job.attempts.at(-1);
  setJobContext({ account_id: job.account_id, idempotency_key: job.idempotency_key }, { annotate: false });
  count(METRICS.Attempts, outcome);
  const wait = queueWaitMs(job, deliveryStartedMs);
  if (wait !== null) emit(METRICS.QueueWait, wait);
  logger.info('attempt recorded', {
    attempt: attempt?.number ?? job.attempt_count,
    outcome,
    status: job.status,
    reason: classification?.reason,
    http_status: attempt?.http_status ?? undefined,
    error_code: attempt?.error_code ?? undefined,
    route: job.failure?.route,
  });
  if (result.error !== undefined) {
    count(METRICS.WorkerCrashes);
    // A crash is recorded on the job (class and message); the stack is for engineers, in the log only.
    logger.error('attempt crashed', result.error as Error);
  }
}

/** Powertools hands each record handler the invocation's context (its remaining time bounds the attempt). */
async function processRecord(record: SQSRecord, context?: Context): Promise<void> {
  const message = parseJobMessage(record.messageId, record.body);
  const keys = { job_id: message.job_id, tenant_id: message.tenant_id };
  setJobContext(keys, { annotate: false });
  try {
    await inJobSegment(
      'publish job',
      keys,
      async () => {
        const deps = observedDeps(await publishDeps());
        const deliveryStartedMs = deps.clock.now().getTime();
        const result = await publishJob(deps, message, {
          remainingMs: () => (context ? context.getRemainingTimeInMillis() : Number.POSITIVE_INFINITY),
        });
        observe(result, deliveryStartedMs);
      },
      { current: true },
    );
  } finally {
    clearJobContext();
  }
}

const work = async (event: SQSEvent, context: Context): Promise<SQSBatchResponse> =>
  processPartialResponse(event, processRecord, processor, { context, skipGroupOnError: true });

export const handler = observedHandler(work);
