import {
  CreateApiDestinationCommand,
  CreateConnectionCommand,
  EventBridgeClient,
  PutRuleCommand,
  PutTargetsCommand,
} from '@aws-sdk/client-eventbridge';
import { CfnResource, Validations, type CfnElement } from 'aws-cdk-lib';
import { mockClient } from 'aws-sdk-client-mock';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EventBridgeWebhookProvisioner } from '../../lambdas/adapters/eventbridge-webhooks.ts';
import { readFileSync } from 'node:fs';
import { parseStageConfig, StageConfigError } from '../../lib/config.ts';
import { WEBHOOK_SECRET_HEADER, webhookEventPattern, webhookResourceName, webhookTarget } from '../../definitions/webhooks.ts';
import { arrayAt, at, objectAt, resourcesOfType, roleStatements, synthPinrelay, type Props, type Synthesized } from './support.ts';

/**
 * Static subscriptions (stage config `webhooks.subscriptions`, lib/constructs/static-webhooks.ts): the
 * resources a runtime subscription gets, as the runtime adapter (lambdas/adapters/eventbridge-webhooks.ts)
 * would make them, plus a generated secret whose ARN is a stack output.
 */

const TENANT_A = 'ten_0123456789abcdef';
const TENANT_B = 'ten_zyxwvtsrqpnmkhgf';
const PREFIX = 'pinrelay-qa-wh-';
const SUBSCRIPTIONS = [
  {
    name: 'crm-sync',
    tenantId: TENANT_A,
    url: 'https://Hooks.Example.com/crm?team=7',
    events: ['job.succeeded', 'job.failed'],
    description: 'CRM sync',
  },
  { name: 'erp', tenantId: TENANT_B, url: 'https://erp.example.com/in', events: ['job.failed'] },
];
/** The normalised URLs (what EventBridge calls; the runtime create normalises the same way). */
const URLS: Record<string, string> = { 'crm-sync': 'https://hooks.example.com/crm?team=7', erp: 'https://erp.example.com/in' };

let qa: Synthesized;
let dev: Synthesized;
beforeAll(() => {
  qa = synthPinrelay({
    stage: 'qa',
    stages: { qa: { webhooks: { invocationRateLimitPerSecond: 25, subscriptions: SUBSCRIPTIONS } } },
    nag: true,
  });
  dev = synthPinrelay({ stage: 'dev' });
});

type Built = IConstruct;
/** The L2's CloudFormation resource (`Resource`, or `Connection` / `ApiDestination` for those L2s). */
const cfnOf = (construct: Built) => construct.node.defaultChild ?? construct.node.children.find((c) => CfnResource.isCfnResource(c));
const logicalId = (construct: Built) => qa.stateful.getLogicalId(cfnOf(construct) as CfnElement);
const ref = (construct: Built) => ({ Ref: logicalId(construct) });
const arnOf = (construct: Built) => ({ 'Fn::GetAtt': [logicalId(construct), 'Arn'] });
const subscription = (name: string) => qa.stateful.staticWebhooks.subscriptions.find((s) => s.config.name === name)!;
const propsOf = (type: string, construct: Built) =>
  resourcesOfType(qa.statefulTemplate, type).find((r) => r.id === logicalId(construct))!.props;

