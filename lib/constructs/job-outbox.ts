import { Duration, Validations } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sources from 'aws-cdk-lib/aws-lambda-event-sources';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';

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
}

/**
 * The job outbox (no job may be written and never enqueued): the jobs table stream feeds
 * `relay-outbox`, and a schedule runs `sweep-outbox` as the safety net.
 *
 * Fixed stream settings: from the oldest record (TRIM_HORIZON), batches of 100, one batch per shard at
 * a time (parallelization 1: a job's changes stay in order), partial batch responses, bisect on error,
 * 10 retries within 24 h, then the batch's metadata goes to the dead-letter queue — never silently dropped.
 */
export class JobOutbox extends Construct {
  public readonly streamSource: sources.DynamoEventSource;
  public readonly sweepSchedule: events.Rule;

  constructor(scope: Construct, id: string, props: JobOutboxProps) {
    super(scope, id);

    this.streamSource = new sources.DynamoEventSource(props.jobsTable, {
      startingPosition: lambda.StartingPosition.TRIM_HORIZON,
      batchSize: 100,
      bisectBatchOnError: true,
      reportBatchItemFailures: true,
      retryAttempts: 10,
      maxRecordAge: Duration.hours(24),
      parallelizationFactor: 1,
      onFailure: new sources.SqsDlq(props.deadLetterQueue),
    });
    props.relayFunction.addEventSource(this.streamSource);

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

    if (props.relayFunction.role) {
      Validations.of(props.relayFunction.role).acknowledge({
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason:
          'dynamodb:ListStreams (added by the DynamoDB event source) does not support resource-level permissions; the stream read ' +
          'actions themselves are scoped to the jobs table stream ARN.',
      });
    }
  }
}
