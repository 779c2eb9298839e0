import {
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  ListMessageMoveTasksCommand,
  type ListMessageMoveTasksCommandOutput,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  StartMessageMoveTaskCommand,
  type Message,
  type MessageAttributeValue,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { MoveTask, MoveTaskStart, OpsQueue, QueueAdmin, QueueDepth } from '../use-cases/ports.ts';

/** Where one queue is: its URL (its ARN is read from SQS when a move task needs it). */
export interface QueueLocation {
  readonly url: string;
  readonly fifo: boolean;
}

/** How long a message received for a move stays hidden: far longer than one batch's send and delete. */
const MOVE_HIDE_SECONDS = 60;

/**
 * The operator's queue port (QueueAdmin) over SQS: depths from GetQueueAttributes, dead-letter redrive by
 * StartMessageMoveTask / ListMessageMoveTasks, and the same move by receive, send, delete where SQS has no
 * move tasks (fauxqs, local mode's SQS, answers InvalidAction).
 */
export class SqsQueueAdmin implements QueueAdmin {
  private readonly arns = new Map<OpsQueue, Promise<string>>();

  constructor(
    private readonly client: SQSClient,
    private readonly queues: Partial<Record<OpsQueue, QueueLocation>>,
  ) {}

  configured(): OpsQueue[] {
    return (Object.keys(this.queues) as OpsQueue[]).filter((q) => this.queues[q] !== undefined);
  }

  private location(queue: OpsQueue): QueueLocation {
    const found = this.queues[queue];
    if (!found) throw new Error(`queue ${queue} is not configured`);
    return found;
  }

  private arn(queue: OpsQueue): Promise<string> {
    let arn = this.arns.get(queue);
    if (!arn) {
      const url = this.location(queue).url;
      arn = (async () => {
        const out = await this.client.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }));
        const value = out.Attributes?.QueueArn;
        if (!value) throw new Error(`SQS did not return the ARN of queue ${queue}`);
        return value;
      })();
      arn.catch(() => this.arns.delete(queue));
      this.arns.set(queue, arn);
    }
    return arn;
  }

  async depth(queue: OpsQueue): Promise<QueueDepth> {
    const out = await this.client.send(
      new GetQueueAttributesCommand({
        QueueUrl: this.location(queue).url,
        AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible', 'ApproximateNumberOfMessagesDelayed'],
      }),
    );
    const n = (name: string) => Number(out.Attributes?.[name as never] ?? 0) || 0;
    return {
      visible: n('ApproximateNumberOfMessages'),
      in_flight: n('ApproximateNumberOfMessagesNotVisible'),
      delayed: n('ApproximateNumberOfMessagesDelayed'),
    };
  }

  async startMoveTask(from: OpsQueue, to: OpsQueue): Promise<MoveTaskStart> {
    const [sourceArn, destinationArn] = await Promise.all([this.arn(from), this.arn(to)]);
    try {
      const running = await this.latestMoveTask(from);
      if (running?.status === 'RUNNING') return { kind: 'already_running', task: running };
      const out = await this.client.send(new StartMessageMoveTaskCommand({ SourceArn: sourceArn, DestinationArn: destinationArn }));
      return { kind: 'started', handle: out.TaskHandle ?? '' };
    } catch (error) {
      if (isUnsupported(error)) return { kind: 'unsupported', reason: (error as Error).message };
      throw error;
    }
  }

  async latestMoveTask(from: OpsQueue): Promise<MoveTask | null> {
    const sourceArn = await this.arn(from);
    let out: ListMessageMoveTasksCommandOutput;
    try {
      out = await this.client.send(new ListMessageMoveTasksCommand({ SourceArn: sourceArn, MaxResults: 1 }));
    } catch (error) {
      if (isUnsupported(error)) return null; // no move tasks in this SQS: there never was one
      throw error;
    }
    const task = out.Results?.[0];
    if (!task) return null;
    return {
      handle: task.TaskHandle ?? null,
      status: task.Status ?? 'UNKNOWN',
      moved: task.ApproximateNumberOfMessagesMoved ?? 0,
      toMove: task.ApproximateNumberOfMessagesToMove ?? null,
      failureReason: task.FailureReason ?? null,
    };
  }

  async moveByHand(
    from: OpsQueue,
    to: OpsQueue,
    onBatch?: (moved: number, failed: number) => void,
  ): Promise<{ moved: number; failed: number; notDeleted: number }> {
    const source = this.location(from);
    const destination = this.location(to);
    const seen = new Set<string>();
    let moved = 0;
    let failed = 0;
    let notDeleted = 0;
    for (;;) {
      const out = await this.client.send(
        new ReceiveMessageCommand({
          QueueUrl: source.url,
          MaxNumberOfMessages: 10,
          VisibilityTimeout: MOVE_HIDE_SECONDS,
          // A short poll may answer empty while messages wait on another server; one second is enough.
          WaitTimeSeconds: 1,
          MessageSystemAttributeNames: ['MessageGroupId', 'MessageDeduplicationId'],
          MessageAttributeNames: ['All'],
        }),
      );
      // A message that comes back in this run failed to move (its delete did not happen): it is not sent twice.
      const batch = (out.Messages ?? []).filter((m): m is Message & { MessageId: string; ReceiptHandle: string } => {
        if (!m.MessageId || !m.ReceiptHandle || seen.has(m.MessageId)) return false;
        seen.add(m.MessageId);
        return true;
      });
      if (batch.length === 0) return { moved, failed, notDeleted };
      const sent = await this.client.send(
        new SendMessageBatchCommand({
          QueueUrl: destination.url,
          Entries: batch.map((m, i) => ({
            Id: String(i),
            MessageBody: m.Body ?? '',
            ...(m.MessageAttributes && Object.keys(m.MessageAttributes).length > 0
              ? { MessageAttributes: copyAttributes(m.MessageAttributes) }
              : {}),
            ...(destination.fifo
              ? {
                  MessageGroupId: m.Attributes?.MessageGroupId ?? 'redrive',
                  // SQS gives a message it dead-letters from a FIFO queue its own id as deduplication id; a
                  // redrive keeps that. Never the original id: the source queue may still remember it.
                  MessageDeduplicationId: m.MessageId,
                }
              : {}),
          })),
        }),
      );
      const ok = new Set((sent.Successful ?? []).map((s) => Number(s.Id)));
      const toDelete = batch.filter((_, i) => ok.has(i));
      failed += batch.length - toDelete.length;
      if (toDelete.length > 0) {
        const deleted = await this.client.send(
          new DeleteMessageBatchCommand({
            QueueUrl: source.url,
            Entries: toDelete.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle })),
          }),
        );
        moved += toDelete.length;
        // Sent but not deleted: in both queues now (a job message twice is harmless: the worker drops the stale one).
        notDeleted += deleted.Failed?.length ?? 0;
      }
      onBatch?.(moved, failed);
    }
  }
}

/** SQS without message move tasks (fauxqs) answers the action as unknown. */
function isUnsupported(error: unknown): boolean {
  return error instanceof Error && error.name === 'InvalidAction';
}

function copyAttributes(attributes: Record<string, MessageAttributeValue>): Record<string, MessageAttributeValue> {
  const copied: Record<string, MessageAttributeValue> = {};
  for (const [name, value] of Object.entries(attributes)) {
    copied[name] = {
      DataType: value.DataType,
      ...(value.StringValue !== undefined ? { StringValue: value.StringValue } : {}),
      ...(value.BinaryValue !== undefined ? { BinaryValue: value.BinaryValue } : {}),
    };
  }
  return copied;
}