describe('a stage with two static subscriptions', () => {
  it('one secret, connection, API destination and rule per subscription, named <prefix>whs_<name>; nothing in a stage without them', () => {
    for (const [type, count] of [
      ['AWS::Events::Connection', 2],
      ['AWS::Events::ApiDestination', 2],
      ['AWS::Events::Rule', 2],
      // + the Pinterest app credentials
      ['AWS::SecretsManager::Secret', 3],
    ] as const) {
      qa.statefulTemplate.resourceCountIs(type, count);
    }
    for (const type of ['AWS::Events::Connection', 'AWS::Events::ApiDestination', 'AWS::Events::Rule'])
      dev.statefulTemplate.resourceCountIs(type, 0);
    dev.statefulTemplate.resourceCountIs('AWS::SecretsManager::Secret', 1);

    expect(qa.stateful.staticWebhooks.subscriptions.map((s) => [s.webhookId, s.resourceName])).toEqual([
      ['whs_crm-sync', `${PREFIX}whs_crm-sync`],
      ['whs_erp', `${PREFIX}whs_erp`],
    ]);
    for (const s of qa.stateful.staticWebhooks.subscriptions) {
      expect(propsOf('AWS::Events::Connection', s.connection).Name).toBe(s.resourceName);
      expect(propsOf('AWS::Events::ApiDestination', s.apiDestination).Name).toBe(s.resourceName);
      expect(propsOf('AWS::Events::Rule', s.rule).Name).toBe(s.resourceName);
    }
  });

  it('the secret: generated, encrypted with the account-secrets key, never a literal; the connection reads it from Secrets Manager', () => {
    const key = arnOf(qa.stateful.accountSecrets.key);
    for (const name of ['crm-sync', 'erp']) {
      const s = subscription(name);
      const secret = propsOf('AWS::SecretsManager::Secret', s.secret);
      expect(secret).toMatchObject({
        GenerateSecretString: { ExcludePunctuation: true, IncludeSpace: false, PasswordLength: 48 },
        KmsKeyId: key,
      });
      expect(secret).not.toHaveProperty('SecretString');

      const connection = propsOf('AWS::Events::Connection', s.connection);
      expect(connection).toEqual({
        Name: s.resourceName,
        Description: `pinrelay webhook ${s.webhookId}`,
        AuthorizationType: 'API_KEY',
        AuthParameters: {
          ApiKeyAuthParameters: {
            ApiKeyName: WEBHOOK_SECRET_HEADER,
            // A CloudFormation dynamic reference to this subscription's secret, resolved at deploy time.
            ApiKeyValue: { 'Fn::Join': ['', ['{{resolve:secretsmanager:', ref(s.secret), ':SecretString:::}}']] },
          },
        },
      });
    }
    // No secret value anywhere in the template.
    expect(JSON.stringify(qa.statefulTemplate.toJSON())).not.toMatch(/"SecretString"|whsec_/);
  });

  it('API destination: the normalised URL, POST, webhooks.invocationRateLimitPerSecond, its own connection', () => {
    for (const name of ['crm-sync', 'erp']) {
      const s = subscription(name);
      expect(propsOf('AWS::Events::ApiDestination', s.apiDestination)).toEqual({
        Name: s.resourceName,
        Description: `pinrelay webhook ${s.webhookId}`,
        ConnectionArn: arnOf(s.connection),
        InvocationEndpoint: URLS[name],
        HttpMethod: 'POST',
        InvocationRateLimitPerSecond: 25,
      });
    }
  });

  it('rule: on the pinrelay bus, the shared pattern (the tenant, the chosen events, or events addressed to whs_<name>)', () => {
    for (const config of SUBSCRIPTIONS) {
      const s = subscription(config.name);
      const rule = propsOf('AWS::Events::Rule', s.rule);
      expect(rule).toMatchObject({ Name: s.resourceName, State: 'ENABLED', EventBusName: ref(qa.stateful.eventBus) });
      expect(rule.EventPattern).toEqual(
        webhookEventPattern({ tenantId: config.tenantId, webhookId: s.webhookId, events: config.events as never }),
      );
      expect(at(rule.EventPattern, '$or', 1)).toEqual({ detail: { webhook_id: [`whs_${config.name}`] } });
      expect(rule.Targets).toHaveLength(1);
    }
  });

  it('target: exactly webhookTarget() — id, role, headers, input transformer, retry policy 185 / 86400, DLQ', () => {
    for (const name of ['crm-sync', 'erp']) {
      const s = subscription(name);
      const [target] = arrayAt(propsOf('AWS::Events::Rule', s.rule), 'Targets');
      expect(target).toEqual(
        webhookTarget({
          apiDestinationArn: arnOf(s.apiDestination) as never,
          roleArn: arnOf(qa.stateful.webhooks.targetRole) as never,
          deadLetterQueueArn: arnOf(qa.stateful.webhooks.deadLetterQueue) as never,
        }),
      );
      expect(at(target, 'RetryPolicy')).toEqual({ MaximumRetryAttempts: 185, MaximumEventAgeInSeconds: 86_400 });
    }
  });

  describe('identical to what the runtime adapter sends for a subscription', () => {
    const eb = mockClient(EventBridgeClient);
    afterAll(() => eb.restore());

    /** Runs the adapter's create calls against a mocked client; stand-in ARNs are swapped for the template's references. */
    async function runtimeCalls(name: string) {
      const s = subscription(name);
      const config = SUBSCRIPTIONS.find((c) => c.name === name)!;
      eb.reset();
      eb.on(CreateConnectionCommand).resolves({ ConnectionArn: 'CONNECTION_ARN' });
      eb.on(CreateApiDestinationCommand).resolves({ ApiDestinationArn: 'API_DESTINATION_ARN' });
      eb.on(PutRuleCommand).resolves({ RuleArn: 'RULE_ARN' });
      eb.on(PutTargetsCommand).resolves({ FailedEntryCount: 0, FailedEntries: [] });
      const provisioner = new EventBridgeWebhookProvisioner(new EventBridgeClient({ region: 'eu-west-1' }), {
        eventBusName: 'EVENT_BUS',
        namePrefix: PREFIX,
        targetRoleArn: 'TARGET_ROLE_ARN',
        deadLetterQueueArn: 'DLQ_ARN',
        invocationRateLimitPerSecond: 25,
      });
      await provisioner.createConnection(s.webhookId, 'SECRET');
      await provisioner.createApiDestination(s.webhookId, 'CONNECTION_ARN', URLS[name]!);
      await provisioner.putRule(s.webhookId, config.tenantId, config.events as never);
      await provisioner.putTarget(s.webhookId, 'API_DESTINATION_ARN');
      const swap: Record<string, unknown> = {
        CONNECTION_ARN: arnOf(s.connection),
        API_DESTINATION_ARN: arnOf(s.apiDestination),
        TARGET_ROLE_ARN: arnOf(qa.stateful.webhooks.targetRole),
        DLQ_ARN: arnOf(qa.stateful.webhooks.deadLetterQueue),
        EVENT_BUS: ref(qa.stateful.eventBus),
      };
      const swapped = (value: unknown): unknown =>
        typeof value === 'string' && value in swap
          ? swap[value]
          : Array.isArray(value)
            ? value.map(swapped)
            : value && typeof value === 'object'
              ? Object.fromEntries(Object.entries(value).map(([k, v]) => [k, swapped(v)]))
              : value;
      const input = (command: Parameters<typeof eb.commandCalls>[0]) => swapped(eb.commandCalls(command)[0]!.args[0].input) as Props;
      return {
        connection: input(CreateConnectionCommand),
        apiDestination: input(CreateApiDestinationCommand),
        rule: input(PutRuleCommand),
        target: input(PutTargetsCommand),
      };
    }

    it.each(['crm-sync', 'erp'])('%s', async (name) => {
      const s = subscription(name);
      const sent = await runtimeCalls(name);
      const connection = propsOf('AWS::Events::Connection', s.connection);
      const { ApiKeyValue: _runtimeSecret, ...runtimeKey } = objectAt(sent.connection, 'AuthParameters', 'ApiKeyAuthParameters');
      const { ApiKeyValue: _staticSecret, ...staticKey } = objectAt(connection, 'AuthParameters', 'ApiKeyAuthParameters');
      expect({ ...connection, AuthParameters: { ApiKeyAuthParameters: staticKey } }).toEqual({
        ...sent.connection,
        AuthParameters: { ApiKeyAuthParameters: runtimeKey },
      });
      expect(propsOf('AWS::Events::ApiDestination', s.apiDestination)).toEqual(sent.apiDestination);
      const { Targets, Tags: _tags, ...rule } = propsOf('AWS::Events::Rule', s.rule);
      expect({ ...rule, EventPattern: JSON.stringify(rule.EventPattern) }).toEqual(sent.rule);
      expect(Targets).toEqual(sent.target.Targets);
      expect(sent.target).toMatchObject({ Rule: s.resourceName, EventBusName: ref(qa.stateful.eventBus) });
    });
  });

  it("shares the runtime subscriptions' DLQ policy and target role unchanged (the prefix grants cover them)", () => {
    const policies = (s: Synthesized) =>
      resourcesOfType(s.statefulTemplate, 'AWS::SQS::QueuePolicy').map((p) =>
        JSON.stringify(p.props.PolicyDocument).replaceAll('pinrelay-dev-wh-', PREFIX),
      );
    expect(policies(qa)).toEqual(policies(dev));
    const roleId = logicalId(qa.stateful.webhooks.targetRole);
    const statements = roleStatements(qa.statefulTemplate, roleId);
    expect(statements).toEqual([
      {
        Effect: 'Allow',
        Action: 'events:InvokeApiDestination',
        Resource: {
          'Fn::Join': [
            '',
            [
              'arn:',
              { Ref: 'AWS::Partition' },
              ':events:',
              { Ref: 'AWS::Region' },
              ':',
              { Ref: 'AWS::AccountId' },
              `:api-destination/${PREFIX}*`,
            ],
          ],
        },
      },
    ]);
  });

  it("outputs: each secret's ARN (for get-secret-value) and the webhook name prefix", () => {
    const outputs = qa.statefulTemplate.toJSON().Outputs as Record<string, { Description: string; Value: unknown }>;
    expect(outputs.StaticWebhookCrmSyncSecretArn).toEqual({
      Description: `Static webhook whs_crm-sync (CRM sync): its ${WEBHOOK_SECRET_HEADER} value (aws secretsmanager get-secret-value --secret-id <this ARN>)`,
      Value: ref(subscription('crm-sync').secret),
    });
    expect(outputs.StaticWebhookErpSecretArn).toMatchObject({ Value: ref(subscription('erp').secret) });
    expect(outputs.WebhookNamePrefix).toMatchObject({ Value: PREFIX });
    expect(Object.keys(outputs).filter((k) => k.startsWith('StaticWebhook'))).toHaveLength(2);
  });

  it("cdk-nag: no unacknowledged finding; the secrets' rotation finding is acknowledged with a reason; no CDK warnings", () => {
    const findings = new AwsSolutionsChecks(undefined, { verbose: true }).validateScope(qa.stateful).violations;
    expect(findings.map((f) => `${f.ruleName}: ${f.violatingResources.map((r) => r.constructPath).join(', ')}`)).toEqual([]);
    const acknowledged = qa.stateful.staticWebhooks.subscriptions.map((s) =>
      s.secret.node.metadata
        .filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
        .flatMap((m) => Object.keys(m.data as object).map((k) => k.replace(/^annotation::/i, ''))),
    );
    expect(acknowledged).toEqual([['AwsSolutions-SMG4'], ['AwsSolutions-SMG4']]);
    // Synthesizing with the plugin registered (as bin/app.ts does) passes, without warnings.
    const messages = qa.app.synth().getStackArtifact(qa.stateful.artifactId).messages;
    expect(messages.filter((m) => m.level !== 'info').map((m) => `${m.level} ${m.id}: ${String(m.entry.data)}`)).toEqual([]);
  });
});

