/**
 * The one description of pinrelay's SQS queues, shared by the CDK constructs and local mode
 * (fauxqs), so both create queues with the same attributes.
 */

export interface QueueDefinition {
  readonly logicalName: string;
  readonly fifo: boolean;
  readonly visibilityTimeoutSeconds: number;
  readonly retentionSeconds: number;
  /** Logical name of the dead-letter queue and how many receives send a message there. */
  readonly deadLetter?: { readonly queue: string; readonly maxReceiveCount: number };
}

/** The worker Lambda's timeout. Lambda wants the source queue's visibility timeout ≥ 6× this. */
export const WORKER_TIMEOUT_SECONDS = 30;

const FOURTEEN_DAYS = 14 * 24 * 3600;

/** Poison publish messages (unparseable, repeated handler crashes) land here; alarmed. */
export const PUBLISH_DLQ = {
  logicalName: 'PublishDeadLetterQueue',
  fifo: true,
  visibilityTimeoutSeconds: 30,
  retentionSeconds: FOURTEEN_DAYS,
} as const satisfies QueueDefinition;

/**
 * The FIFO publish queue. MessageGroupId = tenant#account serialises each Pinterest account;
 * deduplication ids are explicit (derived from job id + version), never content-based.
 * Pacing waits go through the delay queue, not receives, so maxReceiveCount only counts crashes.
 */
export const PUBLISH_QUEUE = {
  logicalName: 'PublishQueue',
  fifo: true,
  visibilityTimeoutSeconds: 6 * WORKER_TIMEOUT_SECONDS,
  retentionSeconds: FOURTEEN_DAYS,
  deadLetter: { queue: PUBLISH_DLQ.logicalName, maxReceiveCount: 5 },
} as const satisfies QueueDefinition;

export const DELAY_DLQ = {
  logicalName: 'DelayDeadLetterQueue',
  fifo: false,
  visibilityTimeoutSeconds: 30,
  retentionSeconds: FOURTEEN_DAYS,
} as const satisfies QueueDefinition;

/**
 * Standard queue for delayed requeues (retry_scheduled, scheduled jobs, pacing holds): per-message
 * DelaySeconds ≤ 900, longer waits re-delay; due messages go back into their FIFO group.
 */
export const DELAY_QUEUE = {
  logicalName: 'DelayQueue',
  fifo: false,
  visibilityTimeoutSeconds: 60,
  retentionSeconds: FOURTEEN_DAYS,
  deadLetter: { queue: DELAY_DLQ.logicalName, maxReceiveCount: 10 },
} as const satisfies QueueDefinition;

/** Stream batches the outbox relay could not process after its retries (metadata only; alarmed). */
export const OUTBOX_DLQ = {
  logicalName: 'OutboxDeadLetterQueue',
  fifo: false,
  visibilityTimeoutSeconds: 30,
  retentionSeconds: FOURTEEN_DAYS,
} as const satisfies QueueDefinition;

/**
 * Dead-lettered messages that are not job messages (unparseable, not pinrelay's), moved here by
 * `record-dead-letters` with their origin as message attributes. Nothing consumes it: a message here is
 * for a human, and the queue's depth is the alarm (docs/adr/0009-reconciler.md).
 */
export const POISON_QUEUE = {
  logicalName: 'PoisonMessageQueue',
  fifo: false,
  visibilityTimeoutSeconds: 30,
  retentionSeconds: FOURTEEN_DAYS,
} as const satisfies QueueDefinition;

/**
 * The dead-letter queue of every webhook target: an event whose deliveries failed for 24 h (or 185 retries),
 * or failed at once with a status EventBridge does not retry, lands here as EventBridge's original event with
 * ERROR_CODE, ERROR_MESSAGE, RULE_ARN and TARGET_ARN attributes. Its depth is alarmed; replay it with
 * `npm run admin -- webhooks replay` (docs/adr/0011-webhooks.md). 14 days, SQS's longest retention.
 */
export const WEBHOOK_DLQ = {
  logicalName: 'WebhookDeadLetterQueue',
  fifo: false,
  visibilityTimeoutSeconds: 30,
  retentionSeconds: FOURTEEN_DAYS,
} as const satisfies QueueDefinition;

/** Dead-letter queues first: a queue's redrive target must exist before it. */
export const QUEUES: readonly QueueDefinition[] = [
  PUBLISH_DLQ,
  PUBLISH_QUEUE,
  DELAY_DLQ,
  DELAY_QUEUE,
  OUTBOX_DLQ,
  POISON_QUEUE,
  WEBHOOK_DLQ,
];

/** SQS's physical name for a logical queue in local mode (FIFO names must end in .fifo). */
export function localQueueName(def: QueueDefinition): string {
  return def.fifo ? `${def.logicalName}.fifo` : def.logicalName;
}
