import type { JobQueueName } from '../../domain/job.ts';

/** The queues as operators and the dead-letter consumer see them: depths, redrives, the poison queue. */

/** The queues an operator looks at: the publish pipeline's, their dead-letter queues, and the parking ones. */
export const OPS_QUEUES = ['publish', 'publish_dlq', 'delay', 'delay_dlq', 'outbox_dlq', 'poison', 'webhook_dlq'] as const;
export type OpsQueue = (typeof OPS_QUEUES)[number];

export interface QueueDepth {
  /** Messages a consumer can receive now. */
  readonly visible: number;
  /** Received and not yet deleted (being processed, or waiting for their visibility timeout). */
  readonly in_flight: number;
  /** Sent with a delay that has not passed (the delay queue's holds). */
  readonly delayed: number;
}

/** A message move task (StartMessageMoveTask) as ListMessageMoveTasks reports it. */
export interface MoveTask {
  readonly handle: string | null;
  /** RUNNING, COMPLETED, CANCELLING, CANCELLED or FAILED. */
  readonly status: string;
  readonly moved: number;
  /** How many the task found to move when it started (null while SQS has not said). */
  readonly toMove: number | null;
  readonly failureReason: string | null;
}

/** How a dead-letter queue's messages go back: a message move task, or (where SQS has none) by hand. */
export type MoveTaskStart =
  | { readonly kind: 'started'; readonly handle: string }
  /** One task per queue at a time: the one already running is followed instead. */
  | { readonly kind: 'already_running'; readonly task: MoveTask }
  /** This SQS does not implement message move tasks (local mode's fauxqs). */
  | { readonly kind: 'unsupported'; readonly reason: string };

export interface QueueAdmin {
  /** The queues this deployment's configuration names (others are unknown to the caller). */
  configured(): readonly OpsQueue[];
  depth(queue: OpsQueue): Promise<QueueDepth>;
  /** StartMessageMoveTask from a dead-letter queue back to `to`. */
  startMoveTask(from: OpsQueue, to: OpsQueue): Promise<MoveTaskStart>;
  /** The dead-letter queue's latest move task, or null when it never had one (or this SQS has no move tasks). */
  latestMoveTask(from: OpsQueue): Promise<MoveTask | null>;
  /**
   * Moves every message visible now from `from` to `to` by receive, send, delete: the same body and
   * attributes, the FIFO message group kept, the deduplication id set to the dead-lettered message's id
   * (what SQS itself gives a message it dead-letters from a FIFO queue). `onBatch` after each batch.
   * `moved`: sent to `to`; `failed`: not sent (still in `from`); `notDeleted`: sent, but still in `from` too.
   */
  moveByHand(
    from: OpsQueue,
    to: OpsQueue,
    onBatch?: (moved: number, failed: number) => void,
  ): Promise<{ readonly moved: number; readonly failed: number; readonly notDeleted: number }>;
}

/** The job queue a dead-lettered message was on. */
export type DeadLetterSource = JobQueueName;

/** Where dead-lettered messages that are not job messages go: kept, with their origin, for a human. */
export interface PoisonParking {
  park(message: {
    readonly body: string;
    readonly sourceQueue: DeadLetterSource;
    readonly messageId: string;
    readonly reason: string;
    readonly messageGroupId?: string;
  }): Promise<void>;
}