it('the example in docs/deploy.md is a valid stage', () => {
  const page = readFileSync(new URL('../../docs/deploy.md', import.meta.url), 'utf8');
  const section = page.split('## Static webhook subscriptions')[1]!;
  const example = /```json\n([\s\S]*?)\n```/.exec(section)![1]!;
  const { settings } = parseStageConfig('prod', JSON.parse(`{${example}}`));
  expect(settings.webhooks.subscriptions?.map((s) => s.name)).toEqual(['crm-sync', 'erp']);
});

describe('an invalid static subscription fails the synth with its path', () => {
  const base = SUBSCRIPTIONS[1]!;
  const synth = (subscriptions: unknown[]) => () => synthPinrelay({ stage: 'qa', stages: { qa: { webhooks: { subscriptions } } } });

  it.each([
    ['an http:// URL', [{ ...base, url: 'http://erp.example.com/in' }], 'webhooks.subscriptions.0.url: must use https://'],
    [
      'the metadata IP',
      [{ ...base, url: 'https://169.254.169.254/latest/meta-data/' }],
      'webhooks.subscriptions.0.url: must not point to a cloud metadata endpoint (169.254.169.254/32)',
    ],
    [
      'the metadata IP in decimal',
      [{ ...base, url: 'https://2852039166/' }],
      'webhooks.subscriptions.0.url: must not point to a cloud metadata endpoint',
    ],
    [
      'a private IP',
      [{ ...base, url: 'https://10.1.2.3/hook' }],
      'webhooks.subscriptions.0.url: must not point to a private address (10.0.0.0/8)',
    ],
    [
      'loopback',
      [{ ...base, url: 'https://127.0.0.1/hook' }],
      'webhooks.subscriptions.0.url: must not point to a loopback address (127.0.0.0/8)',
    ],
    ['an unknown event', [{ ...base, events: ['job.failed', 'job.exploded'] }], 'webhooks.subscriptions.0.events.1: Invalid option'],
    ['no events', [{ ...base, events: [] }], 'webhooks.subscriptions.0.events: at least one job event'],
    ['a repeated event', [{ ...base, events: ['job.failed', 'job.failed'] }], 'webhooks.subscriptions.0.events: each event at most once'],
    [
      'a duplicate name',
      [base, { ...SUBSCRIPTIONS[0], name: 'erp' }],
      'webhooks.subscriptions.1.name: duplicate name "erp" (also subscription 0)',
    ],
    [
      'names that share an output name',
      [
        { ...base, name: 'a1b' },
        { ...base, name: 'a-1b' },
      ],
      'webhooks.subscriptions.1.name: "a-1b" and "a1b" would share the stack output name A1b',
    ],
    ['a name that is no construct id', [{ ...base, name: 'ERP_Sync' }], 'webhooks.subscriptions.0.name: lower-case letters and digits'],
    ['a name too long for EventBridge', [{ ...base, name: 'a'.repeat(28) }], 'webhooks.subscriptions.0.name: at most 27 characters'],
    [
      'a tenant id of the wrong shape',
      [{ ...base, tenantId: 'acme' }],
      'webhooks.subscriptions.0.tenantId: a tenant id as create-tenant prints it',
    ],
    ['an unknown field', [{ ...base, secret: 'whsec_x' }], 'webhooks.subscriptions.0: Unrecognized key: "secret"'],
  ])('%s', (_what, subscriptions, message) => {
    expect(synth(subscriptions)).toThrow(StageConfigError);
    expect(synth(subscriptions)).toThrow(`pinrelay:stages.qa.${message}`);
  });

  it("the longest name fits EventBridge's 64 characters under the longest stage", () => {
    const stage = 'a'.repeat(20);
    const name = 'b'.repeat(27);
    const s = synthPinrelay({ stage, stages: { [stage]: { webhooks: { subscriptions: [{ ...base, name }] } } } });
    expect(s.stateful.staticWebhooks.subscriptions[0]!.resourceName).toBe(webhookResourceName(`pinrelay-${stage}-wh-`, `whs_${name}`));
    expect(s.stateful.staticWebhooks.subscriptions[0]!.resourceName).toHaveLength(64);
  });
});
