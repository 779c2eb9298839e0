import { fileURLToPath } from 'node:url';
import * as path from 'node:path';
import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { StageSettings } from '../config.ts';
import { ENV_FOR_ACCESS, type Access, type FunctionDefinition } from '../definitions/functions.ts';
import { JOBS_TABLE, TENANTS_TABLE } from '../definitions/tables.ts';
import type { AccountSecrets } from './account-secrets.ts';
import { grantTableData } from './data-tables.ts';
import type { PinterestAppCredentials } from './pinterest-app-credentials.ts';

/** Repository root: entries are `lambdas/<name>/handler.ts` under it, the lock file pins the bundle. */
const PROJECT_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** The runtime every pinrelay function uses (Node 22: the project's engine, esbuild target and local mode). */
export const SERVICE_RUNTIME = lambda.Runtime.NODEJS_22_X;

/**
 * Environment every function gets, whatever its access. Anything else a function sees comes from its
 * `access` list (ENV_FOR_ACCESS) or, explicitly, from the caller's `environment`.
 */
export const DEFAULT_ENVIRONMENT = {
  NODE_OPTIONS: '--enable-source-maps',
  POWERTOOLS_SERVICE_NAME: 'pinrelay',
  POWERTOOLS_METRICS_NAMESPACE: 'Pinrelay',
  POWERTOOLS_LOG_LEVEL: 'INFO',
} as const;

/** Every variable name some access kind provides: callers may not set these (they are wired to resources). */
const ACCESS_ENV_NAMES: ReadonlySet<string> = new Set(Object.values(ENV_FOR_ACCESS).flat());

/** The stateful resources and stage settings a function's `access` list can reach. */
export interface ServiceResources {
  readonly jobsTable: dynamodb.ITable;
  readonly tenantsTable: dynamodb.ITable;
  readonly publishQueue: sqs.IQueue;
  readonly delayQueue: sqs.IQueue;
  readonly eventBus: events.IEventBus;
  readonly accountSecrets: AccountSecrets;
  /** The Pinterest app's OAuth credentials secret (`pinterest:call`: PINTEREST_APP_SECRET_ARN and read access). */
  readonly pinterestAppCredentials: PinterestAppCredentials;
  /** Days a job record lives after its last update (JOB_RETENTION_DAYS). */
  readonly jobRetentionDays: number;
  /** Pinterest API origin without `/v5` and per-request timeout (`pinterest:call`: PINTEREST_API_BASE_URL, PINTEREST_TIMEOUT_MS). */
  readonly pinterest: { readonly apiBaseUrl: string; readonly timeoutMs: number };
  /** Default pacing limits (`pacing:config`: PACING_ACCOUNT_PER_MINUTE, PACING_APP_PER_SECOND). */
  readonly pacing: StageSettings['pacing'];
  /** Backoff policy (`pacing:config`: RETRY_BASE_SECONDS, RETRY_MAX_ATTEMPTS). */
  readonly retry: StageSettings['retry'];
}

export interface ServiceFunctionProps {
  /** The catalogue entry (lib/definitions/functions.ts): handler folder, description, access, limits. */
  readonly definition: FunctionDefinition;
  /** What the access list points at. Only the resources the access list names are used. */
  readonly resources: ServiceResources;
  /**
   * Retention of the function's log group.
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * What happens to the log group when the stack is deleted.
   * @default RemovalPolicy.RETAIN
   */
  readonly logRemovalPolicy?: RemovalPolicy;
  /**
   * Powertools log level.
   * @default 'INFO'
   */
  readonly logLevel?: 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';
  /**
   * Extra environment, merged over the defaults (NODE_OPTIONS, POWERTOOLS_*). Names that an access kind
   * provides (JOBS_TABLE_NAME, …) are rejected: they are derived from `definition.access`.
   * @default - none
   */
  readonly environment?: Readonly<Record<string, string>>;
}

/**
 * The one Lambda construct of pinrelay: every function default lives here.
 *
 * Fixed: Node.js 22 on arm64, X-Ray active tracing, an explicit log group (retention from config),
 * an explicit role that can write to that log group only (no AWSLambdaBasicExecutionRole managed
 * policy), ESM bundle (minified, source maps, names kept, AWS SDK bundled at the lock file's version),
 * entry `lambdas/<name>/handler.ts` export `handler`. Environment and IAM grants are derived from
 * `definition.access`, nothing more.
 */
export class ServiceFunction extends Construct {
  public readonly function: nodejs.NodejsFunction;
  public readonly role: iam.Role;
  public readonly logGroup: logs.LogGroup;
  public readonly definition: FunctionDefinition;

  constructor(scope: Construct, id: string, props: ServiceFunctionProps) {
    super(scope, id);
    const { definition, resources } = props;
    this.definition = definition;

    for (const name of Object.keys(props.environment ?? {})) {
      if (ACCESS_ENV_NAMES.has(name)) {
        throw new Error(`${definition.name}: environment variable ${name} comes from the access list, not from props.environment`);
      }
    }

    this.logGroup = new logs.LogGroup(this, 'LogGroup', {
      retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
      removalPolicy: props.logRemovalPolicy ?? RemovalPolicy.RETAIN,
    });

    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `pinrelay ${definition.name}`,
    });
    this.logGroup.grantWrite(this.role);

    this.function = new nodejs.NodejsFunction(this, 'Function', {
      description: definition.description,
      entry: path.join(PROJECT_ROOT, 'lambdas', definition.name, 'handler.ts'),
      handler: 'handler',
      projectRoot: PROJECT_ROOT,
      depsLockFilePath: path.join(PROJECT_ROOT, 'package-lock.json'),
      runtime: SERVICE_RUNTIME,
      architecture: lambda.Architecture.ARM_64,
      memorySize: definition.memorySize ?? 256,
      timeout: Duration.seconds(definition.timeoutSeconds ?? 10),
      tracing: lambda.Tracing.ACTIVE,
      logGroup: this.logGroup,
      role: this.role,
      environment: {
        ...DEFAULT_ENVIRONMENT,
        POWERTOOLS_LOG_LEVEL: props.logLevel ?? DEFAULT_ENVIRONMENT.POWERTOOLS_LOG_LEVEL,
        ...props.environment,
        ...accessEnvironment(definition, resources),
      },
      bundling: {
        format: nodejs.OutputFormat.ESM,
        target: 'node22',
        minify: true,
        sourceMap: true,
        // Line mapping only: the original sources would triple the zip Lambda has to load.
        sourcesContent: false,
        keepNames: true,
        mainFields: ['module', 'main'],
        // Bundle the AWS SDK at the version package-lock.json pins, instead of the runtime's copy.
        externalModules: [],
        // Some CommonJS dependencies call require(); give the ESM bundle one.
        banner: "import { createRequire } from 'module'; const require = createRequire(import.meta.url);",
      },
    });

    for (const access of new Set(definition.access)) {
      grantAccess(this.role, access, resources);
    }

    Validations.of(this.function).acknowledge({
      id: 'AwsSolutions-L1',
      reason:
        'Node.js 22 is pinned on purpose: it is the version local mode, the test suite and the esbuild target (node22) run on. ' +
        'Moving to a newer runtime is a deliberate, tested change of SERVICE_RUNTIME, not drift.',
    });
    // Tracing.ACTIVE adds xray:PutTraceSegments/PutTelemetryRecords on "*" to the role's default policy.
    Validations.of(this.role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'X-Ray PutTraceSegments and PutTelemetryRecords do not support resource-level permissions; "*" is the only valid resource (added by active tracing).',
    });
  }
}

