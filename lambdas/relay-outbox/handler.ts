import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBRecord, DynamoDBStreamEvent, DynamoDBBatchResponse } from 'aws-lambda';
import { METRICS } from '../../definitions/metrics.ts';
import { fromItem } from '../adapters/dynamo-job-item.ts';
import type { JobRecord } from '../domain/job.ts';
import { clock, eventPublisher, jobQueue, jobStore } from '../common/deps/jobs.ts';
import { observedHandler } from '../common/handlers.ts';
import { count, emit, inJobSegment } from '../common/observability.ts';
import { logger } from '../common/powertools.ts';
import { RelayedChanges, relayJobChanges, type JobChange } from '../use-cases/outbox.ts';

/**
 * The outbox relay: every change to the jobs table arrives here (DynamoDB Streams). A change of version
 * gets its queue message and its event (docs/adr/0001-outbox-for-enqueue.md). A failed record is reported
 * as a batch item failure, so the event source retries from it; nothing is caught and dropped. A job's
 * changes are relayed one after another in stream order (different jobs side by side), so its events
 * reach the bus in the order its status changed.
 *
 * Whoever changed a job (intake, worker, delay consumer, reconciler, API), the change passes here: each
 * relayed status change is one INFO log line (`job status changed`, from → to, with the job's keys) and
 * the job-level metrics (succeeded, failed by route, cancelled, retries, end-to-end time). A record the
 * stream delivers again after a failure may be counted again: the metrics are at least once, like events.
 */
const image = (raw: unknown) => (raw ? fromItem(unmarshall(raw as never)) : null);

/** The records this container relayed in full: a retried batch's records that were done are not done again. */
const relayed = new RelayedChanges();

/** The item a record belongs to: records of one job share it (and a shard). */
const itemOf = (record: DynamoDBRecord) => JSON.stringify(record.dynamodb?.Keys ?? record.eventID);

/** One line and the job-level metrics for a relayed change of version (the changes relayJobChanges acts on). */
function observeChange(before: JobRecord | null, after: JobRecord, details: { dispatched: boolean; eventId: string | undefined }): void {
  const { job } = after;
  const from = before?.job.status ?? null;
  const last = job.attempts.at(-1);
  // The attempt that caused the change, when the job leaves `running`.
  const attempt = from === 'running' && last ? { attempt: last.number, outcome: last.outcome ?? undefined } : {};
  const keys = {
    job_id: job.id,
    tenant_id: after.tenantId,
    account_id: job.account_id,
    idempotency_key: job.idempotency_key,
    version: after.version,
    dispatched: details.dispatched,
  };
  if (from === job.status) {
    logger.info('job re-dispatched', { ...keys, status: job.status });
    return;
  }
  logger.info('job status changed', {
    ...keys,
    from: from ?? 'none', // a new job
    to: job.status,
    ...attempt,
    ...(job.status === 'failed' && job.failure ? { route: job.failure.route, reason: job.failure.reason } : {}),
    event_id: details.eventId,
  });
  const endToEnd = Date.parse(job.updated_at) - Date.parse(job.created_at);
  switch (job.status) {
    case 'succeeded':
      count(METRICS.JobsSucceeded);
      emit(METRICS.EndToEndDuration, endToEnd, 'succeeded');
      return;
    case 'failed':
      count(METRICS.JobsFailed, job.failure?.route ?? 'engineering');
      emit(METRICS.EndToEndDuration, endToEnd, 'failed');
      return;
    case 'cancelled':
      count(METRICS.JobsCancelled);
      emit(METRICS.EndToEndDuration, endToEnd, 'cancelled');
      return;
    case 'retry_scheduled':
      count(METRICS.RetriesScheduled, last?.outcome ?? 'unknown');
      return;
    default:
      return;
  }
}

function changeOf(record: DynamoDBRecord): JobChange {
  return {
    before: image(record.dynamodb?.OldImage),
    after: image(record.dynamodb?.NewImage),
    // A retried batch brings the same record back: same item, same sequence number.
    id: `${itemOf(record)}#${record.dynamodb?.SequenceNumber ?? record.eventID}`,
  };
}

/** The batch's changes are relayed together: messages, then events in as few requests as order allows, one confirmation per job. */
const relay = async (event: DynamoDBStreamEvent): Promise<DynamoDBBatchResponse> => {
  const {
    relayed: done,
    failed,
    errors,
  } = await inJobSegment('relay job changes', {}, () =>
    relayJobChanges({ jobs: jobStore(), queue: jobQueue(), events: eventPublisher(), clock, relayed }, event.Records, itemOf, changeOf),
  );
  for (const { change, outcome } of done) {
    const { before, after } = change;
    if (outcome.dispatched) count(METRICS.JobsDispatched);
    if (outcome.event) count(METRICS.JobEventsPublished, 'relay');
    if (after && !outcome.repeated && (!before || before.version !== after.version))
      observeChange(before, after, { dispatched: outcome.dispatched, eventId: outcome.event?.id });
  }
  for (const error of errors) {
    logger.error('a job change could not be relayed; the stream retries it', {
      error: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
    });
  }
  if (failed.length > 0) emit(METRICS.JobChangesFailed, failed.length);
  return { batchItemFailures: failed.map((record) => ({ itemIdentifier: record.dynamodb?.SequenceNumber ?? '' })) };
};

export const handler = observedHandler(relay);
