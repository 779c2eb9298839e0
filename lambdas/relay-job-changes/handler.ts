import middy from '@middy/core';
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBRecord, DynamoDBStreamEvent, DynamoDBBatchResponse } from 'aws-lambda';
import { fromItem } from '../adapters/dynamo-job-store.ts';
import { clock, jobQueue, jobStore } from '../shared/deps.ts';
import { logger, metrics } from '../shared/powertools.ts';
import { relayJobChange } from '../use-cases/dispatch.ts';

/**
 * The outbox relay: every change to the jobs table arrives here (DynamoDB Streams). A failed record is
 * reported as a batch item failure, so the event source retries from it; nothing is caught and dropped.
 */
const processor = new BatchProcessor(EventType.DynamoDBStreams);

const image = (raw: unknown) => (raw ? fromItem(unmarshall(raw as never)) : null);

async function relayRecord(record: DynamoDBRecord): Promise<void> {
  const change = { before: image(record.dynamodb?.OldImage), after: image(record.dynamodb?.NewImage) };
  const sent = await relayJobChange({ jobs: jobStore(), queue: jobQueue(), clock }, change);
  metrics.addMetric('JobChangesRelayed', MetricUnit.Count, 1);
  if (sent) {
    metrics.addMetric('JobDispatched', MetricUnit.Count, 1);
    logger.debug('dispatched', { job_id: change.after?.job.id, status: change.after?.job.status, version: change.after?.version });
  }
}

const relay = async (event: DynamoDBStreamEvent): Promise<DynamoDBBatchResponse> =>
  processPartialResponse(event, relayRecord, processor);

export const handler = middy(relay).use(injectLambdaContext(logger, { resetKeys: true })).use(logMetrics(metrics));
