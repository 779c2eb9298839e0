import middy from '@middy/core';
import { SqsFifoPartialProcessorAsync, processPartialResponse } from '@aws-lambda-powertools/batch';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { publishDeps } from '../shared/deps.ts';
import { parseJobMessage } from '../shared/job-message.ts';
import { logger, metrics } from '../shared/powertools.ts';
import { publishJob } from '../use-cases/publish.ts';

/**
 * The publish-queue worker. Each message is a job to attempt once (lambdas/use-cases/publish.ts).
 * A record that throws (poison, our own bug, DynamoDB unavailable) is a batch item failure: it and the
 * rest of its message group come back after the visibility timeout, and a message that keeps failing
 * reaches the DLQ after maxReceiveCount. Pacing holds delete the message instead, so they never count.
 */
const processor = new SqsFifoPartialProcessorAsync();

/** Powertools hands each record handler the invocation's context (its remaining time bounds the attempt). */
async function processRecord(record: SQSRecord, context?: Context): Promise<void> {
  const message = parseJobMessage(record.messageId, record.body);
  logger.appendKeys({ job_id: message.job_id, tenant_id: message.tenant_id });
  const result = await publishJob(await publishDeps(), message, {
    remainingMs: () => (context ? context.getRemainingTimeInMillis() : Number.POSITIVE_INFINITY),
  });
  if (result.kind === 'recorded') {
    const status = result.job.status;
    metrics.addMetric(`Job${status === 'succeeded' ? 'Succeeded' : status === 'failed' ? 'Failed' : 'RetryScheduled'}`, MetricUnit.Count, 1);
    if (result.classification) metrics.addMetric(`Outcome_${result.classification.outcome}`, MetricUnit.Count, 1);
    logger.info('attempt recorded', { status, outcome: result.classification?.outcome ?? 'succeeded', reason: result.classification?.reason, attempt: result.job.attempt_count });
    // A crash is recorded on the job (class and message); the stack is for engineers, in the log only.
    if (result.error !== undefined) logger.error('attempt crashed', result.error as Error);
  } else if (result.kind === 'held') {
    metrics.addMetric('PacingHold', MetricUnit.Count, 1);
    logger.debug('paced', { wait_ms: result.waitMs });
  } else {
    metrics.addMetric('DeliverySkipped', MetricUnit.Count, 1);
    logger.info('delivery skipped', { reason: result.reason });
  }
  logger.removeKeys(['job_id', 'tenant_id']);
}

const work = async (event: SQSEvent, context: Context): Promise<SQSBatchResponse> =>
  processPartialResponse(event, processRecord, processor, { context, skipGroupOnError: true });

export const handler = middy(work).use(injectLambdaContext(logger, { resetKeys: true })).use(logMetrics(metrics));
