import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { DeadLetterSource, PoisonParking } from '../use-cases/ports.ts';

/** SQS message attribute values are at most 256 KB; a reason is a line, not an essay. */
const MAX_REASON = 1000;

/**
 * The poison queue: dead-lettered messages that are not job messages, kept as they were (body untouched)
 * with where they came from. Nothing consumes it; its depth is the alarm.
 */
export class SqsPoisonQueue implements PoisonParking {
  constructor(
    private readonly client: SQSClient,
    private readonly queueUrl: string,
  ) {}

  async park(message: {
    body: string;
    sourceQueue: DeadLetterSource;
    messageId: string;
    reason: string;
    messageGroupId?: string;
  }): Promise<void> {
    const text = (value: string) => ({ DataType: 'String', StringValue: value });
    await this.client.send(
      new SendMessageCommand({
        QueueUrl: this.queueUrl,
        // SQS refuses an empty body; an empty poison message is still worth keeping.
        MessageBody: message.body === '' ? '(empty body)' : message.body,
        MessageAttributes: {
          source_queue: text(message.sourceQueue),
          source_message_id: text(message.messageId),
          reason: text(message.reason.slice(0, MAX_REASON)),
          ...(message.messageGroupId ? { source_message_group_id: text(message.messageGroupId) } : {}),
        },
      }),
    );
  }
}
