import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { MAX_DELAY_SECONDS, SqsJobQueue } from '../../../lambdas/adapters/sqs-job-queue.ts';
import type { JobRecord } from '../../../lambdas/domain/job.ts';
import { ACCOUNT, jobRecord, T0, TENANT } from '../builders.ts';

const PUBLISH = 'https://sqs.eu-west-1.amazonaws.com/123456789012/pinrelay-publish.fifo';
const DELAY = 'https://sqs.eu-west-1.amazonaws.com/123456789012/pinrelay-delay';

const sqs = mockClient(SQSClient);
const queue = new SqsJobQueue(new SQSClient({ region: 'eu-west-1' }), PUBLISH, DELAY);
const now = new Date(T0);

function dueIn(ms: number | null): JobRecord {
  const record = jobRecord({ status: 'retry_scheduled' });
  return { ...record, job: { ...record.job, next_attempt_at: ms === null ? null : new Date(now.getTime() + ms).toISOString() } };
}

beforeEach(() => {
  sqs.reset();
  sqs.on(SendMessageCommand).resolves({ MessageId: 'm-1' });
});

describe('SqsJobQueue.enqueue', () => {
  it('sends a pointer to the FIFO queue, grouped by tenant#account and deduplicated by job version', async () => {
    // Prepare
    const record = { ...jobRecord(), version: 3 };

    // Act
    await queue.enqueue(record);

    // Assess
    expect(sqs).toHaveReceivedCommandTimes(SendMessageCommand, 1);
    const input = sqs.commandCalls(SendMessageCommand)[0]!.args[0].input;
    expect(input).toEqual({
      QueueUrl: PUBLISH,
      MessageGroupId: `${TENANT}#${ACCOUNT}`,
      MessageDeduplicationId: `${record.job.id}-v3`,
      MessageBody: expect.any(String),
    });
    expect(JSON.parse(input.MessageBody!)).toEqual({ job_id: record.job.id, tenant_id: TENANT, version: 3 });
  });

  it('gives each version its own deduplication id', async () => {
    const record = jobRecord();
    await queue.enqueue(record);
    await queue.enqueue({ ...record, version: record.version + 1 });

    const ids = sqs.commandCalls(SendMessageCommand).map((c) => c.args[0].input.MessageDeduplicationId);
    expect(new Set(ids).size).toBe(2);
  });
});

describe('SqsJobQueue.hold', () => {
  it.each([
    ['due now', 0, 0],
    ['1 ms ahead (rounds up)', 1, 1],
    ['exactly 1 s ahead', 1_000, 1],
    ['1.001 s ahead', 1_001, 2],
    ['overdue', -5_000, 0],
    ['exactly 900 s ahead', 900_000, 900],
    ['just over 900 s ahead', 900_001, 900],
    ['a day ahead (re-delayed on return)', 86_400_000, 900],
    ['without next_attempt_at', null, 0],
  ] as const)('%s ⇒ DelaySeconds %i on the delay queue', async (_what, ms, seconds) => {
    // Prepare
    const record = dueIn(ms);

    // Act
    await queue.hold(record, now);

    // Assess
    const input = sqs.commandCalls(SendMessageCommand)[0]!.args[0].input;
    expect(input).toEqual({ QueueUrl: DELAY, DelaySeconds: seconds, MessageBody: expect.any(String) });
    expect(JSON.parse(input.MessageBody!)).toEqual({ job_id: record.job.id, tenant_id: TENANT, version: record.version });
  });

  it('caps at the SQS maximum of 900 s', () => {
    expect(MAX_DELAY_SECONDS).toBe(900);
  });
});
