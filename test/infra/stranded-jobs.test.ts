import { App, Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { beforeAll, describe, expect, it } from 'vitest';
import { StrandedJobs } from '../../lib/constructs/stranded-jobs.ts';
import { FUNCTIONS, type FunctionDefinition } from '../../definitions/functions.ts';
import { DELAY_DLQ, POISON_QUEUE, PUBLISH_DLQ } from '../../definitions/queues.ts';
import { SETTINGS } from '../../definitions/settings.ts';
import { actionsOf, resourcesOfType, roleStatements, synthPinrelay, type Synthesized } from './support.ts';

/**
 * The stranded-job backstop (docs/adr/0009-reconciler.md): the reconciler's schedule, the consumer of
 * both dead-letter queues, the poison queue, and the least privilege each function gets from its
 * catalogue entry.
 */
const byName = (name: string): FunctionDefinition => {
  const def = (FUNCTIONS as readonly FunctionDefinition[]).find((d) => d.name === name);
  if (!def) throw new Error(`no function ${name}`);
  return def;
};

let dev: Synthesized;
let custom: Synthesized;
beforeAll(() => {
  dev = synthPinrelay({ stage: 'dev' });
  custom = synthPinrelay({
    stage: 'qa',
    stages: { qa: { reconcileEveryMinutes: 2, reconcile: { graceSeconds: 1200, pageLimit: 50, maxRedispatches: 5 } } },
  });
});

const functionId = (s: Synthesized, name: string) =>
  s.stateless.getLogicalId(s.stateless.functions.get(name as never)!.function.node.defaultChild as never);
const roleId = (s: Synthesized, name: string) =>
  s.stateless.getLogicalId(s.stateless.functions.get(name as never)!.role.node.defaultChild as never);
const variables = (s: Synthesized, name: string): Record<string, unknown> =>
  (s.statelessTemplate.toJSON().Resources[functionId(s, name)] as { Properties: { Environment: { Variables: Record<string, unknown> } } })
    .Properties.Environment.Variables;
const statements = (s: Synthesized, name: string) => roleStatements(s.statelessTemplate, roleId(s, name));
const allowing = (s: Synthesized, name: string, prefix: string) =>
  statements(s, name).filter((st) => actionsOf(st).some((a) => a.startsWith(prefix)));
const mappingsOf = (s: Synthesized, name: string) =>
  resourcesOfType(s.statelessTemplate, 'AWS::Lambda::EventSourceMapping').filter(
    (m) => JSON.stringify(m.props.FunctionName) === JSON.stringify({ Ref: functionId(s, name) }),
  );

describe('reconcile-stranded-jobs', () => {
  it("runs on a schedule at the catalogue's rate, retried at most twice, never stale", () => {
    const def = byName('reconcile-stranded-jobs');
    expect(def.trigger).toEqual({ kind: 'schedule', everyMinutes: 5 });
    dev.statelessTemplate.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(5 minutes)',
      State: 'ENABLED',
      Targets: [
        Match.objectLike({
          Arn: { 'Fn::GetAtt': [functionId(dev, 'reconcile-stranded-jobs'), 'Arn'] },
          RetryPolicy: { MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: 120 },
        }),
      ],
    });
    dev.statelessTemplate.hasResourceProperties('AWS::Lambda::Permission', {
      Principal: 'events.amazonaws.com',
      FunctionName: { 'Fn::GetAtt': [functionId(dev, 'reconcile-stranded-jobs'), 'Arn'] },
    });
  });

  it('reconcileEveryMinutes overrides the rate', () => {
    custom.statelessTemplate.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(2 minutes)',
      Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [functionId(custom, 'reconcile-stranded-jobs'), 'Arn'] } })],
    });
  });

  it('gets its grace, page limit and re-dispatch limit from the stage (documented defaults otherwise), and the retry policy for the crash limit', () => {
    expect(variables(dev, 'reconcile-stranded-jobs')).toMatchObject({
      RECONCILE_GRACE_SECONDS: String(SETTINGS.reconcile.graceSeconds.default),
      RECONCILE_PAGE_LIMIT: String(SETTINGS.reconcile.pageLimit.default),
      RECONCILE_MAX_REDISPATCHES: String(SETTINGS.reconcile.maxRedispatches.default),
      RETRY_MAX_ATTEMPTS: '5',
    });
    expect([
      SETTINGS.reconcile.graceSeconds.default,
      SETTINGS.reconcile.pageLimit.default,
      SETTINGS.reconcile.maxRedispatches.default,
    ]).toEqual([900, 100, 3]);
    expect(variables(custom, 'reconcile-stranded-jobs')).toMatchObject({
      RECONCILE_GRACE_SECONDS: '1200',
      RECONCILE_PAGE_LIMIT: '50',
      RECONCILE_MAX_REDISPATCHES: '5',
    });
  });

  it('a deployed stage refuses a grace under 5 minutes', () => {
    expect(() => synthPinrelay({ stage: 'qa', stages: { qa: { reconcile: { graceSeconds: 60 } } } })).toThrow(
      /reconcile\.graceSeconds.*at least 300/s,
    );
  });

  it('reads and writes the jobs table and its indexes (the due index by name), and touches nothing else', () => {
    const dynamo = allowing(dev, 'reconcile-stranded-jobs', 'dynamodb:');
    expect(JSON.stringify(dynamo)).toMatch(/index\/by_due/);
    expect(JSON.stringify(dynamo)).not.toMatch(/TenantsTable/);
    expect(dynamo.flatMap(actionsOf)).toEqual(expect.arrayContaining(['dynamodb:Query', 'dynamodb:GetItem', 'dynamodb:UpdateItem']));
    // It re-dispatches by writing the job; the outbox sends the message.
    expect(allowing(dev, 'reconcile-stranded-jobs', 'sqs:')).toEqual([]);
    expect(allowing(dev, 'reconcile-stranded-jobs', 'secretsmanager:')).toEqual([]);
    expect(allowing(dev, 'reconcile-stranded-jobs', 'kms:')).toEqual([]);
    expect(mappingsOf(dev, 'reconcile-stranded-jobs')).toEqual([]);
  });
});

