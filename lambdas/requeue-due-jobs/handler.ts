import middy from '@middy/core';
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { clock, jobQueue, jobStore } from '../shared/deps.ts';
import { parseJobMessage } from '../shared/job-message.ts';
import { logger, metrics } from '../shared/powertools.ts';
import { requeueDue } from '../use-cases/requeue-due.ts';

/** The delay-queue consumer (lambdas/use-cases/requeue-due.ts). Failures come back after visibility. */
const processor = new BatchProcessor(EventType.SQS);

async function processRecord(record: SQSRecord): Promise<void> {
  const message = parseJobMessage(record.messageId, record.body);
  const result = await requeueDue({ jobs: jobStore(), queue: jobQueue(), clock }, message);
  metrics.addMetric(`Requeue_${result}`, MetricUnit.Count, 1);
  logger.debug('delay queue message', { job_id: message.job_id, result });
}

const requeue = async (event: SQSEvent, context: Context): Promise<SQSBatchResponse> =>
  processPartialResponse(event, processRecord, processor, { context });

export const handler = middy(requeue).use(injectLambdaContext(logger, { resetKeys: true })).use(logMetrics(metrics));
