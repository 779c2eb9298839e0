import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { METRICS } from '../../definitions/metrics.ts';
import { clock, jobQueue, jobStore } from '../common/deps/jobs.ts';
import { parseJobMessage } from '../common/job-message.ts';
import { observedHandler } from '../common/handlers.ts';
import { count, inJobSegment } from '../common/observability.ts';
import { logger } from '../common/powertools.ts';
import { releaseDue } from '../use-cases/release-due.ts';

/** The delay-queue consumer (lambdas/use-cases/release-due.ts). Failures come back after visibility. */
const processor = new BatchProcessor(EventType.SQS);

async function processRecord(record: SQSRecord): Promise<void> {
  const message = parseJobMessage(record.messageId, record.body);
  const keys = { job_id: message.job_id, tenant_id: message.tenant_id };
  const result = await inJobSegment('release due job', keys, () => releaseDue({ jobs: jobStore(), queue: jobQueue(), clock }, message));
  count(METRICS.DelayQueueMessages, result);
  logger.debug('delay queue message', { ...keys, result });
}

const release = async (event: SQSEvent, context: Context): Promise<SQSBatchResponse> =>
  processPartialResponse(event, processRecord, processor, { context });

export const handler = observedHandler(release);
