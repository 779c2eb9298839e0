import { SqsPoisonQueue } from '../../adapters/sqs-poison-queue.ts';
import type { DeadLetterDeps } from '../../use-cases/reconcile.ts';
import { sqsClient } from '../clients/sqs.ts';
import { required } from '../config.ts';
import { parseJobMessage } from '../job-message.ts';
import { clock, jobStore } from './jobs.ts';

/** The dead-letter consumer: records the incident on its job, parks an unreadable body in the poison queue. */
export function deadLetterDeps(): DeadLetterDeps {
  return { jobs: jobStore(), clock, poison: new SqsPoisonQueue(sqsClient(), required('POISON_QUEUE_URL')), parseMessage: parseJobMessage };
}
