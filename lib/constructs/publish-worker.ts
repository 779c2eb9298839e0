import type { Duration } from 'aws-cdk-lib';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sources from 'aws-cdk-lib/aws-lambda-event-sources';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';

export interface PublishWorkerProps {
  /** The FIFO publish queue (MessageGroupId = tenant#account). */
  readonly publishQueue: sqs.IQueue;
  /** `publish-pin`: claims a job, paces it, calls Pinterest, records the attempt. */
  readonly workerFunction: lambda.IFunction;
  /** The standard delay queue: scheduled jobs, retries and pacing holds wait here. */
  readonly delayQueue: sqs.IQueue;
  /** `release-due-jobs`: due messages go back to their FIFO group (or wait another hop). */
  readonly requeueFunction: lambda.IFunction;
  /**
   * Cap on concurrent worker invocations started by the publish queue (2–1000). Each message group is
   * processed one batch at a time anyway; the cap bounds how many accounts are worked on at once.
   * @default - no cap: Lambda scales with the number of message groups that have messages
   */
  readonly workerMaxConcurrency?: number;
}

/** AWS's recommendation for SQS event sources: visibility ≥ 6 × function timeout (room for Lambda's own retries when throttled). */
export const PUBLISH_QUEUE_VISIBILITY_FACTOR = 6;

/**
 * The two queue consumers of the publish pipeline:
 * - publish queue (FIFO) → `publish-pin`: batches of up to 10 (FIFO's maximum; no batching window exists
 *   for FIFO), partial batch responses so one failed message does not redeliver its neighbours;
 * - delay queue (standard) → `release-due-jobs`: batches of up to 10, partial batch responses, no batching
 *   window (a due job should move at once).
 *
 * Fixed: everything above. Synth fails when a queue's visibility timeout is shorter than its consumer
 * needs: Lambda rejects a mapping whose queue visibility is below the function timeout, and the publish
 * queue must leave room for redeliveries (6×) because every receive counts toward maxReceiveCount.
 */
export class PublishWorker extends Construct {
  public readonly publishSource: sources.SqsEventSource;
  public readonly delaySource: sources.SqsEventSource;

  constructor(scope: Construct, id: string, props: PublishWorkerProps) {
    super(scope, id);
    requireVisibility(props.publishQueue, props.workerFunction, PUBLISH_QUEUE_VISIBILITY_FACTOR);
    requireVisibility(props.delayQueue, props.requeueFunction, 1);

    this.publishSource = new sources.SqsEventSource(props.publishQueue, {
      batchSize: 10,
      reportBatchItemFailures: true,
      maxConcurrency: props.workerMaxConcurrency,
    });
    props.workerFunction.addEventSource(this.publishSource);

    this.delaySource = new sources.SqsEventSource(props.delayQueue, {
      batchSize: 10,
      reportBatchItemFailures: true,
    });
    props.requeueFunction.addEventSource(this.delaySource);
  }
}

/**
 * Fail the synth if `queue`'s visibility timeout is below `factor` × `fn`'s timeout. Checked only when
 * both are known at synth time (a queue and function built in this app, not imported ones).
 */
export function requireVisibility(queue: sqs.IQueue, fn: lambda.IFunction, factor: number): void {
  const cfnQueue = queue.node.defaultChild;
  const visibility = cfnQueue instanceof sqs.CfnQueue ? cfnQueue.visibilityTimeout : undefined;
  const timeout = (fn as { timeout?: Duration }).timeout?.toSeconds();
  if (typeof visibility !== 'number' || timeout === undefined) return;
  if (visibility < factor * timeout) {
    throw new Error(
      `${queue.node.path}: visibility timeout ${visibility} s is below ${factor === 1 ? '' : `${factor} × `}the timeout of ` +
        `${fn.node.path} (${timeout} s); raise visibilityTimeoutSeconds in definitions/queues.ts or lower the function timeout`,
    );
  }
}
