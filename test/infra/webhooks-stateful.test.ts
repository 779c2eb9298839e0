import { beforeAll, describe, expect, it } from 'vitest';
import { WEBHOOK_DLQ } from '../../definitions/queues.ts';
import { WEBHOOK_DLQ_ALARM_DESCRIPTION } from '../../lib/constructs/webhooks.ts';
import { at, resourcesOfType, roleStatements, type Synthesized } from './support.ts';
import { PREFIX, arnJoin, logicalIdOf, synthWebhookStages } from './webhooks-support.ts';

/** The stateful side of webhooks: the bus, the webhook DLQ and who may write to it, its alarm, the alarm topic, the target role. */

let dev: Synthesized;
let qa: Synthesized;
beforeAll(() => {
  ({ dev, qa } = synthWebhookStages());
});

describe('webhooks in the stateful stack', () => {
  it('one custom event bus (the pinrelay bus), CDK-named', () => {
    dev.statefulTemplate.resourceCountIs('AWS::Events::EventBus', 1);
  });

  it('the webhook DLQ: standard, SSE-SQS, 14 days, TLS only, and only EventBridge rules under the prefix may send to it', () => {
    const queue = dev.stateful.webhooks.deadLetterQueue;
    expect(dev.stateful.queues.queues.get(WEBHOOK_DLQ.logicalName)).toBe(queue);
    const queueId = logicalIdOf(dev, 'stateful', queue);
    const props = resourcesOfType(dev.statefulTemplate, 'AWS::SQS::Queue').find((q) => q.id === queueId)!.props;
    expect(props).toEqual({
      MessageRetentionPeriod: 14 * 24 * 3600,
      SqsManagedSseEnabled: true,
      VisibilityTimeout: 30,
      Tags: [{ Key: 'pinrelay:stage', Value: 'dev' }],
    });

    const [policy] = resourcesOfType(dev.statefulTemplate, 'AWS::SQS::QueuePolicy').filter(
      (p) => JSON.stringify(p.props.Queues) === JSON.stringify([{ Ref: queueId }]),
    );
    expect(at(policy?.props, 'PolicyDocument', 'Statement')).toEqual([
      {
        Effect: 'Deny',
        Principal: { AWS: '*' },
        Action: 'sqs:*',
        Resource: { 'Fn::GetAtt': [queueId, 'Arn'] },
        Condition: { Bool: { 'aws:SecureTransport': 'false' } },
      },
      {
        Sid: 'WebhookTargetsDeadLetter',
        Effect: 'Allow',
        Principal: { Service: 'events.amazonaws.com' },
        Action: 'sqs:SendMessage',
        Resource: { 'Fn::GetAtt': [queueId, 'Arn'] },
        Condition: {
          ArnLike: {
            'aws:SourceArn': {
              'Fn::Join': [
                '',
                [
                  'arn:',
                  { Ref: 'AWS::Partition' },
                  ':events:',
                  { Ref: 'AWS::Region' },
                  ':',
                  { Ref: 'AWS::AccountId' },
                  ':rule/',
                  { Ref: logicalIdOf(dev, 'stateful', dev.stateful.eventBus) },
                  `/${PREFIX}*`,
                ],
              ],
            },
          },
        },
      },
    ]);
  });

  it('an alarm on the DLQ: any visible message, notifying the alarm topic, with a runbook line', () => {
    const alarms = resourcesOfType(dev.statefulTemplate, 'AWS::CloudWatch::Alarm');
    expect(alarms).toHaveLength(1);
    expect(alarms[0]!.props).toEqual({
      AlarmDescription: WEBHOOK_DLQ_ALARM_DESCRIPTION,
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [
        { Name: 'QueueName', Value: { 'Fn::GetAtt': [logicalIdOf(dev, 'stateful', dev.stateful.webhooks.deadLetterQueue), 'QueueName'] } },
      ],
      Statistic: 'Maximum',
      Period: 300,
      EvaluationPeriods: 1,
      ComparisonOperator: 'GreaterThanThreshold',
      Threshold: 0,
      TreatMissingData: 'notBreaching',
      AlarmActions: [{ Ref: logicalIdOf(dev, 'stateful', dev.stateful.alarmTopic) }],
      Tags: [{ Key: 'pinrelay:stage', Value: 'dev' }],
    });
    // What it means and what to do, in one line a pager can show.
    expect(WEBHOOK_DLQ_ALARM_DESCRIPTION).toMatch(/^Webhook deliveries failed for good: .*replay with `npm run admin -- webhooks replay`/);
    expect(WEBHOOK_DLQ_ALARM_DESCRIPTION.length).toBeLessThanOrEqual(1024);
  });

  it('the alarm topic: TLS only, CloudWatch alarms of this account may publish; an e-mail subscription only with alarmEmail', () => {
    const topicId = logicalIdOf(dev, 'stateful', dev.stateful.alarmTopic);
    dev.statefulTemplate.resourceCountIs('AWS::SNS::Topic', 1);
    dev.statefulTemplate.resourceCountIs('AWS::SNS::Subscription', 0);
    const [policy] = resourcesOfType(dev.statefulTemplate, 'AWS::SNS::TopicPolicy');
    expect(at(policy?.props, 'PolicyDocument', 'Statement')).toEqual([
      expect.objectContaining({ Effect: 'Deny', Action: 'sns:Publish', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
      {
        Sid: 'CloudWatchAlarms',
        Effect: 'Allow',
        Principal: { Service: 'cloudwatch.amazonaws.com' },
        Action: 'sns:Publish',
        Resource: { Ref: topicId },
        Condition: { ArnLike: { 'aws:SourceArn': arnJoin('cloudwatch', ':alarm:*') } },
      },
    ]);

    qa.statefulTemplate.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'ops@example.com',
      TopicArn: { Ref: logicalIdOf(qa, 'stateful', qa.stateful.alarmTopic) },
    });
  });

  it("the target role: assumed by EventBridge for this account only, may invoke the prefix's API destinations and nothing else", () => {
    const roleId = logicalIdOf(dev, 'stateful', dev.stateful.webhooks.targetRole);
    const role = resourcesOfType(dev.statefulTemplate, 'AWS::IAM::Role').find((r) => r.id === roleId)!.props;
    expect(at(role, 'AssumeRolePolicyDocument', 'Statement')).toEqual([
      {
        Effect: 'Allow',
        Principal: { Service: 'events.amazonaws.com' },
        Action: 'sts:AssumeRole',
        Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } },
      },
    ]);
    expect(role).not.toHaveProperty('ManagedPolicyArns');
    const statements = roleStatements(dev.statefulTemplate, roleId);
    expect(statements).toEqual([
      { Effect: 'Allow', Action: 'events:InvokeApiDestination', Resource: arnJoin('events', `:api-destination/${PREFIX}*`) },
    ]);
  });

  it('outputs the webhook DLQ URL (for the replay command)', () => {
    dev.statefulTemplate.hasOutput('WebhookDeadLetterQueueUrl', {
      Value: { Ref: logicalIdOf(dev, 'stateful', dev.stateful.webhooks.deadLetterQueue) },
    });
  });
});