/** The environment a definition's access list provides: exactly the ENV_FOR_ACCESS names, each wired to its resource. */
export function accessEnvironment(definition: FunctionDefinition, resources: ServiceResources): Record<string, string> {
  const values: Record<string, string> = {
    JOBS_TABLE_NAME: resources.jobsTable.tableName,
    JOB_RETENTION_DAYS: String(resources.jobRetentionDays),
    TENANTS_TABLE_NAME: resources.tenantsTable.tableName,
    ACCOUNT_SECRET_PREFIX: resources.accountSecrets.secretPrefix,
    ACCOUNT_SECRET_KMS_KEY_ID: resources.accountSecrets.key.keyArn,
    PUBLISH_QUEUE_URL: resources.publishQueue.queueUrl,
    DELAY_QUEUE_URL: resources.delayQueue.queueUrl,
    EVENT_BUS_NAME: resources.eventBus.eventBusName,
    PINTEREST_API_BASE_URL: resources.pinterest.apiBaseUrl,
    PINTEREST_TIMEOUT_MS: String(resources.pinterest.timeoutMs),
    PINTEREST_APP_SECRET_ARN: resources.pinterestAppCredentials.secret.secretArn,
    PACING_ACCOUNT_PER_MINUTE: String(resources.pacing.accountPerMinute),
    PACING_APP_PER_SECOND: String(resources.pacing.appPerSecond),
    RETRY_BASE_SECONDS: String(resources.retry.baseSeconds),
    RETRY_MAX_ATTEMPTS: String(resources.retry.maxAttempts),
  };
  const environment: Record<string, string> = {};
  for (const access of definition.access) {
    for (const name of ENV_FOR_ACCESS[access]) {
      const value = values[name];
      if (value === undefined) {
        throw new Error(`${definition.name}: no value wired for ${name} (access ${access}); add it to accessEnvironment()`);
      }
      environment[name] = value;
    }
  }
  return environment;
}

function grantAccess(role: iam.IRole, access: Access, resources: ServiceResources): void {
  switch (access) {
    case 'jobs:read':
      grantTableData(role, resources.jobsTable, JOBS_TABLE, 'read');
      return;
    case 'jobs:write':
      grantTableData(role, resources.jobsTable, JOBS_TABLE, 'read-write');
      return;
    case 'tenants:read':
      grantTableData(role, resources.tenantsTable, TENANTS_TABLE, 'read');
      return;
    case 'tenants:write':
      grantTableData(role, resources.tenantsTable, TENANTS_TABLE, 'read-write');
      return;
    case 'secrets:read':
      resources.accountSecrets.grantRead(role);
      return;
    case 'secrets:write':
      resources.accountSecrets.grantWrite(role);
      return;
    case 'secrets:rotate':
      resources.accountSecrets.grantRotate(role);
      return;
    case 'publish-queue:send':
      resources.publishQueue.grantSendMessages(role);
      return;
    case 'delay-queue:send':
      resources.delayQueue.grantSendMessages(role);
      return;
    case 'events:put':
      resources.eventBus.grantPutEventsTo(role);
      return;
    case 'pinterest:call':
      resources.pinterestAppCredentials.grantRead(role);
      return;
    case 'pacing:config':
      // Configuration only: no resource to reach.
      return;
    default: {
      const unknown: never = access;
      throw new Error(`no grant defined for access ${String(unknown)}`);
    }
  }
}
