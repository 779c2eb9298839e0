import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import * as path from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { buildSync } from 'esbuild';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as events from 'aws-cdk-lib/aws-events';
import * as sns from 'aws-cdk-lib/aws-sns';
import { beforeAll, describe, expect, it } from 'vitest';
import { AccountSecrets } from '../../lib/constructs/account-secrets.ts';
import { DataTables } from '../../lib/constructs/data-tables.ts';
import { PINTEREST_APP_PLACEHOLDER_CLIENT_ID, PinterestAppCredentials } from '../../lib/constructs/pinterest-app-credentials.ts';
import { PublishQueues } from '../../lib/constructs/publish-queues.ts';
import { ServiceFunction, type ServiceFunctionProps, type ServiceResources } from '../../lib/constructs/service-function.ts';
import { Webhooks } from '../../lib/constructs/webhooks.ts';
import { WEBHOOK_DLQ } from '../../definitions/queues.ts';
import { parseStageConfig, type StageSettingsInput } from '../../lib/config.ts';
import { FUNCTIONS, type FunctionDefinition } from '../../definitions/functions.ts';
import { cdkJsonContext } from './support.ts';

const definition = (name: string): FunctionDefinition => {
  const def = (FUNCTIONS as readonly FunctionDefinition[]).find((d) => d.name === name);
  if (!def) throw new Error(`no function ${name}`);
  return def;
};

/** Stage settings of the harness: every function's settings come from here, as in the stacks. */
const HARNESS_STAGE: StageSettingsInput = {
  pinterestApiBaseUrl: 'https://api-sandbox.pinterest.com',
  pinterestTimeoutMs: 7000,
  pacing: { accountPerMinute: 12, appPerSecond: 3 },
  retry: { baseSeconds: 2, maxAttempts: 4 },
  workerLeaseSeconds: 45,
  sweepGraceSeconds: 90,
};

/** One stack holding the stateful constructs and the functions under test (bundling skipped unless listed). */
function harness(bundlingStacks: string[] = [], stage: StageSettingsInput = HARNESS_STAGE) {
  const app = new App({
    context: { ...cdkJsonContext(), 'aws:cdk:bundling-stacks': bundlingStacks },
    builtinCloudFormationValidation: false,
    treeMetadata: false,
  });
  const stack = new Stack(app, 'Harness');
  const tables = new DataTables(stack, 'Tables');
  const queues = new PublishQueues(stack, 'Queues');
  const accountSecrets = new AccountSecrets(stack, 'Secrets', { stage: 'test' });
  const eventBus = new events.EventBus(stack, 'Bus');
  const webhooks = new Webhooks(stack, 'Webhooks', {
    stage: 'test',
    eventBus,
    deadLetterQueue: queues.queues.get(WEBHOOK_DLQ.logicalName)!,
    alarmTopic: new sns.Topic(stack, 'Alarms'),
  });
  const resources: ServiceResources = {
    jobsTable: tables.jobsTable,
    tenantsTable: tables.tenantsTable,
    publishQueue: queues.publishQueue,
    delayQueue: queues.delayQueue,
    poisonQueue: queues.poisonQueue,
    eventBus,
    accountSecrets,
    pinterestAppCredentials: new PinterestAppCredentials(stack, 'AppCredentials', { stage: 'test', encryptionKey: accountSecrets.key }),
    webhooks,
    settings: parseStageConfig('test', { test: stage }).settings,
  };
  const add = (id: string, props: Omit<ServiceFunctionProps, 'resources'>) => new ServiceFunction(stack, id, { resources, ...props });
  return { app, stack, resources, add };
}

