import { GetQueueAttributesCommand, ListQueuesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import type { OpsValues } from '../../../bin/ops-target.ts';
import { runOpsCommand } from '../../../bin/ops.ts';
import type { QueuesReport } from '../../../lambdas/use-cases/ops-queues.ts';

const sqs = mockClient(SQSClient);
const ddb = mockClient(DynamoDBDocumentClient);
const BASE = 'https://sqs.eu-west-1.amazonaws.com/123456789012/';
/** How CloudFormation names the stage's queues (stack name, construct path + hash, random suffix). */
const STAGE_QUEUES = [
  'Pinrelay-dev-Stateful-QueuesPublishDeadLetterQueue5D1B0C7A-Xy12Ab34Cd56.fifo',
  'Pinrelay-dev-Stateful-QueuesPublishQueue0A1B2C3D-Ef78Gh90Ij12.fifo',
  'Pinrelay-dev-Stateful-QueuesDelayDeadLetterQueueAB12CD34-Kl34Mn56Op78',
  'Pinrelay-dev-Stateful-QueuesDelayQueue9F8E7D6C-Qr90St12Uv34',
  'Pinrelay-dev-Stateful-QueuesOutboxDeadLetterQueue11223344-Wx56Yz78Ab90',
  'Pinrelay-dev-Stateful-QueuesPoisonMessageQueue55667788-Cd12Ef34Gh56',
  'Pinrelay-dev-Stateful-QueuesWebhookDeadLetterQueue99AABBCC-Ij78Kl90Mn12',
].map((name) => `${BASE}${name}`);

async function cli(command: string, sub: string | undefined, values: OpsValues, env: NodeJS.ProcessEnv = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runOpsCommand(command, sub, values, {
    stdout: (t) => out.push(t),
    stderr: { write: (t: string) => err.push(t) },
    env: { AWS_REGION: 'eu-west-1', ...env },
  });
  return { code, stdout: out.join('\n'), stderr: err.join('') };
}

beforeEach(() => {
  ddb.reset();
  sqs.reset();
  sqs.on(ListQueuesCommand).resolves({ QueueUrls: STAGE_QUEUES });
  sqs.on(GetQueueAttributesCommand).callsFake(async (input: { QueueUrl: string }) => ({
    Attributes: {
      ApproximateNumberOfMessages: input.QueueUrl.includes('PublishDeadLetter') ? '2' : '0',
      ApproximateNumberOfMessagesNotVisible: '0',
      ApproximateNumberOfMessagesDelayed: '0',
    },
  }));
});

describe('admin operations commands: where things are in AWS', () => {
  it('--stage finds every queue by its CloudFormation name (a queue is never taken for its DLQ)', async () => {
    const { code, stdout } = await cli('queues', undefined, { stage: 'dev', json: true });
    expect(code).toBe(0);
    const report = JSON.parse(stdout) as QueuesReport;
    expect(report.not_configured).toEqual([]);
    expect(sqs.commandCalls(ListQueuesCommand)[0]!.args[0].input).toMatchObject({ QueueNamePrefix: 'Pinrelay-dev-Stateful-' });
    const asked = sqs.commandCalls(GetQueueAttributesCommand).map((c) => c.args[0].input.QueueUrl);
    expect(asked).toEqual(expect.arrayContaining(STAGE_QUEUES));
    expect(report.queues.find((q) => q.queue === 'publish_dlq')?.depth?.visible).toBe(2);
    expect(report.queues.find((q) => q.queue === 'publish')?.depth?.visible).toBe(0);
  });

  it('a queue URL in the environment wins over the one found by name', async () => {
    const mine = `${BASE}my-publish-queue.fifo`;
    await cli('queues', undefined, { stage: 'dev', json: true }, { PUBLISH_QUEUE_URL: mine });
    const asked = sqs.commandCalls(GetQueueAttributesCommand).map((c) => c.args[0].input.QueueUrl);
    expect(asked).toContain(mine);
    expect(asked).not.toContain(STAGE_QUEUES[1]);
  });

  it('without queue URLs or --stage: exit 2 naming the variables', async () => {
    const { code, stderr } = await cli('queues', undefined, {});
    expect(code).toBe(2);
    expect(stderr).toContain('which queues? set PUBLISH_QUEUE_URL, PUBLISH_DLQ_URL, DELAY_QUEUE_URL');
    expect(sqs.commandCalls(ListQueuesCommand)).toHaveLength(0);
  });

  it('usage mistakes are exit 2 with a message, before any request', async () => {
    expect(await cli('jobs', 'requeue', { apply: true }, { JOBS_TABLE_NAME: 'Jobs' })).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('jobs requeue needs --tenant T'),
    });
    expect(await cli('jobs', 'failed', { route: 'sales' }, { JOBS_TABLE_NAME: 'Jobs' })).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('--route sales: one of ops, client, engineering'),
    });
    expect(await cli('jobs', 'failed', { tenant: 't', limit: '0' }, { JOBS_TABLE_NAME: 'Jobs' })).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('--limit 0'),
    });
    expect(await cli('jobs', 'stuck', {})).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('which jobs table? set JOBS_TABLE_NAME'),
    });
    expect(await cli('dlq', 'redrive', { queue: 'outbox', stage: 'dev' })).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('--queue publish or --queue delay'),
    });
    expect(await cli('rate', undefined, { tenant: 't' }, { TENANTS_TABLE_NAME: 'Tenants' })).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('rate needs --tenant T and --account A'),
    });
    expect(await cli('jobs', 'requeue', { tenant: 't', set: ['board_id'] }, { JOBS_TABLE_NAME: 'Jobs' })).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('expected FIELD=VALUE'),
    });
    expect(await cli('jobs', 'explode', {}, { JOBS_TABLE_NAME: 'Jobs' })).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('unknown command: jobs explode'),
    });
  });

  it('jobs requeue refuses corrections that are not valid pin fields, dry run or not, before reading anything: exit 2 naming each one', async () => {
    for (const apply of [false, true]) {
      const tooLong = await cli('jobs', 'requeue', { tenant: 't', set: [`title=${'x'.repeat(101)}`], apply }, { JOBS_TABLE_NAME: 'Jobs' });
      expect(tooLong).toMatchObject({ code: 2, stderr: 'admin: invalid corrections\n  pin.title: must be at most 100 characters\n' });
      const unknown = await cli('jobs', 'requeue', { tenant: 't', set: ['colour=red'], apply }, { JOBS_TABLE_NAME: 'Jobs' });
      expect(unknown).toMatchObject({ code: 2, stderr: expect.stringMatching(/^admin: invalid corrections\n {2}pin: .*colour/) });
    }
    expect(ddb.calls()).toHaveLength(0);
  });
});
