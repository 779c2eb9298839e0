import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { METRICS } from '../../definitions/metrics.ts';
import { deadLetterDeps } from '../common/deps/dead-letters.ts';
import { observedHandler } from '../common/handlers.ts';
import { parseJobMessage } from '../common/job-message.ts';
import { count, inJobSegment, type JobKeys } from '../common/observability.ts';
import { logger } from '../common/powertools.ts';
import { recordDeadLetter } from '../use-cases/reconcile.ts';

/**
 * Consumer of both dead-letter queues (lambdas/use-cases/reconcile.ts). The publish DLQ is the FIFO one,
 * so a record's queue is told by its ARN. Order does not matter here: each record stands alone, and one
 * that fails (DynamoDB unavailable) comes back after the visibility timeout.
 */
const processor = new BatchProcessor(EventType.SQS);

/** The job a dead-lettered message points at, when it is a job message at all (for logs and traces only). */
function keysOf(record: SQSRecord): JobKeys {
  try {
    const message = parseJobMessage(record.messageId, record.body);
    return { job_id: message.job_id, tenant_id: message.tenant_id };
  } catch {
    return {};
  }
}

async function processRecord(record: SQSRecord): Promise<void> {
  const keys = keysOf(record);
  await inJobSegment('dead letter', keys, () => recordOne(record, keys));
}

async function recordOne(record: SQSRecord, keys: JobKeys): Promise<void> {
  const result = await recordDeadLetter(deadLetterDeps(), {
    messageId: record.messageId,
    body: record.body,
    queue: record.eventSourceARN.endsWith('.fifo') ? 'publish' : 'delay',
    receiveCount: Number(record.attributes.ApproximateReceiveCount) || null,
    ...(record.attributes.MessageGroupId ? { messageGroupId: record.attributes.MessageGroupId } : {}),
  });
  count(METRICS.DeadLettersRecorded, result);
  logger.warn('dead-lettered message', { ...keys, message_id: record.messageId, result });
}

const record = async (event: SQSEvent, context: Context): Promise<SQSBatchResponse> =>
  processPartialResponse(event, processRecord, processor, { context });

export const handler = observedHandler(record);
