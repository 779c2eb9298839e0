import { DeleteMessageBatchCommand, ReceiveMessageCommand, type Message, type SQSClient } from '@aws-sdk/client-sqs';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { lambdaContext } from './http-api.ts';

/**
 * Local stand-in for a Lambda SQS event source mapping with ReportBatchItemFailures: long-polls a
 * queue, invokes the handler with up to `batchSize` records in Lambda's event shape, deletes what
 * succeeded, and leaves failed messages to reappear after their visibility timeout — so receive
 * counts, redrive to the DLQ and FIFO group blocking behave as they do in AWS.
 */

type SqsHandler = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse | undefined>;

export interface SqsPollerOptions {
  readonly sqs: SQSClient;
  readonly queueUrl: string;
  readonly queueArn: string;
  readonly functionName: string;
  /**
   * The function, or one instance of it per container (`concurrency` of them): Lambda runs one batch at a
   * time per container, and module-level state (Powertools' batch processor) relies on it. With a single
   * handler, concurrent batches share its module.
   */
  readonly handler: SqsHandler | { readonly containers: readonly SqsHandler[] };
  /** @default 10 (Lambda's maximum for FIFO queues) */
  readonly batchSize?: number;
  /** Parallel pollers, like Lambda's concurrent batches. @default 1 */
  readonly concurrency?: number;
  /** Long-poll wait; short so stop() is prompt. @default 1 */
  readonly waitTimeSeconds?: number;
  readonly onError?: (error: unknown) => void;
}

export interface SqsPoller {
  /** Batches handed to the handler so far. */
  readonly invocations: () => number;
  stop(): Promise<void>;
}

/** A received message carries an id and a receipt handle; SQS sets both on every message it hands out. */
export type ReceivedMessage = Message & { readonly MessageId: string; readonly ReceiptHandle: string };

export function received(message: Message): ReceivedMessage {
  const { MessageId, ReceiptHandle } = message;
  if (!MessageId || !ReceiptHandle) throw new Error('ReceiveMessage answered a message without MessageId or ReceiptHandle');
  return { ...message, MessageId, ReceiptHandle };
}

/** A received message in Lambda's SQS event shape. */
export function sqsRecordOf(message: ReceivedMessage, queueArn: string): SQSRecord {
  const attributes = message.Attributes ?? {};
  const messageAttributes: SQSRecord['messageAttributes'] = {};
  for (const [name, value] of Object.entries(message.MessageAttributes ?? {})) {
    messageAttributes[name] = {
      dataType: value.DataType ?? 'String',
      ...(value.StringValue !== undefined ? { stringValue: value.StringValue } : {}),
      ...(value.BinaryValue !== undefined ? { binaryValue: Buffer.from(value.BinaryValue).toString('base64') } : {}),
      stringListValues: [],
      binaryListValues: [],
    };
  }
  return {
    messageId: message.MessageId,
    receiptHandle: message.ReceiptHandle,
    body: message.Body ?? '',
    attributes: {
      ApproximateReceiveCount: attributes.ApproximateReceiveCount ?? '1',
      SentTimestamp: attributes.SentTimestamp ?? String(Date.now()),
      SenderId: attributes.SenderId ?? 'local',
      ApproximateFirstReceiveTimestamp: attributes.ApproximateFirstReceiveTimestamp ?? String(Date.now()),
      ...(attributes.MessageGroupId ? { MessageGroupId: attributes.MessageGroupId } : {}),
      ...(attributes.MessageDeduplicationId ? { MessageDeduplicationId: attributes.MessageDeduplicationId } : {}),
      ...(attributes.SequenceNumber ? { SequenceNumber: attributes.SequenceNumber } : {}),
    },
    messageAttributes,
    md5OfBody: message.MD5OfBody ?? '',
    eventSource: 'aws:sqs',
    eventSourceARN: queueArn,
    awsRegion: 'us-east-1',
  };
}

export function startSqsPoller(options: SqsPollerOptions): SqsPoller {
  let running = true;
  let invocations = 0;
  const controller = new AbortController();
  const batchSize = options.batchSize ?? 10;

  const concurrency = options.concurrency ?? 1;
  const containers = 'containers' in options.handler ? options.handler.containers : undefined;
  if (containers && containers.length !== concurrency) {
    throw new Error(`${options.functionName}: ${containers.length} containers for a concurrency of ${concurrency}`);
  }
  const handlerOf = (loop: number): SqsHandler => (containers ? (containers[loop] as SqsHandler) : (options.handler as SqsHandler));

  async function pollOnce(handler: SqsHandler): Promise<void> {
    const answer = await options.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: options.queueUrl,
        MaxNumberOfMessages: batchSize,
        WaitTimeSeconds: options.waitTimeSeconds ?? 1,
        MessageSystemAttributeNames: ['All'],
        MessageAttributeNames: ['All'],
      }),
      { abortSignal: controller.signal },
    );
    const messages = (answer.Messages ?? []).map(received);
    if (messages.length === 0) return;
    const event: SQSEvent = { Records: messages.map((m) => sqsRecordOf(m, options.queueArn)) };
    invocations++;
    let failed: Set<string>;
    try {
      const response = await handler(event, lambdaContext(options.functionName, 30_000));
      failed = new Set((response?.batchItemFailures ?? []).map((f) => f.itemIdentifier));
    } catch (error) {
      // A thrown handler fails the whole batch: every message comes back after its visibility timeout.
      options.onError?.(error);
      return;
    }
    const done = messages.filter((m) => !failed.has(m.MessageId));
    if (done.length > 0) {
      await options.sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: options.queueUrl,
          Entries: done.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle })),
        }),
      );
    }
  }

  async function loop(handler: SqsHandler): Promise<void> {
    while (running) {
      try {
        await pollOnce(handler);
      } catch (error) {
        if (!running) return;
        options.onError?.(error);
        await new Promise((r) => setTimeout(r, 500));
      }
    }
  }

  const loops = Array.from({ length: concurrency }, (_, i) => loop(handlerOf(i)));
  return {
    invocations: () => invocations,
    stop: async () => {
      running = false;
      controller.abort();
      await Promise.allSettled(loops);
    },
  };
}
