import { Duration } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { consumeQueue, requireVisibility } from './publish-worker.ts';

export interface StrandedJobsProps {
  /** `reconcile-stranded-jobs`: re-dispatches overdue jobs (the due index), recovers expired leases. */
  readonly reconcileFunction: lambda.IFunction;
  /**
   * How often the reconciler runs.
   * @default Duration.minutes(5)
   */
  readonly reconcileEvery?: Duration;
  /** `record-dead-letters`: records dead-lettered job messages on their jobs. */
  readonly deadLetterFunction: lambda.IFunction;
  /** The publish queue's dead-letter queue (FIFO). */
  readonly publishDeadLetterQueue: sqs.IQueue;
  /** The delay queue's dead-letter queue (standard). */
  readonly delayDeadLetterQueue: sqs.IQueue;
  /**
   * The stage key, when it encrypts the queues (`encryption.customerManagedKey`): the consumer decrypts through it.
   * @default - SQS-managed encryption: no key to grant
   */
  readonly encryptionKey?: kms.IKey;
}

/**
 * The backstop behind the queues (docs/adr/0009-reconciler.md): no job may stay non-terminal without
 * something that will move it.
 * - a schedule runs `reconcile-stranded-jobs`, which reads the jobs table's due index;
 * - both dead-letter queues feed `record-dead-letters` (batches of 10, partial batch responses), which
 *   marks each dead-lettered job due at once, so the next reconciler run re-dispatches it.
 *
 * Synth fails when a dead-letter queue's visibility timeout is below the consumer's timeout.
 */
export class StrandedJobs extends Construct {
  public readonly reconcileSchedule: events.Rule;
  /** The dead-letter consumer's mappings: publish DLQ, then delay DLQ. */
  public readonly deadLetterMappings: readonly lambda.EventSourceMapping[];

  constructor(scope: Construct, id: string, props: StrandedJobsProps) {
    super(scope, id);

    this.reconcileSchedule = new events.Rule(this, 'ReconcileSchedule', {
      description: 'pinrelay: re-dispatch non-terminal jobs whose queue message is gone (stranded-job reconciler)',
      schedule: events.Schedule.rate(props.reconcileEvery ?? Duration.minutes(5)),
      targets: [
        new targets.LambdaFunction(props.reconcileFunction, {
          // The next tick is the retry: what a stale run would do, the next one does too.
          retryAttempts: 2,
          maxEventAge: Duration.minutes(2),
        }),
      ],
    });

    requireVisibility(props.publishDeadLetterQueue, props.deadLetterFunction, 1);
    requireVisibility(props.delayDeadLetterQueue, props.deadLetterFunction, 1);
    // Order does not matter in a dead-letter queue, so each message stands alone: no FIFO group skipping.
    this.deadLetterMappings = consumeQueue(this, {
      trigger: 'dead-letter-queues',
      fn: props.deadLetterFunction,
      queues: { PublishDeadLetterQueue: props.publishDeadLetterQueue, DelayDeadLetterQueue: props.delayDeadLetterQueue },
      encryptionKey: props.encryptionKey,
    });
  }
}
