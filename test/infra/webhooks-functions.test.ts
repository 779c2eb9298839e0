import { Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { metricsNamespace } from '../../definitions/metrics.ts';
import { WEBHOOK_PROVISIONING_STALE_SECONDS } from '../../definitions/webhooks.ts';
import { DEFAULT_ENVIRONMENT } from '../../lib/constructs/service-function.ts';
import { at, objectAt, resourcesOfType, type Synthesized } from './support.ts';
import { PREFIX, WEBHOOK_FUNCTIONS, arnJoin, functionStatements, imported, logicalIdOf, synthWebhookStages } from './webhooks-support.ts';

/** The webhook API functions: their routes, their environment, exactly their IAM statements, and the API methods in front of them. */

let dev: Synthesized;
let qa: Synthesized;
beforeAll(() => {
  ({ dev, qa } = synthWebhookStages());
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
      const props = resourcesOfType(dev.statelessTemplate, 'AWS::Lambda::Function').find(
        (f) => f.id === logicalIdOf(dev, 'stateless', fn.function),
      )!.props;
      const variables = objectAt(props, 'Environment', 'Variables');
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
    const props = resourcesOfType(qa.statelessTemplate, 'AWS::Lambda::Function').find(
      (f) => f.id === logicalIdOf(qa, 'stateless', fn.function),
    )!.props;
    const variables = at(props, 'Environment', 'Variables');
    expect(variables).toMatchObject({
      WEBHOOK_NAME_PREFIX: 'pinrelay-qa-wh-',
      WEBHOOKS_MAX_PER_TENANT: '3',
      WEBHOOKS_RULE_QUOTA: '1000',
      WEBHOOKS_INVOCATION_RATE_LIMIT_PER_SECOND: '50',
    });
  });

  it.each(WEBHOOK_FUNCTIONS.map((d) => [d.name] as const))('%s: exactly these IAM statements', (name) => {
    const fn = dev.stateless.functions.get(name as never)!;
    const statements = functionStatements(dev, name).map((st) => ({ ...st, ...(st.Resource ? { Resource: imported(st.Resource) } : {}) }));
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
