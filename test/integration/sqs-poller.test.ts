import { randomBytes } from 'node:crypto';
import { CreateQueueCommand, GetQueueAttributesCommand, SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { SQSEvent } from 'aws-lambda';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { startSqsPoller, type SqsPoller } from '../../local/sqs-poller.ts';
import { waitFor } from './wait.ts';

/**
 * local/sqs-poller.ts must behave like a Lambda SQS event source mapping with ReportBatchItemFailures,
 * because the worker's safety (no lost message, DLQ only for poison) depends on those semantics.
 * Runs against fauxqs.
 */
const sqs = new SQSClient({
  endpoint: inject('sqsEndpoint'),
  region: 'us-east-1',
  credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
});
let poller: SqsPoller | undefined;

afterEach(async () => {
  await poller?.stop();
  poller = undefined;
});

async function queue(options: { fifo?: boolean; visibility?: number; dlqAfter?: number } = {}) {
  const name = `poller-${randomBytes(4).toString('hex')}`;
  const suffix = options.fifo ? '.fifo' : '';
  const fifoAttrs = options.fifo ? { FifoQueue: 'true', ContentBasedDeduplication: 'false' } : {};
  let redrive: Record<string, string> = {};
  let dlqUrl: string | undefined;
  if (options.dlqAfter) {
    dlqUrl = (await sqs.send(new CreateQueueCommand({ QueueName: `${name}-dlq${suffix}`, Attributes: fifoAttrs }))).QueueUrl!;
    const arn = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: dlqUrl, AttributeNames: ['QueueArn'] }))).Attributes!.QueueArn!;
    redrive = { RedrivePolicy: JSON.stringify({ deadLetterTargetArn: arn, maxReceiveCount: options.dlqAfter }) };
  }
  const url = (
    await sqs.send(
      new CreateQueueCommand({
        QueueName: `${name}${suffix}`,
        Attributes: { VisibilityTimeout: String(options.visibility ?? 1), ...fifoAttrs, ...redrive },
      }),
    )
  ).QueueUrl!;
  const arn = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }))).Attributes!.QueueArn!;
  return { url, arn, dlqUrl };
}

async function send(url: string, bodies: string[], fifo = false) {
  for (let i = 0; i < bodies.length; i += 10) {
    await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: url,
        Entries: bodies.slice(i, i + 10).map((body, j) => ({
          Id: String(j),
          MessageBody: body,
          ...(fifo ? { MessageGroupId: `g${(i + j) % 3}`, MessageDeduplicationId: body } : {}),
        })),
      }),
    );
  }
}

async function visibleCount(url: string): Promise<number> {
  const attrs = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: url,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
    }),
  );
  return Number(attrs.Attributes!.ApproximateNumberOfMessages) + Number(attrs.Attributes!.ApproximateNumberOfMessagesNotVisible);
}

/** Reads every 50 ms, up to 15 s, until `done` says so. */
const until = <T>(read: () => T | Promise<T>, done: (value: T) => boolean, what: string, timeoutMs = 15_000) =>
  waitFor(read, { until: done, what, timeoutMs, everyMs: 50 });

describe('local SQS event source mapping', () => {
  it('delivers every message once in batches of at most 10 and deletes what succeeded', async () => {
    const q = await queue();
    await send(
      q.url,
      Array.from({ length: 25 }, (_, i) => `m${i}`),
    );
    const seen: string[] = [];
    const sizes: number[] = [];
    poller = startSqsPoller({
      sqs,
      queueUrl: q.url,
      queueArn: q.arn,
      functionName: 'test',
      handler: async (event: SQSEvent) => {
        sizes.push(event.Records.length);
        seen.push(...event.Records.map((r) => r.body));
        expect(event.Records[0]).toMatchObject({
          eventSource: 'aws:sqs',
          eventSourceARN: q.arn,
          attributes: { ApproximateReceiveCount: '1' },
        });
        return { batchItemFailures: [] };
      },
    });
    await until(
      () => seen.length,
      (n) => n >= 25,
      'all 25 messages handled',
    );
    await until(
      () => visibleCount(q.url),
      (n) => n === 0,
      'the queue to be empty',
    );
    expect(seen.sort()).toEqual(Array.from({ length: 25 }, (_, i) => `m${i}`).sort());
    expect(Math.max(...sizes)).toBeLessThanOrEqual(10);
  });

  it('redelivers only the reported failures, after their visibility timeout, with a higher receive count', async () => {
    const q = await queue({ visibility: 1 });
    await send(q.url, ['ok-1', 'bad', 'ok-2']);
    const deliveries: Array<{ body: string; receiveCount: string; at: number }> = [];
    let firstFailureAt = 0;
    poller = startSqsPoller({
      sqs,
      queueUrl: q.url,
      queueArn: q.arn,
      functionName: 'test',
      handler: async (event) => {
        const failures = [];
        for (const r of event.Records) {
          deliveries.push({ body: r.body, receiveCount: r.attributes.ApproximateReceiveCount, at: Date.now() });
          if (r.body === 'bad' && r.attributes.ApproximateReceiveCount === '1') {
            firstFailureAt = Date.now();
            failures.push({ itemIdentifier: r.messageId });
          }
        }
        return { batchItemFailures: failures };
      },
    });
    await until(
      () => deliveries.filter((d) => d.body === 'bad').length,
      (n) => n === 2,
      'the failed message to come back once',
    );
    await until(
      () => visibleCount(q.url),
      (n) => n === 0,
      'the queue to be empty',
    );
    expect(deliveries.filter((d) => d.body.startsWith('ok'))).toHaveLength(2);
    const retry = deliveries.filter((d) => d.body === 'bad')[1]!;
    expect(retry.receiveCount).toBe('2');
    expect(retry.at - firstFailureAt).toBeGreaterThanOrEqual(900); // not before the 1 s visibility timeout
  });

  it('returns the whole batch when the handler throws, and a message failing maxReceiveCount times lands in the DLQ', async () => {
    const q = await queue({ visibility: 1, dlqAfter: 2 });
    await send(q.url, ['poison']);
    let calls = 0;
    const errors: unknown[] = [];
    poller = startSqsPoller({
      sqs,
      queueUrl: q.url,
      queueArn: q.arn,
      functionName: 'test',
      onError: (e) => errors.push(e),
      handler: async () => {
        calls++;
        throw new Error('handler crashed');
      },
    });
    await until(
      () => visibleCount(q.dlqUrl!),
      (n) => n === 1,
      'the poison message in the DLQ',
      20_000,
    );
    expect(calls).toBe(2);
    expect(errors).toHaveLength(2);
    expect(await visibleCount(q.url)).toBe(0);
  });

  it('keeps FIFO group order: a group is blocked while its message is in flight', async () => {
    const q = await queue({ fifo: true, visibility: 5 });
    await send(q.url, ['a1', 'b1', 'c1', 'a2', 'b2', 'c2'], true); // groups g0: a1,a2  g1: b1,b2  g2: c1,c2
    const order: string[] = [];
    poller = startSqsPoller({
      sqs,
      queueUrl: q.url,
      queueArn: q.arn,
      functionName: 'test',
      concurrency: 2,
      handler: async (event) => {
        for (const r of event.Records) order.push(r.body);
        await new Promise((r) => setTimeout(r, 50)); // work that keeps the group's message in flight
        return { batchItemFailures: [] };
      },
    });
    await until(
      () => order.length,
      (n) => n === 6,
      'all six messages handled',
    );
    for (const g of ['a', 'b', 'c']) expect(order.filter((b) => b.startsWith(g))).toEqual([`${g}1`, `${g}2`]);
  });
});