describe('record-dead-letters', () => {
  it('consumes both dead-letter queues: batches of 10, partial batch responses, no batching window', () => {
    const mappings = mappingsOf(dev, 'record-dead-letters');
    expect(mappings).toHaveLength(2);
    const sources = mappings.map((m) => JSON.stringify(m.props.EventSourceArn)).sort();
    expect(sources[0]).toMatch(/QueuesDelayDeadLetterQueue/);
    expect(sources[1]).toMatch(/QueuesPublishDeadLetterQueue/);
    for (const m of mappings) {
      expect(m.props).toMatchObject({ BatchSize: 10, FunctionResponseTypes: ['ReportBatchItemFailures'] });
      expect(m.props.MaximumBatchingWindowInSeconds).toBeUndefined();
    }
  });

  it('its timeout fits the dead-letter queues visibility (Lambda rejects the mapping otherwise)', () => {
    const timeout = byName('record-dead-letters').timeoutSeconds!;
    expect(timeout).toBeLessThanOrEqual(PUBLISH_DLQ.visibilityTimeoutSeconds);
    expect(timeout).toBeLessThanOrEqual(DELAY_DLQ.visibilityTimeoutSeconds);
  });

  it('sends only to the poison queue, consumes only the dead-letter queues, writes jobs, and touches no secret or tenant', () => {
    const send = allowing(dev, 'record-dead-letters', 'sqs:SendMessage');
    expect(send).toHaveLength(1);
    expect(JSON.stringify(send[0]!.Resource)).toMatch(/QueuesPoisonMessageQueue/);
    const receive = allowing(dev, 'record-dead-letters', 'sqs:ReceiveMessage');
    const consumed = JSON.stringify(receive.map((st) => st.Resource));
    expect(consumed).toMatch(/QueuesPublishDeadLetterQueue/);
    expect(consumed).toMatch(/QueuesDelayDeadLetterQueue/);
    expect(JSON.stringify(receive)).not.toMatch(/QueuesPublishQueue[0-9A-F]{8}|QueuesDelayQueue[0-9A-F]{8}/);
    expect(JSON.stringify(allowing(dev, 'record-dead-letters', 'dynamodb:'))).not.toMatch(/TenantsTable/);
    expect(allowing(dev, 'record-dead-letters', 'secretsmanager:')).toEqual([]);
    expect(variables(dev, 'record-dead-letters')).toHaveProperty('POISON_QUEUE_URL');
    expect(variables(dev, 'record-dead-letters')).not.toHaveProperty('PUBLISH_QUEUE_URL');
  });

  it('no other function may send to the poison queue', () => {
    for (const def of FUNCTIONS as readonly FunctionDefinition[]) {
      if (def.name === 'record-dead-letters') continue;
      expect(JSON.stringify(allowing(dev, def.name, 'sqs:SendMessage')), def.name).not.toMatch(/QueuesPoisonMessageQueue/);
    }
  });
});

