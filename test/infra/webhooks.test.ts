import { Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { WEBHOOK_DLQ_ALARM_DESCRIPTION } from '../../lib/constructs/webhooks.ts';
import { DEFAULT_ENVIRONMENT } from '../../lib/constructs/service-function.ts';
import { FUNCTIONS, type FunctionDefinition } from '../../definitions/functions.ts';
import { matchesLeadingKey } from '../../definitions/item-access.ts';
import { metricsNamespace } from '../../definitions/metrics.ts';
import { WEBHOOK_DLQ } from '../../definitions/queues.ts';
import { WEBHOOK_PROVISIONING_STALE_SECONDS, webhookResourceName } from '../../definitions/webhooks.ts';
import { resourcesOfType, synthPinrelay, type Synthesized } from './support.ts';

/**
 * Self-service webhooks in the stacks (lib/constructs/webhooks.ts, `webhooks:manage` in
 * lib/constructs/service-function.ts): the bus, the webhook DLQ and who may write to it, its alarm, the
 * target role, and exactly what each webhook function may do.
 */

const DEFINITIONS = FUNCTIONS as readonly FunctionDefinition[];
const WEBHOOK_FUNCTIONS = DEFINITIONS.filter((d) => d.access.includes('webhooks:manage'));
const PREFIX = 'pinrelay-dev-wh-';
const ID = 'whk_0123456789abcdefghjk';

/** `arn:${AWS::Partition}:<rest>` as CDK renders formatArn for an environment-agnostic stack. */
const arnJoin = (service: string, rest: string) => ({
  'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:${service}:`, { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, rest]],
});

let dev: Synthesized;
let qa: Synthesized;
beforeAll(() => {
  dev = synthPinrelay({ stage: 'dev' });
  qa = synthPinrelay({
    stage: 'qa',
    stages: { qa: { alarmEmail: 'ops@example.com', webhooks: { maxPerTenant: 3, ruleQuota: 1000, invocationRateLimitPerSecond: 50 } } },
  });
});

const logicalIdOf = (s: Synthesized, stack: 'stateful' | 'stateless', construct: { node: { defaultChild?: unknown } }) =>
  s[stack].getLogicalId(construct.node.defaultChild as never);

function statementsOf(s: Synthesized, name: string): Array<Record<string, any>> {
  const roleId = logicalIdOf(s, 'stateless', s.stateless.functions.get(name as never)!.role);
  return resourcesOfType(s.statelessTemplate, 'AWS::IAM::Policy')
    .filter((p) => JSON.stringify(p.props.Roles) === JSON.stringify([{ Ref: roleId }]))
    .flatMap((p) => p.props.PolicyDocument.Statement as Array<Record<string, any>>);
}

/** The Fn::ImportValue name a stateless value resolves to, or the value itself. */
const imported = (value: unknown) => (value as { 'Fn::ImportValue'?: string })['Fn::ImportValue'] ?? value;

describe('stateful stack', () => {
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
    expect(policy!.props.PolicyDocument.Statement).toEqual([
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
    expect(policy!.props.PolicyDocument.Statement).toEqual([
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
    expect(role.AssumeRolePolicyDocument.Statement).toEqual([
      {
        Effect: 'Allow',
        Principal: { Service: 'events.amazonaws.com' },
        Action: 'sts:AssumeRole',
        Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } },
      },
    ]);
    expect(role).not.toHaveProperty('ManagedPolicyArns');
    const statements = resourcesOfType(dev.statefulTemplate, 'AWS::IAM::Policy')
      .filter((p) => JSON.stringify(p.props.Roles) === JSON.stringify([{ Ref: roleId }]))
      .flatMap((p) => p.props.PolicyDocument.Statement);
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

describe('webhook functions', () => {
  it('the six API functions and their routes', () => {
    expect(
      WEBHOOK_FUNCTIONS.map((d) => [d.name, d.trigger.kind === 'api' ? d.trigger.routes.map((r) => `${r.method} ${r.path}`) : []]),
    ).toEqual([
      ['create-webhook', ['POST /v1/webhooks']],
      ['list-webhooks', ['GET /v1/webhooks']],
      ['get-webhook', ['GET /v1/webhooks/{webhook_id}']],
      ['delete-webhook', ['DELETE /v1/webhooks/{webhook_id}']],
      ['rotate-webhook-secret', ['POST /v1/webhooks/{webhook_id}/rotate-secret']],
      ['test-webhook', ['POST /v1/webhooks/{webhook_id}/test']],
    ]);
    for (const def of WEBHOOK_FUNCTIONS) expect(def.access).toEqual(['webhooks:manage']);
    // A create still running is never taken for a leftover.
    const create = WEBHOOK_FUNCTIONS.find((d) => d.name === 'create-webhook')!;
    expect(WEBHOOK_PROVISIONING_STALE_SECONDS).toBeGreaterThanOrEqual(2 * (create.timeoutSeconds ?? 10));
  });

  it.each(WEBHOOK_FUNCTIONS.map((d) => [d.name] as const))(
    '%s: environment = bus, prefix, target role, DLQ, strict URLs, the webhook settings',
    (name) => {
      const fn = dev.stateless.functions.get(name as never)!;
      const variables = resourcesOfType(dev.statelessTemplate, 'AWS::Lambda::Function').find(
        (f) => f.id === logicalIdOf(dev, 'stateless', fn.function),
      )!.props.Environment.Variables as Record<string, unknown>;
      expect(Object.fromEntries(Object.entries(variables).map(([k, v]) => [k, imported(v)]))).toEqual({
        ...DEFAULT_ENVIRONMENT,
        POWERTOOLS_METRICS_NAMESPACE: metricsNamespace('dev'),
        POWERTOOLS_LOG_LEVEL: 'INFO',
        EVENT_BUS_NAME: expect.stringMatching(/^Pinrelay-dev-Stateful:ExportsOutputRefJobEvents/),
        WEBHOOK_NAME_PREFIX: PREFIX,
        WEBHOOK_TARGET_ROLE_ARN: expect.stringMatching(/^Pinrelay-dev-Stateful:ExportsOutputFnGetAttWebhooksTargetRole.*Arn/),
        WEBHOOK_DLQ_ARN: expect.stringMatching(/^Pinrelay-dev-Stateful:ExportsOutputFnGetAttQueuesWebhookDeadLetterQueue.*Arn/),
        WEBHOOK_ALLOW_LOOPBACK_HTTP: 'false',
        WEBHOOKS_MAX_PER_TENANT: '10',
        WEBHOOKS_RULE_QUOTA: '300',
        WEBHOOKS_INVOCATION_RATE_LIMIT_PER_SECOND: '10',
      });
    },
  );

  it('stage settings reach them', () => {
    const fn = qa.stateless.functions.get('create-webhook' as never)!;
    const variables = resourcesOfType(qa.statelessTemplate, 'AWS::Lambda::Function').find(
      (f) => f.id === logicalIdOf(qa, 'stateless', fn.function),
    )!.props.Environment.Variables;
    expect(variables).toMatchObject({
      WEBHOOK_NAME_PREFIX: 'pinrelay-qa-wh-',
      WEBHOOKS_MAX_PER_TENANT: '3',
      WEBHOOKS_RULE_QUOTA: '1000',
      WEBHOOKS_INVOCATION_RATE_LIMIT_PER_SECOND: '50',
    });
  });

  it.each(WEBHOOK_FUNCTIONS.map((d) => [d.name] as const))('%s: exactly these IAM statements', (name) => {
    const fn = dev.stateless.functions.get(name as never)!;
    const statements = statementsOf(dev, name).map((st) => ({ ...st, ...(st.Resource ? { Resource: imported(st.Resource) } : {}) }));
    expect(statements).toEqual([
      {
        Effect: 'Allow',
        Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        Resource: { 'Fn::GetAtt': [logicalIdOf(dev, 'stateless', fn.logGroup), 'Arn'] },
      },
      { Effect: 'Allow', Action: ['xray:PutTelemetryRecords', 'xray:PutTraceSegments'], Resource: '*' },
      {
        Effect: 'Allow',
        Action: ['events:CreateApiDestination', 'events:CreateConnection', 'events:DeleteConnection', 'events:UpdateConnection'],
        Resource: arnJoin('events', `:connection/${PREFIX}*`),
      },
      {
        Effect: 'Allow',
        Action: ['events:CreateApiDestination', 'events:DeleteApiDestination'],
        Resource: arnJoin('events', `:api-destination/${PREFIX}*`),
      },
      {
        Effect: 'Allow',
        Action: ['events:DeleteRule', 'events:PutRule', 'events:PutTargets', 'events:RemoveTargets'],
        Resource: arnJoin('events', `:rule/*/${PREFIX}*`),
      },
      { Effect: 'Allow', Action: 'events:ListRules', Resource: arnJoin('events', ':rule/*') },
      {
        Effect: 'Allow',
        Action: 'events:PutEvents',
        Resource: expect.stringMatching(/^Pinrelay-dev-Stateful:ExportsOutputFnGetAttJobEvents.*Arn/),
      },
      {
        Effect: 'Allow',
        Action: [
          'secretsmanager:CreateSecret',
          'secretsmanager:DeleteSecret',
          'secretsmanager:DescribeSecret',
          'secretsmanager:PutSecretValue',
          'secretsmanager:UpdateSecret',
        ],
        Resource: arnJoin('secretsmanager', `:secret:events!connection/${PREFIX}*`),
      },
      {
        Effect: 'Allow',
        Action: 'iam:PassRole',
        Resource: expect.stringMatching(/^Pinrelay-dev-Stateful:ExportsOutputFnGetAttWebhooksTargetRole.*Arn/),
        Condition: { StringEquals: { 'iam:PassedToService': 'events.amazonaws.com' } },
      },
      {
        Effect: 'Allow',
        Action: ['dynamodb:DeleteItem', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query', 'dynamodb:UpdateItem'],
        Resource: expect.stringMatching(/^Pinrelay-dev-Stateful:ExportsOutputFnGetAttTablesTenantsTable.*Arn/),
        Condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['TENANT#*'] }, Null: { 'dynamodb:LeadingKeys': 'false' } },
      },
    ]);
  });

  /**
   * Every call the adapters make (lambdas/adapters/eventbridge-webhooks.ts, dynamo-webhook-store.ts), the
   * IAM action it needs and an ARN of the resource it touches, as AWS names it. Connection secrets are
   * created, updated and deleted by EventBridge with the caller's permissions.
   */
  const ACCOUNT_ARN = (service: string, rest: string) => `arn:aws:${service}:eu-west-1:123456789012:${rest}`;
  const NAME = webhookResourceName(PREFIX, ID);
  const CALLS: ReadonlyArray<{ readonly call: string; readonly action: string; readonly arn: string }> = [
    {
      call: 'CreateConnection',
      action: 'events:CreateConnection',
      arn: ACCOUNT_ARN('events', `connection/${NAME}/0f5c7b6e-1111-4222-8333-444455556666`),
    },
    {
      call: 'CreateConnection (its secret)',
      action: 'secretsmanager:CreateSecret',
      arn: ACCOUNT_ARN('secretsmanager', `secret:events!connection/${NAME}/0f5c7b6e-1111-4222-8333-444455556666-AbCdEf`),
    },
    {
      call: 'CreateApiDestination',
      action: 'events:CreateApiDestination',
      arn: ACCOUNT_ARN('events', `api-destination/${NAME}/7d1e2f30-1111-4222-8333-444455556666`),
    },
    {
      call: 'CreateApiDestination (its connection)',
      action: 'events:CreateApiDestination',
      arn: ACCOUNT_ARN('events', `connection/${NAME}/0f5c7b6e-1111-4222-8333-444455556666`),
    },
    { call: 'PutRule', action: 'events:PutRule', arn: ACCOUNT_ARN('events', `rule/PinrelaydevStatefulJobEvents1A2B3C4D/${NAME}`) },
    { call: 'PutTargets', action: 'events:PutTargets', arn: ACCOUNT_ARN('events', `rule/PinrelaydevStatefulJobEvents1A2B3C4D/${NAME}`) },
    { call: 'ListRules', action: 'events:ListRules', arn: ACCOUNT_ARN('events', 'rule/*') },
    {
      call: 'UpdateConnection',
      action: 'events:UpdateConnection',
      arn: ACCOUNT_ARN('events', `connection/${NAME}/0f5c7b6e-1111-4222-8333-444455556666`),
    },
    {
      call: 'UpdateConnection (its secret)',
      action: 'secretsmanager:PutSecretValue',
      arn: ACCOUNT_ARN('secretsmanager', `secret:events!connection/${NAME}/0f5c7b6e-1111-4222-8333-444455556666-AbCdEf`),
    },
    {
      call: 'UpdateConnection (its secret)',
      action: 'secretsmanager:UpdateSecret',
      arn: ACCOUNT_ARN('secretsmanager', `secret:events!connection/${NAME}/0f5c7b6e-1111-4222-8333-444455556666-AbCdEf`),
    },
    {
      call: 'RemoveTargets',
      action: 'events:RemoveTargets',
      arn: ACCOUNT_ARN('events', `rule/PinrelaydevStatefulJobEvents1A2B3C4D/${NAME}`),
    },
    { call: 'DeleteRule', action: 'events:DeleteRule', arn: ACCOUNT_ARN('events', `rule/PinrelaydevStatefulJobEvents1A2B3C4D/${NAME}`) },
    {
      call: 'DeleteApiDestination',
      action: 'events:DeleteApiDestination',
      arn: ACCOUNT_ARN('events', `api-destination/${NAME}/7d1e2f30-1111-4222-8333-444455556666`),
    },
    {
      call: 'DeleteConnection',
      action: 'events:DeleteConnection',
      arn: ACCOUNT_ARN('events', `connection/${NAME}/0f5c7b6e-1111-4222-8333-444455556666`),
    },
    {
      call: 'DeleteConnection (its secret)',
      action: 'secretsmanager:DeleteSecret',
      arn: ACCOUNT_ARN('secretsmanager', `secret:events!connection/${NAME}/0f5c7b6e-1111-4222-8333-444455556666-AbCdEf`),
    },
    {
      call: 'DeleteConnection (its secret)',
      action: 'secretsmanager:DescribeSecret',
      arn: ACCOUNT_ARN('secretsmanager', `secret:events!connection/${NAME}/0f5c7b6e-1111-4222-8333-444455556666-AbCdEf`),
    },
  ];

  /** IAM's wildcard match of a resource pattern (CDK's Fn::Join over pseudo parameters rendered for eu-west-1). */
  function allows(statements: Array<Record<string, any>>, action: string, arn: string): boolean {
    return statements.some((st) => {
      const actions: string[] = Array.isArray(st.Action) ? st.Action : [st.Action];
      if (st.Effect !== 'Allow' || !actions.includes(action)) return false;
      const resources = Array.isArray(st.Resource) ? st.Resource : [st.Resource];
      return resources.some((resource: unknown) => {
        const join = (resource as { 'Fn::Join'?: [string, unknown[]] })['Fn::Join'];
        if (!join) return resource === '*';
        const pattern = join[1]
          .map((part) => {
            const ref = (part as { Ref?: string }).Ref;
            if (ref === 'AWS::Partition') return 'aws';
            if (ref === 'AWS::Region') return 'eu-west-1';
            if (ref === 'AWS::AccountId') return '123456789012';
            if (typeof part === 'string') return part;
            return '\u0000'; // another reference: never matches
          })
          .join('');
        return matchesLeadingKey(pattern, arn);
      });
    });
  }

  it.each(WEBHOOK_FUNCTIONS.map((d) => [d.name] as const))(
    '%s: may make every call the adapters make, on the resources create makes',
    (name) => {
      const statements = statementsOf(dev, name);
      for (const { call, action, arn } of CALLS) expect(allows(statements, action, arn), `${call}: ${action} on ${arn}`).toBe(true);
    },
  );

  it('delete-webhook can remove every kind of resource create-webhook makes (a connection and its secret, a destination, a rule and its target)', () => {
    const create = statementsOf(dev, 'create-webhook');
    const remove = statementsOf(dev, 'delete-webhook');
    const made = CALLS.filter(
      (c) => /^(CreateConnection|CreateApiDestination|PutRule|PutTargets)/.test(c.call) && !c.call.includes('its connection'),
    );
    const removal: Record<string, string> = {
      'events:CreateConnection': 'events:DeleteConnection',
      'secretsmanager:CreateSecret': 'secretsmanager:DeleteSecret',
      'events:CreateApiDestination': 'events:DeleteApiDestination',
      'events:PutRule': 'events:DeleteRule',
      'events:PutTargets': 'events:RemoveTargets',
    };
    expect(made.map((c) => c.action).sort()).toEqual(Object.keys(removal).sort());
    for (const { action, arn } of made) {
      expect(allows(create, action, arn), `create: ${action}`).toBe(true);
      expect(allows(remove, removal[action]!, arn), `delete: ${removal[action]} on ${arn}`).toBe(true);
    }
  });

  it("nothing outside the prefix: another deployment's or a hand-made connection, destination, rule or secret is out of reach", () => {
    const statements = statementsOf(dev, 'delete-webhook');
    for (const { action, arn } of CALLS.filter((c) => c.action !== 'events:ListRules')) {
      const foreign = arn.replace(PREFIX, 'pinrelay-prod-wh-');
      expect(allows(statements, action, foreign), `${action} on ${foreign}`).toBe(false);
    }
    expect(allows(statements, 'events:PutRule', ACCOUNT_ARN('events', 'rule/default/my-own-rule'))).toBe(false);
    expect(
      allows(statements, 'secretsmanager:DeleteSecret', ACCOUNT_ARN('secretsmanager', 'secret:pinrelay/dev/accounts/t/a-AbCdEf')),
    ).toBe(false);
  });

  it('no other function may manage webhooks or pass the target role', () => {
    for (const def of DEFINITIONS.filter((d) => !d.access.includes('webhooks:manage'))) {
      const actions = statementsOf(dev, def.name).flatMap((st) => (Array.isArray(st.Action) ? st.Action : [st.Action]));
      expect(
        actions.filter((a: string) =>
          /^events:(Create|Delete|Update|Put(Rule|Targets)|RemoveTargets|ListRules)|^iam:PassRole|^secretsmanager:DeleteSecret/.test(a),
        ),
        def.name,
      ).toEqual([]);
    }
  });

  it('the API exposes each webhook route behind the authorizer', () => {
    for (const def of WEBHOOK_FUNCTIONS) {
      if (def.trigger.kind !== 'api') continue;
      for (const route of def.trigger.routes) {
        expect(dev.stateless.publicApi.methods.get(`${route.method} ${route.path}`), `${route.method} ${route.path}`).toBeDefined();
      }
    }
    dev.statelessTemplate.hasResourceProperties('AWS::ApiGateway::Method', {
      HttpMethod: 'DELETE',
      AuthorizationType: 'CUSTOM',
      AuthorizerId: Match.anyValue(),
    });
  });
});
