import middy from '@middy/core';
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { SqsPoisonQueue } from '../adapters/sqs-poison-queue.ts';
import { sqsClient } from '../shared/clients.ts';
import { required } from '../shared/config.ts';
import { clock, jobStore } from '../shared/deps.ts';
import { logger, metrics } from '../shared/powertools.ts';
import { recordDeadLetter } from '../use-cases/reconcile.ts';

/**
 * Consumer of both dead-letter queues (lambdas/use-cases/reconcile.ts). The publish DLQ is the FIFO one,
 * so a record's queue is told by its ARN. Order does not matter here: each record stands alone, and one
 * that fails (DynamoDB unavailable) comes back after the visibility timeout.
 */
const processor = new BatchProcessor(EventType.SQS);

async function processRecord(record: SQSRecord): Promise<void> {
  const result = await recordDeadLetter(
    { jobs: jobStore(), clock, poison: new SqsPoisonQueue(sqsClient(), required('POISON_QUEUE_URL')) },
    {
      messageId: record.messageId,
      body: record.body,
      queue: record.eventSourceARN.endsWith('.fifo') ? 'publish' : 'delay',
      receiveCount: Number(record.attributes.ApproximateReceiveCount) || null,
      ...(record.attributes.MessageGroupId ? { messageGroupId: record.attributes.MessageGroupId } : {}),
    },
  );
  metrics.addMetric(`DeadLetter_${result}`, MetricUnit.Count, 1);
  logger.warn('dead-lettered message', { message_id: record.messageId, result });
}

const record = async (event: SQSEvent, context: Context): Promise<SQSBatchResponse> =>
  processPartialResponse(event, processRecord, processor, { context });

export const handler = middy(record).use(injectLambdaContext(logger, { resetKeys: true })).use(logMetrics(metrics));
