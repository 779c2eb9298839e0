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
import { ACCESS_GRANTS } from '../../definitions/access-grants.ts';
import { FUNCTION_BUNDLING } from '../bundling.ts';
import { ENV_FOR_ACCESS, ENV_FOR_EVERY_FUNCTION, functionEnvironment, type FunctionDefinition } from '../../definitions/functions.ts';
import type { ResourceValues, SettingValues } from '../../definitions/settings.ts';
import { METRICS_NAMESPACE_ROOT, SERVICE_NAME } from '../../definitions/metrics.ts';
import { JOBS_TABLE } from '../../definitions/tables.ts';
import type { AccountSecrets } from './account-secrets.ts';
import { addGrants, arnsFrom, type ResourceArns } from './grants.ts';
import type { PinterestAppCredentials } from './pinterest-app-credentials.ts';
import { acknowledgeWebhookWildcards, webhookArns, type WebhookFunctionResources } from './webhooks.ts';

/** Repository root: entries are `lambdas/<name>/handler.ts` under it, the lock file pins the bundle. */
const PROJECT_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** The runtime every pinrelay function uses (Node 22: the project's engine, esbuild target and local mode). */
export const SERVICE_RUNTIME = lambda.Runtime.NODEJS_22_X;

/**
 * Platform environment every function gets, whatever its access. Anything else a function sees comes
 * from the settings and its `access` list (functionEnvironment) or, explicitly, from the caller's `environment`.
 * The metrics namespace here is the fallback: a stage's functions get `Pinrelay/<stage>` from
 * `ServiceResources.metricsNamespace` (definitions/metrics.ts).
 */
export const DEFAULT_ENVIRONMENT = {
  NODE_OPTIONS: '--enable-source-maps',
  POWERTOOLS_SERVICE_NAME: SERVICE_NAME,
  POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE_ROOT,
} as const;

/** Every variable the settings or an access kind provide: callers may not set these (they are derived). */
const DERIVED_ENV_NAMES: ReadonlySet<string> = new Set([...ENV_FOR_EVERY_FUNCTION, ...Object.values(ENV_FOR_ACCESS).flat()]);

/** The stateful resources and stage settings a function's `access` list can reach. */
export interface ServiceResources {
  readonly jobsTable: dynamodb.ITable;
  readonly tenantsTable: dynamodb.ITable;
  readonly publishQueue: sqs.IQueue;
  readonly delayQueue: sqs.IQueue;
  /** Where dead-lettered messages that are not job messages are parked (`poison-queue:send`: POISON_QUEUE_URL and SendMessage). */
  readonly poisonQueue: sqs.IQueue;
  readonly eventBus: events.IEventBus;
  /** Account-token secrets; its key (`key`) is the stage key, which also encrypts tables and queues when `customerManagedKey` is on. */
  readonly accountSecrets: AccountSecrets;
  /**
   * Whether the tables and queues are encrypted with the stage key (`encryption.customerManagedKey`): the
   * functions then also get its KMS grants through DynamoDB and SQS (definitions/access-grants.ts).
   * @default false
   */
  readonly customerManagedKey?: boolean;
  /** The Pinterest app's OAuth credentials secret (`pinterest:call`: PINTEREST_APP_SECRET_ARN and read access). */
  readonly pinterestAppCredentials: PinterestAppCredentials;
  /** Webhook subscriptions' name prefix, target role and DLQ (`webhooks:manage`, lib/constructs/webhooks.ts). */
  readonly webhooks: WebhookFunctionResources;
  /**
   * The stage's runtime settings (the stage settings themselves will do): each function gets the ones its
   * access list names, encoded as definitions/settings.ts says.
   */
  readonly settings: SettingValues;
  /**
   * The stage's CloudWatch namespace for the functions' metrics: `metricsNamespace(stage)` from
   * definitions/metrics.ts, the namespace the dashboard and alarms read.
   * @default 'Pinrelay' (DEFAULT_ENVIRONMENT)
   */
  readonly metricsNamespace?: string;
}

export interface ServiceFunctionProps {
  /** The catalogue entry (definitions/functions.ts): handler folder, description, access, limits. */
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
   * Extra environment, merged over the defaults (NODE_OPTIONS, POWERTOOLS_*). Names that the settings or
   * an access kind provide (JOBS_TABLE_NAME, POWERTOOLS_LOG_LEVEL, …) are rejected: they are derived.
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
 * entry `lambdas/<name>/handler.ts` export `handler`, bundled as lib/bundling.ts says. Environment and IAM grants are derived from
 * `definition.access`, nothing more: the grants are ACCESS_GRANTS (definitions/access-grants.ts) as written.
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
      if (DERIVED_ENV_NAMES.has(name)) {
        throw new Error(
          `${definition.name}: environment variable ${name} comes from the settings or the access list, not from props.environment`,
        );
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
        ...(resources.metricsNamespace ? { POWERTOOLS_METRICS_NAMESPACE: resources.metricsNamespace } : {}),
        ...props.environment,
        ...accessEnvironment(definition, resources),
      },
      // lib/bundling.ts: the same options the cold-start benchmark and the bundle budget test build with.
      bundling: {
        format: FUNCTION_BUNDLING.format === 'esm' ? nodejs.OutputFormat.ESM : nodejs.OutputFormat.CJS,
        target: FUNCTION_BUNDLING.target,
        minify: FUNCTION_BUNDLING.minify,
        sourceMap: FUNCTION_BUNDLING.sourcemap,
        sourcesContent: FUNCTION_BUNDLING.sourcesContent,
        keepNames: FUNCTION_BUNDLING.keepNames,
        mainFields: [...FUNCTION_BUNDLING.mainFields],
        externalModules: [...FUNCTION_BUNDLING.external],
        banner: FUNCTION_BUNDLING.banner.js,
        // Rendered `--alias:<package>=<target>`; esbuild runs in projectRoot, where the targets resolve.
        esbuildArgs: { '--alias': Object.entries(FUNCTION_BUNDLING.alias).map(([from, to]) => `${from}=${to}`) },
      },
    });

    // Every grant comes from the catalogue (definitions/access-grants.ts), rendered as written.
    const reached = addGrants(
      this.role,
      [...new Set(definition.access)].flatMap((access) => ACCESS_GRANTS[access]),
      accessArns(this.role, resources),
      { customerManagedKey: resources.customerManagedKey ?? false },
    );
    if (reached.has('AccountSecrets')) resources.accountSecrets.acknowledgePrefixWildcard(this.role);
    acknowledgeWebhookWildcards(this.role, resources.webhooks.namePrefix, reached);

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