describe('poison queue', () => {
  it('is a standard, encrypted queue kept 14 days, with no redrive and no consumer', () => {
    const poison = resourcesOfType(dev.statefulTemplate, 'AWS::SQS::Queue').find((q) => /QueuesPoisonMessageQueue[0-9A-F]{8}$/.test(q.id));
    expect(poison?.props).toMatchObject({ MessageRetentionPeriod: POISON_QUEUE.retentionSeconds, SqsManagedSseEnabled: true });
    expect(poison?.props.FifoQueue).toBeUndefined();
    expect(poison?.props.RedrivePolicy).toBeUndefined();
    const consumed = resourcesOfType(dev.statelessTemplate, 'AWS::Lambda::EventSourceMapping').map((m) =>
      JSON.stringify(m.props.EventSourceArn),
    );
    expect(consumed.join()).not.toMatch(/QueuesPoisonMessageQueue/);
  });
});

describe('StrandedJobs construct', () => {
  it('fails the synth when a dead-letter queue hides a message for less than the consumer may run', () => {
    const stack = new Stack(new App(), 'S');
    const fn = new lambda.Function(stack, 'Fn', {
      runtime: lambda.Runtime.NODEJS_22_X,
      handler: 'index.handler',
      code: lambda.Code.fromInline('exports.handler = async () => {}'),
      timeout: Duration.seconds(20),
    });
    const short = new sqs.Queue(stack, 'Short', { visibilityTimeout: Duration.seconds(10) });
    const ok = new sqs.Queue(stack, 'Ok', { visibilityTimeout: Duration.seconds(30) });
    expect(
      () =>
        new StrandedJobs(stack, 'Stranded', {
          reconcileFunction: fn,
          deadLetterFunction: fn,
          publishDeadLetterQueue: ok,
          delayDeadLetterQueue: short,
        }),
    ).toThrow(/visibility timeout 10 s is below the timeout/);
  });

  it('defaults to a 5-minute schedule', () => {
    const stack = new Stack(new App(), 'S');
    const fn = new lambda.Function(stack, 'Fn', {
      runtime: lambda.Runtime.NODEJS_22_X,
      handler: 'index.handler',
      code: lambda.Code.fromInline('exports.handler = async () => {}'),
    });
    const [a, b] = ['A', 'B'].map((id) => new sqs.Queue(stack, id));
    new StrandedJobs(stack, 'Stranded', {
      reconcileFunction: fn,
      deadLetterFunction: fn,
      publishDeadLetterQueue: a!,
      delayDeadLetterQueue: b!,
    });
    Template.fromStack(stack).hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'rate(5 minutes)' });
  });
});
