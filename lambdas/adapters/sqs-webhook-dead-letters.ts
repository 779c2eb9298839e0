import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { WebhookDeadLetter, WebhookDeadLetterQueue } from '../use-cases/ports.ts';

/** SQS batch requests take at most 10 entries. */
const BATCH = 10;

const chunks = <T>(items: readonly T[]): T[][] => {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += BATCH) out.push(items.slice(i, i + BATCH));
  return out;
};

/**
 * The webhook DLQ (WebhookDeadLetterQueue) over SQS. Receives use a 1 s long poll: a short poll samples
 * only some of SQS's servers and may answer empty while messages are waiting, which would end a replay
 * early. String and Number attributes are kept (EventBridge writes strings); binary ones are dropped.
 */
export class SqsWebhookDeadLetterQueue implements WebhookDeadLetterQueue {
  constructor(
    private readonly client: SQSClient,
    private readonly queueUrl: string,
  ) {}

  async countVisible(): Promise<number> {
    const out = await this.client.send(
      new GetQueueAttributesCommand({ QueueUrl: this.queueUrl, AttributeNames: ['ApproximateNumberOfMessages'] }),
    );
    return Number(out.Attributes?.ApproximateNumberOfMessages ?? 0) || 0;
  }

  async receive(hideSeconds: number): Promise<WebhookDeadLetter[]> {
    const out = await this.client.send(
      new ReceiveMessageCommand({
        QueueUrl: this.queueUrl,
        MaxNumberOfMessages: BATCH,
        MessageAttributeNames: ['All'],
        VisibilityTimeout: hideSeconds,
        WaitTimeSeconds: 1,
      }),
    );
    return (out.Messages ?? []).flatMap((message) => {
      if (!message.MessageId || !message.ReceiptHandle) return [];
      const attributes: Record<string, string> = {};
      for (const [name, value] of Object.entries(message.MessageAttributes ?? {})) {
        if (value.StringValue !== undefined) attributes[name] = value.StringValue;
      }
      return [{ messageId: message.MessageId, receiptHandle: message.ReceiptHandle, body: message.Body ?? '', attributes }];
    });
  }

  async delete(messages: readonly WebhookDeadLetter[]): Promise<string[]> {
    const failed: string[] = [];
    for (const chunk of chunks(messages)) {
      try {
        const out = await this.client.send(
          new DeleteMessageBatchCommand({
            QueueUrl: this.queueUrl,
            Entries: chunk.map((m, i) => ({ Id: String(i), ReceiptHandle: m.receiptHandle })),
          }),
        );
        const refused = new Set((out.Failed ?? []).map((entry) => entry.Id));
        failed.push(...chunk.filter((_, i) => refused.has(String(i))).map((m) => m.messageId));
      } catch {
        failed.push(...chunk.map((m) => m.messageId));
      }
    }
    return failed;
  }

  async release(messages: readonly WebhookDeadLetter[]): Promise<void> {
    for (const chunk of chunks(messages)) {
      await this.client.send(
        new ChangeMessageVisibilityBatchCommand({
          QueueUrl: this.queueUrl,
          Entries: chunk.map((m, i) => ({ Id: String(i), ReceiptHandle: m.receiptHandle, VisibilityTimeout: 0 })),
        }),
      );
    }
  }
}