describe('ServiceFunction', () => {
  let template: Template;
  let stack: Stack;
  let fns: Record<string, ServiceFunction>;

  beforeAll(() => {
    const h = harness();
    stack = h.stack;
    fns = {
      plain: h.add('Plain', { definition: definition('get-openapi') }),
      merged: h.add('Merged', {
        definition: definition('get-openapi'),
        environment: { FEATURE_X: 'on', POWERTOOLS_SERVICE_NAME: 'pinrelay-custom' },
      }),
      // Access kinds no catalogue function uses yet (events:put), or one at a time: secrets:read.
      publisher: h.add('Publisher', {
        definition: { ...definition('get-openapi'), name: 'get-openapi', access: ['events:put', 'secrets:read'] },
      }),
      pinterest: h.add('Pinterest', { definition: { ...definition('get-openapi'), access: ['pinterest:call'] } }),
      pacing: h.add('Pacing', { definition: { ...definition('get-openapi'), access: ['pacing:config'] } }),
      workerConfig: h.add('WorkerConfig', { definition: { ...definition('get-openapi'), access: ['worker:config'] } }),
      sweeperConfig: h.add('SweeperConfig', { definition: { ...definition('get-openapi'), access: ['sweeper:config'] } }),
      accountStatus: h.add('AccountStatus', { definition: { ...definition('get-openapi'), access: ['tenants:account-status'] } }),
      buckets: h.add('Buckets', { definition: { ...definition('get-openapi'), access: ['tenants:pacing'] } }),
    };
    template = Template.fromStack(stack);
  });

  const envOf = (fn: ServiceFunction) =>
    (
      template.toJSON().Resources[stack.getLogicalId(fn.function.node.defaultChild as never)] as {
        Properties: { Environment: { Variables: Record<string, unknown> } };
      }
    ).Properties.Environment.Variables;

  const statementsOf = (fn: ServiceFunction) =>
    Object.values(template.findResources('AWS::IAM::Policy'))
      .filter(
        (p) => JSON.stringify(p.Properties.Roles) === JSON.stringify([{ Ref: stack.getLogicalId(fn.role.node.defaultChild as never) }]),
      )
      .flatMap((p) => p.Properties.PolicyDocument.Statement as Array<Record<string, unknown>>);

  it('defaults: NODE_OPTIONS and Powertools settings only, for a function without access', () => {
    expect(envOf(fns.plain!)).toEqual({
      NODE_OPTIONS: '--enable-source-maps',
      POWERTOOLS_SERVICE_NAME: 'pinrelay',
      POWERTOOLS_METRICS_NAMESPACE: 'Pinrelay',
      POWERTOOLS_LOG_LEVEL: 'INFO',
    });
  });

  it('merges the caller environment over the defaults', () => {
    expect(envOf(fns.merged!)).toEqual({
      NODE_OPTIONS: '--enable-source-maps',
      POWERTOOLS_SERVICE_NAME: 'pinrelay-custom',
      POWERTOOLS_METRICS_NAMESPACE: 'Pinrelay',
      POWERTOOLS_LOG_LEVEL: 'INFO',
      FEATURE_X: 'on',
    });
  });

  it('the log level is a stage setting every function gets', () => {
    const h = harness([], { ...HARNESS_STAGE, logLevel: 'DEBUG' });
    const fn = h.add('Debug', { definition: definition('get-openapi') });
    const variables = (
      Template.fromStack(h.stack).toJSON().Resources[h.stack.getLogicalId(fn.function.node.defaultChild as never)] as {
        Properties: { Environment: { Variables: Record<string, unknown> } };
      }
    ).Properties.Environment.Variables;
    expect(variables.POWERTOOLS_LOG_LEVEL).toBe('DEBUG');
  });

  it.each([
    ['an access kind', { JOBS_TABLE_NAME: 'somewhere-else' }],
    ['a setting', { POWERTOOLS_LOG_LEVEL: 'DEBUG' }],
    ['a setting of another access kind', { RETRY_MAX_ATTEMPTS: '50' }],
  ])('refuses caller environment that %s provides', (_what, environment) => {
    const h = harness();
    expect(() => h.add('Bad', { definition: definition('get-job'), environment })).toThrow(
      `${Object.keys(environment)[0]} comes from the settings or the access list`,
    );
  });

  it('events:put → EVENT_BUS_NAME and PutEvents on that bus only', () => {
    const env = envOf(fns.publisher!);
    expect(env.EVENT_BUS_NAME).toEqual({ Ref: stack.getLogicalId(stack.node.findChild('Bus').node.defaultChild as never) });
    expect(statementsOf(fns.publisher!)).toContainEqual({
      Effect: 'Allow',
      Action: 'events:PutEvents',
      Resource: { 'Fn::GetAtt': [stack.getLogicalId(stack.node.findChild('Bus').node.defaultChild as never), 'Arn'] },
    });
  });

  it('secrets:read → ACCOUNT_SECRET_PREFIX, GetSecretValue under the prefix, kms:Decrypt via Secrets Manager', () => {
    const env = envOf(fns.publisher!);
    expect(env.ACCOUNT_SECRET_PREFIX).toBe('pinrelay/test/accounts');
    expect(env).not.toHaveProperty('ACCOUNT_SECRET_KMS_KEY_ID');
    const statements = statementsOf(fns.publisher!);
    expect(statements).toContainEqual({
      Effect: 'Allow',
      Action: 'secretsmanager:GetSecretValue',
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a CloudFormation Fn::Sub string; ${...} is its substitution syntax, not a template literal.
      Resource: { 'Fn::Sub': 'arn:${AWS::Partition}:secretsmanager:${AWS::Region}:${AWS::AccountId}:secret:pinrelay/test/accounts/*' },
    });
    expect(statements).toContainEqual(
      expect.objectContaining({
        Action: 'kms:Decrypt',
        Condition: { StringEquals: { 'kms:ViaService': expect.anything() } },
      }),
    );
  });

  const refOf = (construct: { node: { defaultChild?: unknown } }) => ({ Ref: stack.getLogicalId(construct.node.defaultChild as never) });
  const arnOf = (construct: { node: { defaultChild?: unknown } }) => ({
    'Fn::GetAtt': [stack.getLogicalId(construct.node.defaultChild as never), 'Arn'],
  });
  const baseActions = ['logs:CreateLogStream', 'logs:PutLogEvents', 'xray:PutTelemetryRecords', 'xray:PutTraceSegments'];
  const actionsOf = (fn: ServiceFunction) => statementsOf(fn).flatMap((st) => (Array.isArray(st.Action) ? st.Action : [st.Action]));

  it('pinterest:call → API origin, timeout and the app secret ARN; GetSecretValue on exactly that secret, kms:Decrypt via Secrets Manager', () => {
    const env = envOf(fns.pinterest!);
    const credentials = stack.node.findChild('AppCredentials') as PinterestAppCredentials;
    expect(env).toMatchObject({
      PINTEREST_API_BASE_URL: 'https://api-sandbox.pinterest.com',
      PINTEREST_TIMEOUT_MS: '7000',
      PINTEREST_APP_SECRET_ARN: refOf(credentials.secret),
    });
    const statements = statementsOf(fns.pinterest!);
    expect(statements).toContainEqual({ Effect: 'Allow', Action: 'secretsmanager:GetSecretValue', Resource: refOf(credentials.secret) });
    expect(statements).toContainEqual({
      Effect: 'Allow',
      Action: 'kms:Decrypt',
      Resource: arnOf(stack.node.findChild('Secrets').node.findChild('Key')),
      Condition: {
        StringEquals: { 'kms:ViaService': { 'Fn::Join': ['', ['secretsmanager.', { Ref: 'AWS::Region' }, '.amazonaws.com']] } },
      },
    });
    // Nothing else: no account-secret prefix, no other secret action.
    expect(actionsOf(fns.pinterest!).sort()).toEqual([...baseActions, 'kms:Decrypt', 'secretsmanager:GetSecretValue'].sort());
  });

  it('pinterest:call: the app secret is a generated placeholder, KMS-encrypted, with no plaintext in the template', () => {
    const secrets = Object.values(template.findResources('AWS::SecretsManager::Secret'));
    expect(secrets).toHaveLength(1);
    expect(secrets[0]!.Properties).toMatchObject({
      KmsKeyId: arnOf(stack.node.findChild('Secrets').node.findChild('Key')),
      GenerateSecretString: {
        SecretStringTemplate: JSON.stringify({ client_id: PINTEREST_APP_PLACEHOLDER_CLIENT_ID }),
        GenerateStringKey: 'client_secret',
      },
    });
    expect(secrets[0]!.Properties).not.toHaveProperty('SecretString');
  });

  const settingsOf = (fn: ServiceFunction) =>
    Object.fromEntries(
      Object.entries(envOf(fn)).filter(
        ([name]) => !['NODE_OPTIONS', 'POWERTOOLS_SERVICE_NAME', 'POWERTOOLS_METRICS_NAMESPACE'].includes(name),
      ),
    );

  it('pacing:config → the pacing defaults as strings, no grant', () => {
    expect(settingsOf(fns.pacing!)).toEqual({
      POWERTOOLS_LOG_LEVEL: 'INFO',
      PACING_ACCOUNT_PER_MINUTE: '12',
      PACING_APP_PER_SECOND: '3',
      PACING_READ_PER_MINUTE: '100',
    });
    expect(actionsOf(fns.pacing!).sort()).toEqual(baseActions);
  });

  it('worker:config → retry policy and claim lease as strings, no grant', () => {
    expect(settingsOf(fns.workerConfig!)).toEqual({
      POWERTOOLS_LOG_LEVEL: 'INFO',
      RETRY_BASE_SECONDS: '2',
      RETRY_MAX_ATTEMPTS: '4',
      WORKER_LEASE_SECONDS: '45',
    });
    expect(actionsOf(fns.workerConfig!).sort()).toEqual(baseActions);
  });

  it('sweeper:config → the sweeper grace as a string, no grant', () => {
    expect(settingsOf(fns.sweeperConfig!)).toEqual({ POWERTOOLS_LOG_LEVEL: 'INFO', SWEEP_GRACE_SECONDS: '90' });
    expect(actionsOf(fns.sweeperConfig!).sort()).toEqual(baseActions);
  });

  const tenantsTableArn = () => arnOf(stack.node.findChild('Tables').node.findChild('TenantsTable'));
  const leadingKeys = (patterns: string[]) => ({
    'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': patterns },
    Null: { 'dynamodb:LeadingKeys': 'false' },
  });

  it('tenants:pacing → TENANTS_TABLE_NAME; GetItem and PutItem on PACING#… partition keys only', () => {
    expect(envOf(fns.buckets!).TENANTS_TABLE_NAME).toEqual(refOf(stack.node.findChild('Tables').node.findChild('TenantsTable')));
    const dynamo = statementsOf(fns.buckets!).filter((st) => JSON.stringify(st.Action).includes('dynamodb:'));
    expect(dynamo).toEqual([
      {
        Effect: 'Allow',
        Action: ['dynamodb:GetItem', 'dynamodb:PutItem'],
        Resource: tenantsTableArn(),
        Condition: leadingKeys(['PACING#*']),
      },
    ]);
  });

  it('tenants:account-status → GetItem on TENANT#… keys; UpdateItem there limited to the account-status attributes; nothing else', () => {
    expect(envOf(fns.accountStatus!).TENANTS_TABLE_NAME).toEqual(refOf(stack.node.findChild('Tables').node.findChild('TenantsTable')));
    const dynamo = statementsOf(fns.accountStatus!).filter((st) => JSON.stringify(st.Action).includes('dynamodb:'));
    expect(dynamo).toEqual([
      { Effect: 'Allow', Action: 'dynamodb:GetItem', Resource: tenantsTableArn(), Condition: leadingKeys(['TENANT#*']) },
      {
        Effect: 'Allow',
        Action: 'dynamodb:UpdateItem',
        Resource: tenantsTableArn(),
        Condition: {
          ...leadingKeys(['TENANT#*']),
          'ForAllValues:StringEquals': { 'dynamodb:Attributes': ['pk', 'sk', 'connection_status', 'updated_at', 'connection_id'] },
        },
      },
    ]);
  });

  it('log group: one month and retained by default; the function logs to it', () => {
    template.hasResource('AWS::Logs::LogGroup', {
      Properties: Match.objectLike({ RetentionInDays: 30 }),
      DeletionPolicy: 'Retain',
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      LoggingConfig: { LogGroup: { Ref: stack.getLogicalId(fns.plain!.logGroup.node.defaultChild as never) } },
    });
  });
});

