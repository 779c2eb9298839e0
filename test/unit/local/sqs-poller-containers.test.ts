import { DeleteMessageBatchCommand, ReceiveMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { startSqsPoller } from '../../../local/sqs-poller.ts';

/**
 * Local mode's SQS event source runs one batch at a time per container, as Lambda does: the fault
 * suite found that concurrent batches sharing one handler module shared Powertools' batch processor, and
 * a record that failed in one batch was reported done by it (test/integration/faults/deliveries.test.ts).
 * Each concurrent loop of the poller invokes its own container.
 */
function fakeQueue(count: number) {
  const waiting = Array.from({ length: count }, (_, i) => ({ MessageId: `m${i}`, ReceiptHandle: `r${i}`, Body: `{"n":${i}}` }));
  const deleted: string[] = [];
  const sqs = {
    send: async (command: unknown) => {
      if (command instanceof ReceiveMessageCommand) {
        const message = waiting.shift();
        if (!message) await new Promise((r) => setTimeout(r, 20));
        return { Messages: message ? [message] : [] };
      }
      if (command instanceof DeleteMessageBatchCommand) deleted.push(...(command.input.Entries ?? []).map((e) => e.ReceiptHandle ?? ''));
      return {};
    },
  } as unknown as SQSClient;
  return { sqs, deleted };
}

describe('startSqsPoller: containers', () => {
  it('each loop invokes its own container, and a container never runs two batches at once', async () => {
    const { sqs, deleted } = fakeQueue(12);
    const busy = [0, 0];
    const ran: number[][] = [[], []];
    let overlapping = 0;
    const container =
      (index: number) =>
      async (event: SQSEvent): Promise<SQSBatchResponse> => {
        busy[index]!++;
        if (busy[index]! > 1) overlapping++;
        await new Promise((r) => setTimeout(r, 15));
        ran[index]!.push(...event.Records.map((r) => JSON.parse(r.body).n as number));
        busy[index]!--;
        return { batchItemFailures: [] };
      };

    const poller = startSqsPoller({
      sqs,
      queueUrl: 'q',
      queueArn: 'arn',
      functionName: 'f',
      concurrency: 2,
      handler: { containers: [container(0), container(1)] },
    });
    await expect.poll(() => deleted.length, { timeout: 5_000 }).toBe(12);
    await poller.stop();

    expect(overlapping).toBe(0);
    expect(ran[0]!.length).toBeGreaterThan(0);
    expect(ran[1]!.length).toBeGreaterThan(0);
    expect([...ran[0]!, ...ran[1]!].sort((a, b) => a - b)).toEqual(Array.from({ length: 12 }, (_, i) => i));
  });

  it('refuses a number of containers other than the concurrency', () => {
    const { sqs } = fakeQueue(0);
    const handler = async () => ({ batchItemFailures: [] });
    expect(() =>
      startSqsPoller({ sqs, queueUrl: 'q', queueArn: 'arn', functionName: 'f', concurrency: 3, handler: { containers: [handler] } }),
    ).toThrow('f: 1 containers for a concurrency of 3');
  });
});
