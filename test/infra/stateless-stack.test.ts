import { Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { PUBLISH_QUEUE_VISIBILITY_FACTOR } from '../../lib/constructs/publish-worker.ts';
import { DEFAULT_ENVIRONMENT } from '../../lib/constructs/service-function.ts';
import { ENV_FOR_ACCESS, ENV_FOR_EVERY_FUNCTION, FUNCTIONS, type FunctionDefinition } from '../../definitions/functions.ts';
import { GATEWAY_RESPONSES, gatewayResponseBody } from '../../definitions/gateway-responses.ts';
import { matchesLeadingKey } from '../../definitions/item-access.ts';
import { metricsNamespace } from '../../definitions/metrics.ts';
import { WORKER_TIMEOUT_SECONDS } from '../../definitions/queues.ts';
import { constructIdFor } from '../../lib/stacks/stateless-stack.ts';
import { resourcesOfType, synthPinrelay, type Synthesized } from './support.ts';

const DEFINITIONS = FUNCTIONS as readonly FunctionDefinition[];
const API_ROUTES = DEFINITIONS.flatMap((def) =>
  def.trigger.kind === 'api' ? def.trigger.routes.map((route) => ({ def, route })) : [],
);
const READ_ACTIONS = [
  'dynamodb:BatchGetItem',
  'dynamodb:ConditionCheckItem',
  'dynamodb:DescribeTable',
  'dynamodb:GetItem',
  'dynamodb:Query',
  'dynamodb:Scan',
];
const WRITE_ACTIONS = ['dynamodb:BatchWriteItem', 'dynamodb:DeleteItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'];

describe('StatelessStack', () => {
  let dev: Synthesized;
  let custom: Synthesized;

  beforeAll(() => {
    dev = synthPinrelay({ stage: 'dev' });
    custom = synthPinrelay({
      stage: 'qa',
      stages: {
        qa: {
          authorizerCacheSeconds: 0,
          apiThrottle: { rateLimit: 7, burstLimit: 3 },
          logRetentionDays: 14,
          pinterestTimeoutMs: 4000,
          workerMaxConcurrency: 20,
          pacing: { accountPerMinute: 6, appPerSecond: 2 },
          retry: { baseSeconds: 3, maxAttempts: 7 },
        },
      },
    });
  });

  it('is named Pinrelay-<stage>-Stateless', () => {
    expect(dev.stateless.stackName).toBe('Pinrelay-dev-Stateless');
    expect(custom.stateless.stackName).toBe('Pinrelay-qa-Stateless');
  });

  describe('functions', () => {
    it('one Lambda function per FUNCTIONS entry', () => {
      dev.statelessTemplate.resourceCountIs('AWS::Lambda::Function', DEFINITIONS.length);
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
        const variables = functionProps(dev, def).Environment.Variables as Record<string, unknown>;
        const expected = new Set([...Object.keys(DEFAULT_ENVIRONMENT), ...ENV_FOR_EVERY_FUNCTION, ...def.access.flatMap((a) => ENV_FOR_ACCESS[a])]);
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

    it('table grants name the table and each of its indexes, never index/*', () => {
      const listJobs = JSON.stringify(policyStatements(dev, DEFINITIONS.find((d) => d.name === 'list-jobs')!));
      for (const index of ['by_tenant', 'by_status', 'by_account', 'by_account_status', 'by_pending_enqueue']) {
        expect(listJobs).toContain(`/index/${index}"`);
      }
      expect(listJobs).not.toContain('index/*');
      expect(listJobs).not.toMatch(/TenantsTable/);
    });

    it('put-account: secrets under the stage prefix only, the key only through Secrets Manager', () => {
      const statements = policyStatements(dev, DEFINITIONS.find((d) => d.name === 'put-account')!);
      expect(statements).toContainEqual({
        Effect: 'Allow',
        Action: [
          'secretsmanager:CreateSecret',
          'secretsmanager:DescribeSecret',
          'secretsmanager:PutSecretValue',
          'secretsmanager:TagResource',
        ],
        Resource: {
          'Fn::Sub': 'arn:${AWS::Partition}:secretsmanager:${AWS::Region}:${AWS::AccountId}:secret:pinrelay/dev/accounts/*',
        },
      });
      const kms = statements.find((s) => JSON.stringify(s.Action).includes('kms:'));
      expect(kms).toMatchObject({
        Action: ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey'],
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

  describe('REST API', () => {
    it('is a single regional REST API with CloudFormation-generated names', () => {
      dev.statelessTemplate.resourceCountIs('AWS::ApiGateway::RestApi', 1);
      dev.statelessTemplate.hasResourceProperties('AWS::ApiGateway::RestApi', {
        EndpointConfiguration: { Types: ['REGIONAL'] },
      });
    });

    it('has a REQUEST authorizer backed by authorize-request, on the Authorization header, cached 60 s', () => {
      dev.statelessTemplate.resourceCountIs('AWS::ApiGateway::Authorizer', 1);
      const [authorizer] = resourcesOfType(dev.statelessTemplate, 'AWS::ApiGateway::Authorizer');
      expect(authorizer?.props).toMatchObject({
        Type: 'REQUEST',
        IdentitySource: 'method.request.header.Authorization',
        AuthorizerResultTtlInSeconds: 60,
      });
      expect(JSON.stringify(authorizer?.props.AuthorizerUri)).toContain(functionLogicalId(dev, 'authorize-request'));
    });

    it('authorizerCacheSeconds: 0 disables the authorizer cache', () => {
      custom.statelessTemplate.hasResourceProperties('AWS::ApiGateway::Authorizer', { AuthorizerResultTtlInSeconds: 0 });
    });

    it('has exactly one method per FUNCTIONS api route', () => {
      dev.statelessTemplate.resourceCountIs('AWS::ApiGateway::Method', API_ROUTES.length);
    });

    it.each(API_ROUTES.map(({ def, route }) => [`${route.method} ${route.path}`, def, route] as const))(
      '%s: Lambda proxy to its function, authorizer as the definition says',
      (_key, def, route) => {
        const method = methodFor(dev, route.method, route.path);
        expect(method, `no method for ${route.method} ${route.path}`).toBeDefined();
        expect(method!.props.Integration).toMatchObject({ Type: 'AWS_PROXY', IntegrationHttpMethod: 'POST' });
        expect(JSON.stringify(method!.props.Integration.Uri)).toContain(functionLogicalId(dev, def.name));
        if (route.authorized) {
          expect(method!.props.AuthorizationType).toBe('CUSTOM');
          expect(method!.props.AuthorizerId).toEqual({ Ref: resourcesOfType(dev.statelessTemplate, 'AWS::ApiGateway::Authorizer')[0]!.id });
        } else {
          expect(method!.props.AuthorizationType).toBe('NONE');
          expect(method!.props).not.toHaveProperty('AuthorizerId');
        }
      },
    );

    it('lets API Gateway (not the test console) invoke each API function, scoped to its method', () => {
      const permissions = resourcesOfType(dev.statelessTemplate, 'AWS::Lambda::Permission').filter(
        (p) => p.props.Principal === 'apigateway.amazonaws.com',
      );
      // one per route + one for the authorizer; no test-invoke permissions
      expect(permissions).toHaveLength(API_ROUTES.length + 1);
      expect(JSON.stringify(permissions)).not.toContain('test-invoke-stage');
    });

    it.each(GATEWAY_RESPONSES.map((r) => [r.type, r] as const))(
      'gateway response %s renders the error envelope as JSON',
      (type, def) => {
        dev.statelessTemplate.hasResourceProperties('AWS::ApiGateway::GatewayResponse', {
          ResponseType: type,
          StatusCode: 'statusCode' in def ? String(def.statusCode) : Match.absent(),
          ResponseParameters: Match.objectLike({ 'gatewayresponse.header.Content-Type': "'application/json'" }),
          ResponseTemplates: { 'application/json': gatewayResponseBody(def) },
        });
        expect(JSON.parse(gatewayResponseBody(def))).toEqual({ error: { code: def.code, message: def.message } });
      },
    );

    it('maps the API Gateway errors to the public error codes', () => {
      const byType = Object.fromEntries(GATEWAY_RESPONSES.map((r) => [r.type, r]));
      expect(byType.UNAUTHORIZED).toMatchObject({ statusCode: 401, code: 'unauthorized' });
      expect(byType.ACCESS_DENIED).toMatchObject({ statusCode: 401, code: 'unauthorized' });
      expect(byType.MISSING_AUTHENTICATION_TOKEN).toMatchObject({ statusCode: 404, code: 'not_found' });
      expect(byType.REQUEST_TOO_LARGE).toMatchObject({ statusCode: 413, code: 'payload_too_large' });
      expect(byType.THROTTLED).toMatchObject({ statusCode: 429, code: 'rate_limited' });
      expect(byType.DEFAULT_4XX).toMatchObject({ code: 'validation_error' });
      expect(byType.DEFAULT_5XX).toMatchObject({ statusCode: 500, code: 'internal' });
      dev.statelessTemplate.resourceCountIs('AWS::ApiGateway::GatewayResponse', GATEWAY_RESPONSES.length);
    });

    it('stage: named after the pinrelay stage, X-Ray, ERROR execution logs without data trace, throttled', () => {
      dev.statelessTemplate.hasResourceProperties('AWS::ApiGateway::Stage', {
        StageName: 'dev',
        TracingEnabled: true,
        MethodSettings: [
          Match.objectLike({
            HttpMethod: '*',
            ResourcePath: '/*',
            LoggingLevel: 'ERROR',
            DataTraceEnabled: false,
            ThrottlingRateLimit: 50,
            ThrottlingBurstLimit: 100,
          }),
        ],
      });
      custom.statelessTemplate.hasResourceProperties('AWS::ApiGateway::Stage', {
        StageName: 'qa',
        MethodSettings: [Match.objectLike({ ThrottlingRateLimit: 7, ThrottlingBurstLimit: 3 })],
      });
    });

    it('stage: JSON access log to its own log group', () => {
      const [stage] = resourcesOfType(dev.statelessTemplate, 'AWS::ApiGateway::Stage');
      const setting = stage!.props.AccessLogSetting as { DestinationArn: unknown; Format: string };
      expect(JSON.stringify(setting.DestinationArn)).toContain(logicalId(dev, dev.stateless.publicApi.accessLogGroup));
      const format = JSON.parse(setting.Format) as Record<string, string>;
      expect(format).toMatchObject({
        requestId: '$context.requestId',
        status: '$context.status',
        resourcePath: '$context.resourcePath',
        errorType: '$context.error.responseType',
        authorizerError: '$context.authorizer.error',
        tenantId: '$context.authorizer.tenant_id',
      });
    });

    it('sets up the account-level CloudWatch role API Gateway needs for stage logging, retained', () => {
      dev.statelessTemplate.resourceCountIs('AWS::ApiGateway::Account', 1);
      const roles = resourcesOfType(dev.statelessTemplate, 'AWS::IAM::Role').filter((r) =>
        JSON.stringify(r.props.AssumeRolePolicyDocument).includes('apigateway.amazonaws.com'),
      );
      expect(roles).toHaveLength(1);
      dev.statelessTemplate.hasResource('AWS::IAM::Role', {
        Properties: Match.objectLike({ ManagedPolicyArns: [Match.anyValue()] }),
        DeletionPolicy: 'Retain',
      });
    });

    it('outputs the API URL', () => {
      dev.statelessTemplate.hasOutput('ApiUrl', { Value: Match.anyValue() });
      expect(JSON.stringify(dev.statelessTemplate.toJSON().Outputs.ApiUrl.Value)).toContain('execute-api');
    });
  });

  describe('job outbox', () => {
    it('relay-outbox consumes the jobs table stream in order, with partial failures, bisect, retries and a DLQ', () => {
      const mapping = mappingOf(dev, 'relay-outbox');
      expect(mapping?.props).toMatchObject({
        FunctionName: { Ref: functionLogicalId(dev, 'relay-outbox') },
        StartingPosition: 'TRIM_HORIZON',
        BatchSize: 100,
        BisectBatchOnFunctionError: true,
        FunctionResponseTypes: ['ReportBatchItemFailures'],
        MaximumRetryAttempts: 10,
        MaximumRecordAgeInSeconds: 24 * 3600,
        ParallelizationFactor: 1,
      });
      expect(JSON.stringify(mapping?.props.EventSourceArn)).toMatch(/TablesJobsTable.*StreamArn/);
      expect(JSON.stringify(mapping?.props.DestinationConfig.OnFailure.Destination)).toMatch(/QueuesOutboxDeadLetterQueue.*Arn/);
    });

    it('the relay may read the stream and send to the outbox DLQ', () => {
      const actions = allActions(dev, 'relay-outbox');
      expect(actions).toEqual(
        expect.arrayContaining(['dynamodb:DescribeStream', 'dynamodb:GetRecords', 'dynamodb:GetShardIterator', 'dynamodb:ListStreams']),
      );
      const sends = JSON.stringify(policyStatements(dev, byName('relay-outbox')));
      expect(sends).toMatch(/QueuesOutboxDeadLetterQueue/);
    });

    it('sweep-outbox runs on a schedule at the definition\'s rate', () => {
      const sweep = byName('sweep-outbox');
      const every = sweep.trigger.kind === 'schedule' ? sweep.trigger.everyMinutes : NaN;
      dev.statelessTemplate.resourceCountIs('AWS::Events::Rule', 2); // the sweeper's and the reconciler's
      dev.statelessTemplate.hasResourceProperties('AWS::Events::Rule', {
        ScheduleExpression: every === 1 ? 'rate(1 minute)' : `rate(${every} minutes)`,
        State: 'ENABLED',
        Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [functionLogicalId(dev, 'sweep-outbox'), 'Arn'] } })],
      });
      dev.statelessTemplate.hasResourceProperties('AWS::Lambda::Permission', {
        Principal: 'events.amazonaws.com',
        FunctionName: { 'Fn::GetAtt': [functionLogicalId(dev, 'sweep-outbox'), 'Arn'] },
      });
    });
  });

  describe('publish worker and delayed requeue', () => {
    it('one event source mapping per stream or queue consumer, nothing else', () => {
      dev.statelessTemplate.resourceCountIs('AWS::Lambda::EventSourceMapping', 5); // record-dead-letters has two (test/infra/stranded-jobs.test.ts)
      for (const name of ['relay-outbox', 'publish-pin', 'release-due-jobs']) mappingOf(dev, name);
    });

    it('publish-pin consumes the FIFO publish queue: batches of 10, partial batch responses, no batching window, no concurrency cap by default', () => {
      const mapping = mappingOf(dev, 'publish-pin');
      expect(mapping.props).toMatchObject({ BatchSize: 10, FunctionResponseTypes: ['ReportBatchItemFailures'] });
      expect(mapping.props).not.toHaveProperty('MaximumBatchingWindowInSeconds');
      expect(mapping.props).not.toHaveProperty('ScalingConfig');
      expect(importedFrom(mapping.props.EventSourceArn)).toMatch(/^Pinrelay-dev-Stateful:ExportsOutputFnGetAttQueuesPublishQueue[0-9A-F]{8}Arn/);
    });

    it('workerMaxConcurrency caps the publish queue mapping', () => {
      expect(mappingOf(custom, 'publish-pin').props).toMatchObject({ ScalingConfig: { MaximumConcurrency: 20 } });
      expect(mappingOf(custom, 'release-due-jobs').props).not.toHaveProperty('ScalingConfig');
    });

    it('release-due-jobs consumes the standard delay queue: batches of 10, partial batch responses, no batching window', () => {
      const mapping = mappingOf(dev, 'release-due-jobs');
      expect(mapping.props).toMatchObject({ BatchSize: 10, FunctionResponseTypes: ['ReportBatchItemFailures'] });
      expect(mapping.props).not.toHaveProperty('MaximumBatchingWindowInSeconds');
      expect(importedFrom(mapping.props.EventSourceArn)).toMatch(/^Pinrelay-dev-Stateful:ExportsOutputFnGetAttQueuesDelayQueue[0-9A-F]{8}Arn/);
    });

    it('visibility: the worker times out at WORKER_TIMEOUT_SECONDS and the publish queue hides a message 6× that; the delay queue covers release-due-jobs', () => {
      const workerTimeout = functionProps(dev, byName('publish-pin')).Timeout as number;
      const requeueTimeout = functionProps(dev, byName('release-due-jobs')).Timeout as number;
      const visibility = (queue: { node: { defaultChild?: unknown } }) =>
        (dev.statefulTemplate.toJSON().Resources[dev.stateful.getLogicalId(queue.node.defaultChild as never)] as {
          Properties: { VisibilityTimeout: number };
        }).Properties.VisibilityTimeout;

      expect(workerTimeout).toBe(WORKER_TIMEOUT_SECONDS);
      expect(visibility(dev.stateful.queues.publishQueue)).toBe(PUBLISH_QUEUE_VISIBILITY_FACTOR * workerTimeout);
      // Lambda refuses an SQS mapping whose queue visibility is shorter than the function timeout.
      expect(visibility(dev.stateful.queues.delayQueue)).toBeGreaterThanOrEqual(requeueTimeout);
    });

    it('publish-pin and release-due-jobs env: Pinterest, pacing and retry settings from the stage config', () => {
      expect(functionVariables(dev, 'publish-pin')).toMatchObject({
        PINTEREST_API_BASE_URL: 'https://api-sandbox.pinterest.com', // cdk.json dev
        PINTEREST_TIMEOUT_MS: '10000',
        PACING_ACCOUNT_PER_MINUTE: '10',
        PACING_APP_PER_SECOND: '10',
        RETRY_BASE_SECONDS: '5',
        RETRY_MAX_ATTEMPTS: '5',
        ACCOUNT_SECRET_PREFIX: 'pinrelay/dev/accounts',
      });
      expect(importedFrom(functionVariables(dev, 'publish-pin').PINTEREST_APP_SECRET_ARN)).toMatch(
        /^Pinrelay-dev-Stateful:ExportsOutputRefPinterestAppCredentialsSecret[0-9A-F]{8}/,
      );
      expect(functionVariables(custom, 'publish-pin')).toMatchObject({
        PINTEREST_API_BASE_URL: 'https://api.pinterest.com', // the default
        PINTEREST_TIMEOUT_MS: '4000',
        PACING_ACCOUNT_PER_MINUTE: '6',
        PACING_APP_PER_SECOND: '2',
        RETRY_BASE_SECONDS: '3',
        RETRY_MAX_ATTEMPTS: '7',
      });
      const requeue = functionVariables(dev, 'release-due-jobs');
      expect(JSON.stringify(requeue.PUBLISH_QUEUE_URL)).toMatch(/ExportsOutputRefQueuesPublishQueue/);
      expect(JSON.stringify(requeue.DELAY_QUEUE_URL)).toMatch(/ExportsOutputRefQueuesDelayQueue/);
    });

    it('publish-pin reads the Pinterest app secret and the account secrets, and writes account secrets (refreshed tokens)', () => {
      const appSecret = /PinterestAppCredentialsSecret/;
      const prefix = JSON.stringify({
        'Fn::Sub': 'arn:${AWS::Partition}:secretsmanager:${AWS::Region}:${AWS::AccountId}:secret:pinrelay/dev/accounts/*',
      });
      const getSecret = resourcesAllowing(dev, 'publish-pin', 'secretsmanager:GetSecretValue');
      expect(getSecret.filter((r) => appSecret.test(r))).toHaveLength(1);
      expect(getSecret).toContain(prefix);
      expect(getSecret).toHaveLength(2);
      expect(resourcesAllowing(dev, 'publish-pin', 'secretsmanager:PutSecretValue')).toEqual([prefix]);
      // It stores refreshed tokens in existing secrets only: no creating or tagging secrets (secrets:rotate).
      for (const action of ['secretsmanager:CreateSecret', 'secretsmanager:TagResource']) {
        expect(resourcesAllowing(dev, 'publish-pin', action)).toEqual([]);
      }
      // The app secret is read-only for the worker.
      for (const action of ['secretsmanager:PutSecretValue', 'secretsmanager:UpdateSecret', 'secretsmanager:DescribeSecret']) {
        expect(resourcesAllowing(dev, 'publish-pin', action).filter((r) => appSecret.test(r))).toEqual([]);
      }
      const kms = policyStatements(dev, byName('publish-pin')).filter((st) => JSON.stringify(st.Action).includes('kms:Decrypt'));
      expect(kms.length).toBeGreaterThan(0);
      for (const st of kms) {
        expect(JSON.stringify(st.Resource)).toMatch(/AccountSecretsKey.*Arn/);
        expect(st.Condition).toEqual({
          StringEquals: { 'kms:ViaService': { 'Fn::Join': ['', ['secretsmanager.', { Ref: 'AWS::Region' }, '.amazonaws.com']] } },
        });
      }
    });

    it('only publish-pin may read the Pinterest app secret', () => {
      for (const def of DEFINITIONS.filter((d) => d.name !== 'publish-pin')) {
        expect(JSON.stringify(policyStatements(dev, def))).not.toMatch(/PinterestAppCredentialsSecret/);
      }
    });

    it('publish-pin sends only to the delay queue and consumes only the publish queue', () => {
      const sends = resourcesAllowing(dev, 'publish-pin', 'sqs:SendMessage');
      expect(sends).toHaveLength(1);
      expect(sends[0]).toMatch(/QueuesDelayQueue[0-9A-F]{8}Arn/);
      const receives = resourcesAllowing(dev, 'publish-pin', 'sqs:ReceiveMessage');
      expect(receives).toHaveLength(1);
      expect(receives[0]).toMatch(/QueuesPublishQueue[0-9A-F]{8}Arn/);
      expect(resourcesAllowing(dev, 'publish-pin', 'sqs:DeleteMessage')).toEqual(receives);
    });

    it('publish-pin reads and writes the jobs table (and its indexes)', () => {
      expect(dynamoActions(dev, 'publish-pin')).toEqual([...READ_ACTIONS, ...WRITE_ACTIONS].sort());
      for (const action of ['dynamodb:GetItem', 'dynamodb:UpdateItem', 'dynamodb:PutItem']) {
        const tables = resourcesAllowing(dev, 'publish-pin', action);
        expect(tables.some((r) => /TablesJobsTable/.test(r) && !r.includes('/index/'))).toBe(true);
      }
    });

    it('publish-pin on the tenants table: account records (read, status update) and pacing buckets only, by partition key', () => {
      const tenantsArn = { 'Fn::ImportValue': expect.stringMatching(/^Pinrelay-dev-Stateful:ExportsOutputFnGetAttTablesTenantsTable[0-9A-F]{8}Arn/) };
      const onTenants = policyStatements(dev, byName('publish-pin')).filter((st) => /TablesTenantsTable/.test(JSON.stringify(st.Resource)));
      const byKeys = (patterns: string[]) => ({ 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': patterns }, Null: { 'dynamodb:LeadingKeys': 'false' } });
      expect(onTenants).toEqual([
        { Effect: 'Allow', Action: 'dynamodb:GetItem', Resource: tenantsArn, Condition: byKeys(['TENANT#*']) },
        {
          Effect: 'Allow',
          Action: 'dynamodb:UpdateItem',
          Resource: tenantsArn,
          Condition: {
            ...byKeys(['TENANT#*']),
            'ForAllValues:StringEquals': { 'dynamodb:Attributes': ['pk', 'sk', 'connection_status', 'updated_at', 'connection_id'] },
          },
        },
        { Effect: 'Allow', Action: ['dynamodb:GetItem', 'dynamodb:PutItem'], Resource: tenantsArn, Condition: byKeys(['PACING#*']) },
      ]);

      // What that rules out: no API key item at all, no PutItem/DeleteItem of a tenant or an account item.
      const allowed = (action: string, pk: string) =>
        onTenants.some(
          (st) =>
            (Array.isArray(st.Action) ? st.Action : [st.Action]).includes(action) &&
            (st.Condition['ForAllValues:StringLike']['dynamodb:LeadingKeys'] as string[]).some((p) => matchesLeadingKey(p, pk)),
        );
      for (const action of ['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:UpdateItem', 'dynamodb:PutItem', 'dynamodb:DeleteItem']) {
        expect(allowed(action, 'APIKEY#9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08'), action).toBe(false);
      }
      for (const action of ['dynamodb:PutItem', 'dynamodb:DeleteItem', 'dynamodb:BatchWriteItem']) {
        expect(allowed(action, 'TENANT#ten_123'), action).toBe(false);
      }
      expect(allowed('dynamodb:GetItem', 'TENANT#ten_123')).toBe(true);
      expect(allowed('dynamodb:PutItem', 'PACING#ten_123#acme-main')).toBe(true);
      expect(allowed('dynamodb:PutItem', 'PACING#app')).toBe(true);
    });

    it('release-due-jobs sends to both queues, consumes the delay queue, writes jobs, and touches no secret', () => {
      const sends = resourcesAllowing(dev, 'release-due-jobs', 'sqs:SendMessage').join(' ');
      expect(sends).toMatch(/QueuesPublishQueue[0-9A-F]{8}Arn/);
      expect(sends).toMatch(/QueuesDelayQueue[0-9A-F]{8}Arn/);
      const receives = resourcesAllowing(dev, 'release-due-jobs', 'sqs:ReceiveMessage');
      expect(receives).toHaveLength(1);
      expect(receives[0]).toMatch(/QueuesDelayQueue[0-9A-F]{8}Arn/);
      expect(dynamoActions(dev, 'release-due-jobs')).toEqual([...READ_ACTIONS, ...WRITE_ACTIONS].sort());
      expect(allActions(dev, 'release-due-jobs').filter((a) => a.startsWith('secretsmanager:') || a.startsWith('kms:'))).toEqual([]);
    });
  });
});

// ---- helpers over the synthesized template ----

function byName(name: string): FunctionDefinition {
  const def = DEFINITIONS.find((d) => d.name === name);
  if (!def) throw new Error(`no function ${name}`);
  return def;
}

function logicalId(s: Synthesized, construct: { node: { defaultChild?: unknown } }): string {
  return s.stateless.getLogicalId(construct.node.defaultChild as never);
}

function functionLogicalId(s: Synthesized, name: string): string {
  return logicalId(s, s.stateless.functions.get(name as never)!.function);
}

function resourceProps(s: Synthesized, id: string): Record<string, any> {
  return (s.statelessTemplate.toJSON().Resources[id] as { Properties: Record<string, any> }).Properties;
}

function functionProps(s: Synthesized, def: FunctionDefinition): Record<string, any> {
  expect(s.stateless.node.tryFindChild(constructIdFor(def.name))).toBeDefined();
  return resourceProps(s, functionLogicalId(s, def.name));
}

function functionVariables(s: Synthesized, name: string): Record<string, unknown> {
  return functionProps(s, byName(name)).Environment.Variables;
}

function roleProps(s: Synthesized, def: FunctionDefinition): Record<string, any> {
  return resourceProps(s, logicalId(s, s.stateless.functions.get(def.name as never)!.role));
}

function policyStatements(s: Synthesized, def: FunctionDefinition): Array<Record<string, any>> {
  const roleId = logicalId(s, s.stateless.functions.get(def.name as never)!.role);
  return resourcesOfType(s.statelessTemplate, 'AWS::IAM::Policy')
    .filter((p) => JSON.stringify(p.props.Roles) === JSON.stringify([{ Ref: roleId }]))
    .flatMap((p) => p.props.PolicyDocument.Statement as Array<Record<string, any>>);
}

function allActions(s: Synthesized, name: string): string[] {
  return policyStatements(s, byName(name)).flatMap((st) => (Array.isArray(st.Action) ? st.Action : [st.Action]));
}

/** The resources (as JSON) of every statement of `name`'s role that allows `action`. */
function resourcesAllowing(s: Synthesized, name: string, action: string): string[] {
  return policyStatements(s, byName(name))
    .filter((st) => (Array.isArray(st.Action) ? st.Action : [st.Action]).includes(action))
    .flatMap((st) => (Array.isArray(st.Resource) ? st.Resource : [st.Resource]))
    .map((r) => JSON.stringify(r));
}

/** The one event source mapping of a function. */
function mappingOf(s: Synthesized, name: string): { id: string; props: Record<string, any> } {
  const mappings = resourcesOfType(s.statelessTemplate, 'AWS::Lambda::EventSourceMapping').filter(
    (m) => JSON.stringify(m.props.FunctionName) === JSON.stringify({ Ref: functionLogicalId(s, name) }),
  );
  expect(mappings, `event source mappings of ${name}`).toHaveLength(1);
  return mappings[0]!;
}

/** The export name behind a cross-stack reference (`Fn::ImportValue`). */
function importedFrom(value: unknown): string {
  const name = (value as { 'Fn::ImportValue'?: unknown } | undefined)?.['Fn::ImportValue'];
  expect(typeof name, `expected an Fn::ImportValue, got ${JSON.stringify(value)}`).toBe('string');
  return name as string;
}

function dynamoActions(s: Synthesized, name: string): string[] {
  // Item actions only: stream reads belong to the event source.
  const stream = new Set(['dynamodb:ListStreams', 'dynamodb:DescribeStream', 'dynamodb:GetRecords', 'dynamodb:GetShardIterator']);
  return [...new Set(allActions(s, name).filter((a) => a.startsWith('dynamodb:') && !stream.has(a)))].sort();
}

/** The method for `METHOD /path`, resolving each AWS::ApiGateway::Resource's path from its parents. */
function methodFor(s: Synthesized, httpMethod: string, path: string) {
  const resources = Object.fromEntries(
    resourcesOfType(s.statelessTemplate, 'AWS::ApiGateway::Resource').map((r) => [r.id, r.props]),
  );
  const pathOf = (id: string): string => {
    const r = resources[id]!;
    const parent = r.ParentId as { Ref?: string };
    return `${parent.Ref ? pathOf(parent.Ref) : ''}/${r.PathPart}`;
  };
  return resourcesOfType(s.statelessTemplate, 'AWS::ApiGateway::Method').find(
    (m) => m.props.HttpMethod === httpMethod && m.props.ResourceId?.Ref && pathOf(m.props.ResourceId.Ref) === path,
  );
}