describe('ServiceFunction bundling (real esbuild, one function)', () => {
  let assetDir: string;

  beforeAll(() => {
    const h = harness(['Harness']);
    h.add('Relay', { definition: definition('relay-outbox') });
    const assembly = h.app.synth();
    const dirs = readdirSync(assembly.directory).filter((d) => d.startsWith('asset.'));
    const withBundle = dirs.map((d) => path.join(assembly.directory, d)).filter((d) => existsSync(path.join(d, 'index.mjs')));
    expect(withBundle).toHaveLength(1);
    assetDir = withBundle[0]!;
  }, 120_000);

  it('emits one ESM file with a linked source map', () => {
    expect(readdirSync(assetDir).sort()).toEqual(['index.mjs', 'index.mjs.map']);
    expect(readFileSync(path.join(assetDir, 'index.mjs'), 'utf8')).toMatch(/\/\/# sourceMappingURL=index\.mjs\.map\s*$/);
    const map = JSON.parse(readFileSync(path.join(assetDir, 'index.mjs.map'), 'utf8')) as { sources: string[]; sourcesContent?: unknown };
    expect(map.sources.some((s) => s.includes('lambdas/relay-outbox/handler.ts'))).toBe(true);
    expect(map).not.toHaveProperty('sourcesContent'); // line mapping only, no embedded sources
  });

  it('starts with the createRequire banner', () => {
    expect(readFileSync(path.join(assetDir, 'index.mjs'), 'utf8')).toMatch(
      /^import \{ createRequire \} from 'module'; const require = createRequire\(import\.meta\.url\);/,
    );
  });

  it('bundles the AWS SDK: the only static imports left are Node built-ins', () => {
    // Let esbuild parse the bundle and list what it still imports (error-message strings do not count).
    const { metafile } = buildSync({
      entryPoints: [path.join(assetDir, 'index.mjs')],
      bundle: true,
      write: false,
      metafile: true,
      platform: 'node',
      format: 'esm',
      packages: 'external',
      logLevel: 'silent',
    });
    const imports = Object.values(metafile.inputs).flatMap((input) => input.imports);
    const builtins = new Set(builtinModules);
    const nonBuiltin = imports
      .filter((i) => i.kind === 'import-statement' || i.kind === 'dynamic-import')
      .map((i) => i.path)
      .filter((spec) => !spec.startsWith('node:') && !builtins.has(spec));
    expect(nonBuiltin).toEqual([]);
    expect(readFileSync(path.join(assetDir, 'index.mjs'), 'utf8')).toContain('SendMessage');
  });

  it('takes credentials from the environment only: the alias reaches NodejsFunction (lib/bundling.ts)', () => {
    const map = JSON.parse(readFileSync(path.join(assetDir, 'index.mjs.map'), 'utf8')) as { sources: string[] };
    expect(map.sources.some((s) => s.endsWith('lib/bundling/lambda-credentials.ts'))).toBe(true);
    expect(map.sources.filter((s) => s.includes('/@aws-sdk/credential-provider-node/'))).toEqual([]);
  });

  it('is minified and keeps names', () => {
    const code = readFileSync(path.join(assetDir, 'index.mjs'), 'utf8');
    expect(code.split('\n').length).toBeLessThan(200);
    expect(code).toContain('"name",{value:'); // esbuild's keepNames helper (__name, minified)
  });
});
