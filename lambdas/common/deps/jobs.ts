import { DynamoJobStore } from '../../adapters/dynamo-job-store.ts';
import { EventBridgePublisher } from '../../adapters/eventbridge-publisher.ts';
import { SqsJobQueue } from '../../adapters/sqs-job-queue.ts';
import { systemClock } from '../../domain/clock.ts';
import type { EventPublisher, JobQueue, JobStore } from '../../use-cases/ports.ts';
import { dynamoClient } from '../clients/dynamo.ts';
import { eventsClient } from '../clients/events.ts';
import { sqsClient } from '../clients/sqs.ts';
import { config, required } from '../config.ts';

/**
 * The Lambda side's composition root, one module per concern (lambdas/common/deps/): real adapters over
 * the module-singleton clients, built on first use so each function only needs the configuration of the
 * ports it actually uses, and imports only the clients and adapters it calls. This one: the jobs table,
 * the queues and the bus.
 */
export const clock = systemClock;

/** The jobs table: the JobStore port, and the operators' counts on its indexes (JobStatistics). */
export function jobsTable(): DynamoJobStore {
  return new DynamoJobStore(dynamoClient(), required('JOBS_TABLE_NAME'), config().JOB_RETENTION_DAYS);
}

export function jobStore(): JobStore {
  return jobsTable();
}

export function jobQueue(): JobQueue {
  return new SqsJobQueue(sqsClient(), required('PUBLISH_QUEUE_URL'), required('DELAY_QUEUE_URL'));
}

/** The delay consumer sends to both queues; the worker only to the delay queue (pacing holds). */
export function delayOnlyQueue(): Pick<JobQueue, 'holdForPacing'> {
  return new SqsJobQueue(sqsClient(), undefined, required('DELAY_QUEUE_URL'));
}

/** The pinrelay bus (EVENT_BUS_NAME, `events:put`): job events from the outbox relay and sweeper. */
export function eventPublisher(): EventPublisher {
  return new EventBridgePublisher(eventsClient(), required('EVENT_BUS_NAME'));
}
