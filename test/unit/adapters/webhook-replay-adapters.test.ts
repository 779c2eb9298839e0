import { DescribeRuleCommand, EventBridgeClient } from '@aws-sdk/client-eventbridge';
import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { EventBridgeWebhookRules } from '../../../lambdas/adapters/eventbridge-webhook-rules.ts';
import { SqsWebhookDeadLetterQueue } from '../../../lambdas/adapters/sqs-webhook-dead-letters.ts';
import type { WebhookDeadLetter } from '../../../lambdas/use-cases/ports.ts';

const QUEUE_URL = 'https://sqs.eu-west-1.amazonaws.com/123456789012/Pinrelay-dev-Stateful-QueuesWebhookDeadLetterQueue';
const sqs = mockClient(SQSClient);
const eb = mockClient(EventBridgeClient);
const queue = new SqsWebhookDeadLetterQueue(new SQSClient({ region: 'eu-west-1' }), QUEUE_URL);
const rules = new EventBridgeWebhookRules(new EventBridgeClient({ region: 'eu-west-1' }));

const letter = (n: number): WebhookDeadLetter => ({ messageId: `m${n}`, receiptHandle: `r${n}`, body: '{}', attributes: {} });

beforeEach(() => {
  sqs.reset();
  eb.reset();
});

describe('SqsWebhookDeadLetterQueue', () => {
  it('receive: up to 10, every message attribute, hidden for the given time, a short long-poll; attributes as strings', async () => {
    sqs.on(ReceiveMessageCommand).resolves({
      Messages: [
        {
          MessageId: 'm1',
          ReceiptHandle: 'r1',
          Body: '{"source":"pinrelay"}',
          MessageAttributes: {
            RULE_ARN: { DataType: 'String', StringValue: 'arn:aws:events:eu-west-1:123456789012:rule/bus/pinrelay-dev-wh-whk_x' },
            RETRY_ATTEMPTS: { DataType: 'Number', StringValue: '185' },
            BINARY: { DataType: 'Binary', BinaryValue: new Uint8Array([1]) },
          },
        },
      ],
    });

    const received = await queue.receive(300);

    expect(sqs.commandCalls(ReceiveMessageCommand)[0]!.args[0].input).toEqual({
      QueueUrl: QUEUE_URL,
      MaxNumberOfMessages: 10,
      MessageAttributeNames: ['All'],
      VisibilityTimeout: 300,
      WaitTimeSeconds: 1,
    });
    expect(received).toEqual([
      {
        messageId: 'm1',
        receiptHandle: 'r1',
        body: '{"source":"pinrelay"}',
        attributes: { RULE_ARN: 'arn:aws:events:eu-west-1:123456789012:rule/bus/pinrelay-dev-wh-whk_x', RETRY_ATTEMPTS: '185' },
      },
    ]);
  });

  it('receive: nothing visible → []', async () => {
    sqs.on(ReceiveMessageCommand).resolves({});
    expect(await queue.receive(300)).toEqual([]);
  });

  it('delete: DeleteMessageBatch by receipt handle, 10 per request; answers the ids that failed', async () => {
    sqs.on(DeleteMessageBatchCommand).callsFake((input: { Entries: { Id: string }[] }) => ({
      Successful: input.Entries.filter((e) => e.Id !== '3').map((e) => ({ Id: e.Id })),
      Failed: input.Entries.filter((e) => e.Id === '3').map((e) => ({ Id: e.Id, Code: 'ReceiptHandleIsInvalid', SenderFault: true })),
    }));

    const failed = await queue.delete(Array.from({ length: 12 }, (_, i) => letter(i)));

    const calls = sqs.commandCalls(DeleteMessageBatchCommand).map((c) => c.args[0].input);
    expect(calls.map((c) => c.Entries!.length)).toEqual([10, 2]);
    expect(calls[0]).toMatchObject({ QueueUrl: QUEUE_URL, Entries: expect.arrayContaining([{ Id: '0', ReceiptHandle: 'r0' }]) });
    expect(failed).toEqual(['m3']);
  });

  it('delete: a request that fails as a whole fails all its messages', async () => {
    sqs.on(DeleteMessageBatchCommand).rejects(new Error('throttled'));
    expect(await queue.delete([letter(1), letter(2)])).toEqual(['m1', 'm2']);
  });

  it('release: visibility 0, 10 per request', async () => {
    sqs.on(ChangeMessageVisibilityBatchCommand).resolves({ Successful: [], Failed: [] });

    await queue.release(Array.from({ length: 11 }, (_, i) => letter(i)));

    const calls = sqs.commandCalls(ChangeMessageVisibilityBatchCommand).map((c) => c.args[0].input);
    expect(calls.map((c) => c.Entries!.length)).toEqual([10, 1]);
    expect(calls[1]).toEqual({ QueueUrl: QUEUE_URL, Entries: [{ Id: '0', ReceiptHandle: 'r10', VisibilityTimeout: 0 }] });
  });

  it('countVisible: ApproximateNumberOfMessages', async () => {
    sqs.on(GetQueueAttributesCommand).resolves({ Attributes: { ApproximateNumberOfMessages: '40' } });
    expect(await queue.countVisible()).toBe(40);
    expect(sqs.commandCalls(GetQueueAttributesCommand)[0]!.args[0].input).toEqual({
      QueueUrl: QUEUE_URL,
      AttributeNames: ['ApproximateNumberOfMessages'],
    });
  });
});

describe('EventBridgeWebhookRules.exists', () => {
  it('DescribeRule by the name and bus in the ARN', async () => {
    eb.on(DescribeRuleCommand).resolves({ Name: 'pinrelay-dev-wh-whk_x' });
    expect(await rules.exists('arn:aws:events:eu-west-1:123456789012:rule/PinrelaydevStatefulJobEvents/pinrelay-dev-wh-whk_x')).toBe(true);
    expect(eb.commandCalls(DescribeRuleCommand)[0]!.args[0].input).toEqual({
      Name: 'pinrelay-dev-wh-whk_x',
      EventBusName: 'PinrelaydevStatefulJobEvents',
    });
  });

  it('a rule on the default bus (no bus in the ARN)', async () => {
    eb.on(DescribeRuleCommand).resolves({ Name: 'r' });
    await rules.exists('arn:aws:events:eu-west-1:123456789012:rule/r');
    expect(eb.commandCalls(DescribeRuleCommand)[0]!.args[0].input).toEqual({ Name: 'r', EventBusName: 'default' });
  });

  it('ResourceNotFoundException → false; other errors propagate', async () => {
    eb.on(DescribeRuleCommand)
      .rejectsOnce(Object.assign(new Error('Rule r does not exist.'), { name: 'ResourceNotFoundException' }))
      .rejectsOnce(Object.assign(new Error('denied'), { name: 'AccessDeniedException' }));
    expect(await rules.exists('arn:aws:events:eu-west-1:123456789012:rule/bus/r')).toBe(false);
    await expect(rules.exists('arn:aws:events:eu-west-1:123456789012:rule/bus/r')).rejects.toThrow('denied');
  });

  it('an ARN that is no rule ARN → false, without a call', async () => {
    expect(await rules.exists('arn:aws:sqs:eu-west-1:123456789012:q')).toBe(false);
    expect(eb.commandCalls(DescribeRuleCommand)).toEqual([]);
  });
});
