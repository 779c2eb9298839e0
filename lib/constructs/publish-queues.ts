import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import {
  DELAY_DLQ,
  DELAY_QUEUE,
  OUTBOX_DLQ,
  POISON_QUEUE,
  PUBLISH_DLQ,
  PUBLISH_QUEUE,
  QUEUES,
  type QueueDefinition,
} from '../../definitions/queues.ts';

/**
 * pinrelay's SQS queues, built from `QUEUES` (definitions/queues.ts) in definition order (dead-letter
 * queues first), so the deployed queues and local mode's fauxqs queues share their attributes.
 *
 * Fixed for every queue: server-side encryption, TLS-only access (`enforceSSL`: the queue policy denies
 * any request with `aws:SecureTransport` false), CDK-generated names. The encryption is SQS-managed
 * (SSE-SQS: nothing to grant) unless the stage brings its own key (`encryptionKey`, SSE-KMS): then every
 * producer and consumer needs the key through SQS (definitions/access-grants.ts), and EventBridge writing
 * to the webhook DLQ needs it through the key policy (lib/constructs/webhooks.ts). FIFO queues additionally: explicit deduplication ids only
 * (`contentBasedDeduplication: false`) and high-throughput mode (deduplication scope and throughput
 * limit per message group — each tenant#account group is independent).
 */
export interface PublishQueuesProps {
  /**
   * What happens to the queues (and the messages in them) when the stack is deleted.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
  /**
   * Customer-managed key for every queue (stage setting `encryption.customerManagedKey`).
   * @default - SQS-managed encryption (SSE-SQS)
   */
  readonly encryptionKey?: kms.IKey;
}

export class PublishQueues extends Construct {
  /** FIFO publish queue (MessageGroupId = tenant#account); the worker's event source. */
  public readonly publishQueue: sqs.Queue;
  /** FIFO dead-letter queue of the publish queue (poison messages). */
  public readonly publishDeadLetterQueue: sqs.Queue;
  /** Standard queue for delayed requeues (≤ 900 s per hop). */
  public readonly delayQueue: sqs.Queue;
  /** Dead-letter queue of the delay queue. */
  public readonly delayDeadLetterQueue: sqs.Queue;
  /** On-failure destination of the jobs-stream outbox relay (stream batch metadata). */
  public readonly outboxDeadLetterQueue: sqs.Queue;
  /** Dead-lettered messages that are not job messages, parked by `record-dead-letters` (no consumer). */
  public readonly poisonQueue: sqs.Queue;
  /** Every queue by its definition's logical name (for drift tests and observability). */
  public readonly queues: ReadonlyMap<string, sqs.Queue>;

  constructor(scope: Construct, id: string, props: PublishQueuesProps = {}) {
    super(scope, id);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    const queues = new Map<string, sqs.Queue>();
    for (const def of QUEUES as readonly QueueDefinition[]) {
      const deadLetterQueue = def.deadLetter
        ? {
            queue: mustGet(queues, def.deadLetter.queue),
            maxReceiveCount: def.deadLetter.maxReceiveCount,
          }
        : undefined;
      queues.set(def.logicalName, buildQueue(this, def, removalPolicy, deadLetterQueue, props.encryptionKey));
    }
    this.queues = queues;
    this.publishQueue = mustGet(queues, PUBLISH_QUEUE.logicalName);
    this.publishDeadLetterQueue = mustGet(queues, PUBLISH_DLQ.logicalName);
    this.delayQueue = mustGet(queues, DELAY_QUEUE.logicalName);
    this.delayDeadLetterQueue = mustGet(queues, DELAY_DLQ.logicalName);
    this.outboxDeadLetterQueue = mustGet(queues, OUTBOX_DLQ.logicalName);
    this.poisonQueue = mustGet(queues, POISON_QUEUE.logicalName);
  }
}

function mustGet<K, V>(map: ReadonlyMap<K, V>, key: K): V {
  const value = map.get(key);
  if (value === undefined) {
    throw new Error(`queue ${String(key)} is not defined before it is used (QUEUES lists dead-letter queues first)`);
  }
  return value;
}

function buildQueue(
  scope: Construct,
  def: QueueDefinition,
  removalPolicy: RemovalPolicy,
  deadLetterQueue: sqs.DeadLetterQueue | undefined,
  encryptionKey: kms.IKey | undefined,
): sqs.Queue {
  return new sqs.Queue(scope, def.logicalName, {
    ...(def.fifo
      ? {
          fifo: true,
          contentBasedDeduplication: false,
          deduplicationScope: sqs.DeduplicationScope.MESSAGE_GROUP,
          fifoThroughputLimit: sqs.FifoThroughputLimit.PER_MESSAGE_GROUP_ID,
        }
      : {}),
    visibilityTimeout: Duration.seconds(def.visibilityTimeoutSeconds),
    retentionPeriod: Duration.seconds(def.retentionSeconds),
    ...(deadLetterQueue ? { deadLetterQueue } : {}),
    ...(encryptionKey
      ? { encryption: sqs.QueueEncryption.KMS, encryptionMasterKey: encryptionKey }
      : { encryption: sqs.QueueEncryption.SQS_MANAGED }),
    enforceSSL: true,
    removalPolicy,
  });
}

/**
 * The `AWS::SQS::Queue` properties a definition must synthesize to (a subset; the redrive target is a
 * `Fn::GetAtt`, so only `maxReceiveCount` is listed). Exported for the definitions drift test. With the
 * stage's key the encryption is `KmsMasterKeyId` (a reference the caller checks) instead of SSE-SQS.
 */
export function expectedQueueProperties(
  def: QueueDefinition,
  options: { readonly customerManagedKey?: boolean } = {},
): Record<string, unknown> {
  return {
    ...(def.fifo
      ? {
          FifoQueue: true,
          ContentBasedDeduplication: false,
          DeduplicationScope: 'messageGroup',
          FifoThroughputLimit: 'perMessageGroupId',
        }
      : {}),
    VisibilityTimeout: def.visibilityTimeoutSeconds,
    MessageRetentionPeriod: def.retentionSeconds,
    ...(options.customerManagedKey ? {} : { SqsManagedSseEnabled: true }),
    ...(def.deadLetter ? { RedrivePolicy: { maxReceiveCount: def.deadLetter.maxReceiveCount } } : {}),
  };
}