/**
 * The environment a definition's access list provides: functionEnvironment (shared with local mode) over
 * this stack's resources and the stage settings.
 */
export function accessEnvironment(definition: FunctionDefinition, resources: ServiceResources): Record<string, string> {
  return functionEnvironment(definition, { settings: resources.settings, resources: resourceValues(resources) });
}

/** Each resource variable wired to its resource (tokens until deploy). */
export function resourceValues(resources: ServiceResources): Required<ResourceValues> {
  return {
    JOBS_TABLE_NAME: resources.jobsTable.tableName,
    TENANTS_TABLE_NAME: resources.tenantsTable.tableName,
    ACCOUNT_SECRET_PREFIX: resources.accountSecrets.secretPrefix,
    ACCOUNT_SECRET_KMS_KEY_ID: resources.accountSecrets.key.keyArn,
    PUBLISH_QUEUE_URL: resources.publishQueue.queueUrl,
    DELAY_QUEUE_URL: resources.delayQueue.queueUrl,
    POISON_QUEUE_URL: resources.poisonQueue.queueUrl,
    EVENT_BUS_NAME: resources.eventBus.eventBusName,
    PINTEREST_APP_SECRET_ARN: resources.pinterestAppCredentials.secret.secretArn,
    WEBHOOK_NAME_PREFIX: resources.webhooks.namePrefix,
    WEBHOOK_TARGET_ROLE_ARN: resources.webhooks.targetRole.roleArn,
    WEBHOOK_DLQ_ARN: resources.webhooks.deadLetterQueue.queueArn,
    // Only local mode accepts http:// and loopback webhook URLs (local/environment.ts).
    WEBHOOK_ALLOW_LOOPBACK_HTTP: 'false',
  };
}

/** Where each resource an access grant names lives, for one function. */
function accessArns(role: iam.IRole, resources: ServiceResources): ResourceArns {
  const webhooks = webhookArns(role, resources.webhooks.namePrefix);
  return arnsFrom('access grants', {
    JobsTable: resources.jobsTable.tableArn,
    ...Object.fromEntries(
      JOBS_TABLE.globalSecondaryIndexes.map((index) => [
        `JobsTable/index/${index.indexName}`,
        `${resources.jobsTable.tableArn}/index/${index.indexName}`,
      ]),
    ),
    TenantsTable: resources.tenantsTable.tableArn,
    PublishQueue: resources.publishQueue.queueArn,
    DelayQueue: resources.delayQueue.queueArn,
    PoisonMessageQueue: resources.poisonQueue.queueArn,
    AccountSecrets: resources.accountSecrets.secretArnPattern,
    PinterestAppSecret: resources.pinterestAppCredentials.secret.secretArn,
    EncryptionKey: resources.accountSecrets.key.keyArn,
    JobEvents: resources.eventBus.eventBusArn,
    WebhookConnections: webhooks.connections,
    WebhookApiDestinations: webhooks.apiDestinations,
    WebhookRules: webhooks.rules,
    AllRules: webhooks.anyRule,
    WebhookConnectionSecrets: webhooks.connectionSecrets,
    WebhookTargetRole: resources.webhooks.targetRole.roleArn,
  });
}
