import { Names, type Duration } from 'aws-cdk-lib';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { TRIGGER_GRANTS, type TriggerKind } from '../../definitions/access-grants.ts';
import { addGrants, arnsFrom } from './grants.ts';

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
  /**
   * The stage key, when it encrypts the queues (`encryption.customerManagedKey`): consumers decrypt through it.
   * @default - SQS-managed encryption: no key to grant
   */
  readonly encryptionKey?: kms.IKey;
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
 * Each mapping polls with its function's role, which gets exactly its trigger's grants in
 * definitions/access-grants.ts (`consumeQueue`: no GetQueueUrl or ChangeMessageVisibility, which CDK's
 * SqsEventSource would add and Lambda does not use).
 *
 * Fixed: everything above. Synth fails when a queue's visibility timeout is shorter than its consumer
 * needs: Lambda rejects a mapping whose queue visibility is below the function timeout, and the publish
 * queue must leave room for redeliveries (6×) because every receive counts toward maxReceiveCount.
 */
export class PublishWorker extends Construct {
  public readonly publishMapping: lambda.EventSourceMapping;
  public readonly delayMapping: lambda.EventSourceMapping;

  constructor(scope: Construct, id: string, props: PublishWorkerProps) {
    super(scope, id);
    requireVisibility(props.publishQueue, props.workerFunction, PUBLISH_QUEUE_VISIBILITY_FACTOR);
    requireVisibility(props.delayQueue, props.requeueFunction, 1);

    this.publishMapping = consumeQueue(this, {
      trigger: 'publish-queue',
      fn: props.workerFunction,
      queues: { PublishQueue: props.publishQueue },
      encryptionKey: props.encryptionKey,
      maxConcurrency: props.workerMaxConcurrency,
    }).at(0) as lambda.EventSourceMapping;
    this.delayMapping = consumeQueue(this, {
      trigger: 'delay-queue',
      fn: props.requeueFunction,
      queues: { DelayQueue: props.delayQueue },
      encryptionKey: props.encryptionKey,
    }).at(0) as lambda.EventSourceMapping;
  }
}

/**
 * One SQS event source mapping per queue for `fn` (batches of 10, partial batch responses), and the
 * function's role gets its trigger's grants (definitions/access-grants.ts) for those queues and, with the
 * stage key, the key through SQS. Mapping ids are the ones CDK's SqsEventSource uses, so deployed mappings
 * are kept, not replaced.
 */
export function consumeQueue(
  scope: Construct,
  props: {
    readonly trigger: TriggerKind;
    readonly fn: lambda.IFunction;
    /** The queues by the names the trigger's grants use (PublishQueue, DelayQueue, …). */
    readonly queues: Readonly<
      Partial<Record<'PublishQueue' | 'DelayQueue' | 'PublishDeadLetterQueue' | 'DelayDeadLetterQueue', sqs.IQueue>>
    >;
    readonly encryptionKey: kms.IKey | undefined;
    readonly maxConcurrency?: number | undefined;
  },
): lambda.EventSourceMapping[] {
  const role = props.fn.role;
  if (!role) throw new Error(`${props.fn.node.path}: a queue consumer needs its role for the queue grants`);
  const queues = Object.entries(props.queues).filter((entry): entry is [string, sqs.IQueue] => entry[1] !== undefined);
  addGrants(
    role,
    TRIGGER_GRANTS[props.trigger],
    arnsFrom(scope.node.path, {
      ...Object.fromEntries(queues.map(([name, queue]) => [name, queue.queueArn])),
      ...(props.encryptionKey ? { EncryptionKey: props.encryptionKey.keyArn } : {}),
    }),
    { customerManagedKey: props.encryptionKey !== undefined },
  );
  return queues.map(([, queue]) =>
    props.fn.addEventSourceMapping(`SqsEventSource:${Names.nodeUniqueId(queue.node)}`, {
      eventSourceArn: queue.queueArn,
      batchSize: 10,
      reportBatchItemFailures: true,
      ...(props.maxConcurrency !== undefined ? { maxConcurrency: props.maxConcurrency } : {}),
    }),
  );
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
