import { beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_ENVIRONMENT } from '../../lib/constructs/service-function.ts';
import { ENV_FOR_ACCESS, ENV_FOR_EVERY_FUNCTION } from '../../definitions/functions.ts';
import { metricsNamespace } from '../../definitions/metrics.ts';
import {
  API_ROUTES,
  DEFINITIONS,
  READ_ACTIONS,
  WRITE_ACTIONS,
  allActions,
  byName,
  dynamoActions,
  functionProps,
  functionVariables,
  logicalId,
  policyStatements,
  roleProps,
  synthStatelessStages,
} from './stateless-support.ts';
import { objectAt, type Synthesized } from './support.ts';

/**
 * The stateless stack's functions (one per FUNCTIONS entry): environment, log groups, roles and the grants
 * their access lists give. The REST API is in public-api.test.ts, the stream and queue consumers in
 * queue-consumers.test.ts.
 */

describe('StatelessStack', () => {
  let dev: Synthesized;
  let custom: Synthesized;

  beforeAll(() => {
    ({ dev, custom } = synthStatelessStages());
  });

  it('is named Pinrelay-<stage>-Stateless', () => {
    expect(dev.stateless.stackName).toBe('Pinrelay-dev-Stateless');
    expect(custom.stateless.stackName).toBe('Pinrelay-qa-Stateless');
  });

  describe('functions', () => {
    it('one Lambda function per FUNCTIONS entry', () => {
      // + the web console's BucketDeployment handler (lib/constructs/web-console.ts), CDK's, not a pinrelay function.
      dev.statelessTemplate.resourceCountIs('AWS::Lambda::Function', DEFINITIONS.length + 1);
      expect([...dev.stateless.functions.keys()]).toEqual(DEFINITIONS.map((d) => d.name));
    });

    it.each(DEFINITIONS.map((d) => [d.name, d] as const))(
      '%s: nodejs22.x on arm64, active tracing, ESM handler, limits from the definition, own log group',
      (_name, def) => {
        const fn = functionProps(dev, def);
        expect(fn).toMatchObject({
          Runtime: 'nodejs22.x',
          Architectures: ['arm64'],
          TracingConfig: { Mode: 'Active' },
          Handler: 'index.handler',
          Timeout: def.timeoutSeconds ?? 10,
          MemorySize: def.memorySize ?? 256,
          Description: def.description,
          LoggingConfig: { LogGroup: { Ref: logicalId(dev, dev.stateless.functions.get(def.name as never)!.logGroup) } },
        });
        expect(fn).not.toHaveProperty('FunctionName');
      },
    );

    it.each(DEFINITIONS.map((d) => [d.name, d] as const))(
      '%s: environment is exactly the defaults + every-function settings + ENV_FOR_ACCESS of its access list',
      (_name, def) => {
        const variables = objectAt(functionProps(dev, def), 'Environment', 'Variables');
        const expected = new Set([
          ...Object.keys(DEFAULT_ENVIRONMENT),
          ...ENV_FOR_EVERY_FUNCTION,
          ...def.access.flatMap((a) => ENV_FOR_ACCESS[a]),
        ]);
        expect(Object.keys(variables).sort()).toEqual([...expected].sort());
        expect(variables).toMatchObject({ ...DEFAULT_ENVIRONMENT, POWERTOOLS_METRICS_NAMESPACE: metricsNamespace('dev') });
      },
    );

    it('wires env values to the stateful resources and the stage settings', () => {
      const putAccount = functionVariables(dev, 'put-account');
      expect(putAccount.ACCOUNT_SECRET_PREFIX).toBe('pinrelay/dev/accounts');
      expect(JSON.stringify(putAccount.ACCOUNT_SECRET_KMS_KEY_ID)).toMatch(/AccountSecretsKey.*Arn/);
      expect(JSON.stringify(putAccount.TENANTS_TABLE_NAME)).toMatch(/ExportsOutputRefTablesTenantsTable/);

      const relay = functionVariables(dev, 'relay-outbox');
      expect(relay.JOB_RETENTION_DAYS).toBe('7'); // cdk.json dev: jobRetentionDays 7
      expect(JSON.stringify(relay.JOBS_TABLE_NAME)).toMatch(/ExportsOutputRefTablesJobsTable/);
      expect(JSON.stringify(relay.PUBLISH_QUEUE_URL)).toMatch(/ExportsOutputRefQueuesPublishQueue/);
      expect(JSON.stringify(relay.DELAY_QUEUE_URL)).toMatch(/ExportsOutputRefQueuesDelayQueue/);
    });

    it('log groups: retention from the stage config, removal policy from the stage config', () => {
      dev.statelessTemplate.allResourcesProperties('AWS::Logs::LogGroup', { RetentionInDays: 7 });
      dev.statelessTemplate.allResources('AWS::Logs::LogGroup', { DeletionPolicy: 'Delete' });
      custom.statelessTemplate.allResourcesProperties('AWS::Logs::LogGroup', { RetentionInDays: 14 });
      custom.statelessTemplate.allResources('AWS::Logs::LogGroup', { DeletionPolicy: 'Retain' });
    });

    it('function roles carry no managed policies (logging is an inline grant on the own log group)', () => {
      for (const def of DEFINITIONS) {
        const role = roleProps(dev, def);
        expect(role).not.toHaveProperty('ManagedPolicyArns');
        const statements = policyStatements(dev, def);
        expect(statements).toContainEqual({
          Effect: 'Allow',
          Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
          Resource: { 'Fn::GetAtt': [logicalId(dev, dev.stateless.functions.get(def.name as never)!.logGroup), 'Arn'] },
        });
      }
    });

    it('grants follow the access list: read-only, read-write, nothing', () => {
      expect(dynamoActions(dev, 'get-job')).toEqual(READ_ACTIONS);
      expect(dynamoActions(dev, 'list-jobs')).toEqual(READ_ACTIONS);
      expect(dynamoActions(dev, 'get-account')).toEqual(READ_ACTIONS);
      expect(dynamoActions(dev, 'authorize-request')).toEqual(READ_ACTIONS);
      expect(dynamoActions(dev, 'cancel-job')).toEqual([...READ_ACTIONS, ...WRITE_ACTIONS].sort());
      expect(dynamoActions(dev, 'get-openapi')).toEqual([]);
      expect(allActions(dev, 'get-openapi').sort()).toEqual([
        'logs:CreateLogStream',
        'logs:PutLogEvents',
        'xray:PutTelemetryRecords',
        'xray:PutTraceSegments',
      ]);
    });

    it('table grants name the table and each index the kind reads, never index/*', () => {
      const listJobs = JSON.stringify(policyStatements(dev, DEFINITIONS.find((d) => d.name === 'list-jobs')!));
      for (const index of ['by_tenant', 'by_status', 'by_account', 'by_account_status']) {
        expect(listJobs).toContain(`/index/${index}"`);
      }
      // The sweep's and the reconciler's indexes are jobs:write's, not the listings'.
      expect(listJobs).not.toContain('/index/by_pending_enqueue"');
      expect(listJobs).not.toContain('/index/by_due"');
      expect(listJobs).not.toContain('index/*');
      expect(listJobs).not.toMatch(/TenantsTable/);
    });

    it('put-account: secrets under the stage prefix only, the key only through Secrets Manager', () => {
      const statements = policyStatements(dev, DEFINITIONS.find((d) => d.name === 'put-account')!);
      expect(statements).toContainEqual({
        Effect: 'Allow',
        Action: ['secretsmanager:CreateSecret', 'secretsmanager:PutSecretValue', 'secretsmanager:TagResource'],
        Resource: {
          // biome-ignore lint/suspicious/noTemplateCurlyInString: a CloudFormation Fn::Sub string; ${...} is its substitution syntax, not a template literal.
          'Fn::Sub': 'arn:${AWS::Partition}:secretsmanager:${AWS::Region}:${AWS::AccountId}:secret:pinrelay/dev/accounts/*',
        },
      });
      const kms = statements.find((s) => JSON.stringify(s.Action).includes('kms:'));
      expect(kms).toMatchObject({
        // Secrets Manager asks KMS for data keys and decrypts; it never calls kms:Encrypt.
        Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
        Condition: {
          StringEquals: { 'kms:ViaService': { 'Fn::Join': ['', ['secretsmanager.', { Ref: 'AWS::Region' }, '.amazonaws.com']] } },
        },
      });
      expect(JSON.stringify(kms?.Resource)).toMatch(/AccountSecretsKey.*Arn/);
    });

    it('outbox functions may send to the publish and delay queues; API functions may not', () => {
      for (const name of ['relay-outbox', 'sweep-outbox']) {
        const sqs = JSON.stringify(policyStatements(dev, byName(name)).filter((s) => JSON.stringify(s.Action).includes('sqs:SendMessage')));
        expect(sqs).toMatch(/QueuesPublishQueue/);
        expect(sqs).toMatch(/QueuesDelayQueue/);
      }
      for (const { def } of API_ROUTES) {
        expect(allActions(dev, def.name)).not.toContain('sqs:SendMessage');
      }
    });
  });
});
