import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBRecord, DynamoDBStreamEvent, DynamoDBBatchResponse } from 'aws-lambda';
import { fromItem } from '../adapters/dynamo-job-store.ts';
import { clock, eventPublisher, jobQueue, jobStore } from '../shared/deps.ts';
import { logger, metrics } from '../shared/powertools.ts';
import { inJobOrder, relayJobChange } from '../use-cases/dispatch.ts';

/**
 * The outbox relay: every change to the jobs table arrives here (DynamoDB Streams). A change of version
 * gets its queue message and its event (docs/adr/0001-outbox-for-enqueue.md). A failed record is reported
 * as a batch item failure, so the event source retries from it; nothing is caught and dropped. A job's
 * changes are relayed one after another in stream order (different jobs side by side), so its events
 * reach the bus in the order its status changed.
 */
const image = (raw: unknown) => (raw ? fromItem(unmarshall(raw as never)) : null);

/** The item a record belongs to: records of one job share it (and a shard). */
const itemOf = (record: DynamoDBRecord) => JSON.stringify(record.dynamodb?.Keys ?? record.eventID);

async function relayRecord(record: DynamoDBRecord): Promise<void> {
  const change = { before: image(record.dynamodb?.OldImage), after: image(record.dynamodb?.NewImage) };
  const { dispatched, event } = await relayJobChange({ jobs: jobStore(), queue: jobQueue(), events: eventPublisher(), clock }, change);
  metrics.addMetric('JobChangesRelayed', MetricUnit.Count, 1);
  if (dispatched) metrics.addMetric('JobDispatched', MetricUnit.Count, 1);
  if (event) metrics.addMetric('JobEventsPublished', MetricUnit.Count, 1);
  if (dispatched || event) {
    logger.debug('relayed', { job_id: change.after?.job.id, status: change.after?.job.status, version: change.after?.version, dispatched, event_id: event?.id });
  }
}

const relay = async (event: DynamoDBStreamEvent): Promise<DynamoDBBatchResponse> => {
  const { failed, errors } = await inJobOrder(event.Records, itemOf, relayRecord);
  for (const error of errors) {
    logger.error('a job change could not be relayed; the stream retries it', { error: error instanceof Error ? `${error.name}: ${error.message}` : String(error) });
  }
  if (failed.length > 0) metrics.addMetric('JobChangesFailed', MetricUnit.Count, failed.length);
  return { batchItemFailures: failed.map((record) => ({ itemIdentifier: record.dynamodb?.SequenceNumber ?? '' })) };
};

export const handler = middy(relay).use(injectLambdaContext(logger, { resetKeys: true })).use(logMetrics(metrics));
