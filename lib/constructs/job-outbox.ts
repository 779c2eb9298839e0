import { Duration, Names, Validations } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { TRIGGER_GRANTS } from '../../definitions/access-grants.ts';
import { addGrants, arnsFrom } from './grants.ts';

export interface JobOutboxProps {
  /** The jobs table; its stream (NEW_AND_OLD_IMAGES) is the outbox. */
  readonly jobsTable: dynamodb.ITable;
  /** `relay-outbox`: turns job changes into queue messages. */
  readonly relayFunction: lambda.IFunction;
  /** Where stream batches go (as metadata) once the relay gave up on them. */
  readonly deadLetterQueue: sqs.IQueue;
  /** `sweep-outbox`: re-sends jobs whose enqueue was never confirmed. */
  readonly sweepFunction: lambda.IFunction;
  /**
   * How often the sweeper runs.
   * @default Duration.minutes(1)
   */
  readonly sweepEvery?: Duration;
  /**
   * The stage key, when it encrypts the table and the queues (`encryption.customerManagedKey`): the relay then
   * decrypts stream records and writes to the DLQ through it.
   * @default - AWS-managed encryption: no key to grant
   */
  readonly encryptionKey?: kms.IKey;
}

/**
 * The job outbox (no job may be written and never enqueued): the jobs table stream feeds
 * `relay-outbox`, and a schedule runs `sweep-outbox` as the safety net.
 *
 * Fixed stream settings: from the oldest record (TRIM_HORIZON), batches of 100, one batch per shard at
 * a time (parallelization 1: a job's changes stay in order), partial batch responses, bisect on error,
 * 10 retries within 24 h, then the batch's metadata goes to the dead-letter queue — never silently dropped.
 *
 * The mapping reads with the relay's role, which gets exactly the `jobs-stream` grants of
 * definitions/access-grants.ts (no GetQueueUrl or GetQueueAttributes on the DLQ, as CDK's event source would add).
 */
export class JobOutbox extends Construct {
  public readonly streamMapping: lambda.EventSourceMapping;
  public readonly sweepSchedule: events.Rule;

  constructor(scope: Construct, id: string, props: JobOutboxProps) {
    super(scope, id);
    const role = props.relayFunction.role;
    if (!role) throw new Error(`${props.relayFunction.node.path}: the relay needs its role for the stream grants`);
    if (!props.jobsTable.tableStreamArn) throw new Error(`${props.jobsTable.node.path}: the jobs table has no stream`);

    addGrants(
      role,
      TRIGGER_GRANTS['jobs-stream'],
      arnsFrom(this.node.path, {
        'JobsTable/stream': props.jobsTable.tableStreamArn,
        '*': '*',
        OutboxDeadLetterQueue: props.deadLetterQueue.queueArn,
        ...(props.encryptionKey ? { EncryptionKey: props.encryptionKey.keyArn } : {}),
      }),
      { customerManagedKey: props.encryptionKey !== undefined },
    );
    // The id CDK's DynamoEventSource gives its mapping: the mapping of a deployed stack keeps its place in the stream.
    this.streamMapping = props.relayFunction.addEventSourceMapping(`DynamoDBEventSource:${Names.nodeUniqueId(props.jobsTable.node)}`, {
      eventSourceArn: props.jobsTable.tableStreamArn,
      startingPosition: lambda.StartingPosition.TRIM_HORIZON,
      batchSize: 100,
      bisectBatchOnError: true,
      reportBatchItemFailures: true,
      retryAttempts: 10,
      maxRecordAge: Duration.hours(24),
      parallelizationFactor: 1,
      // Its grant is the catalogue's (above), not SqsDlq's grantSendMessages.
      onFailure: { bind: () => ({ destination: props.deadLetterQueue.queueArn }) },
    });

    this.sweepSchedule = new events.Rule(this, 'SweepSchedule', {
      description: 'pinrelay: re-send jobs whose enqueue was never confirmed (outbox safety net)',
      schedule: events.Schedule.rate(props.sweepEvery ?? Duration.minutes(1)),
      targets: [
        new targets.LambdaFunction(props.sweepFunction, {
          // The next tick is the retry: stale sweeps are worthless.
          retryAttempts: 2,
          maxEventAge: Duration.minutes(2),
        }),
      ],
    });

    Validations.of(role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'dynamodb:ListStreams (needed by the DynamoDB event source) does not support resource-level permissions; the stream read ' +
        'actions themselves are scoped to the jobs table stream ARN.',
    });
  }
}
