import type { Access } from './access.ts';
import type { FunctionDefinition } from './functions.ts';
import { TENANT_ITEM_GRANTS, type ItemAction, type ItemGrant, type ItemScopedAccess } from './item-access.ts';
import type { IndexName, JOBS_TABLE } from './tables.ts';

/**
 * Every IAM permission a function's role holds, and why: the catalogue of grants behind the access kinds
 * (definitions/access.ts) and the triggers (definitions/functions.ts). The stack renders roles from it
 * (lib/constructs/grants.ts) and nothing else; test/infra/least-privilege.test.ts holds every synthesized
 * role to it, exactly, and checks that each action is needed by a request the functions really send.
 *
 * A grant names resources by role, not by ARN (the stack resolves them), and lists what needs it: an SDK
 * command and the module that sends it, or an AWS service acting with the function's role (an event source
 * mapping, an on-failure destination). KMS grants are always scoped with `kms:ViaService`: the stage key
 * may be used only through the service that stores the data, never directly.
 *
 * The unit is the access kind: functions that share a kind share its grants (create-pin has jobs:write's
 * UpdateItem although it only puts). Adding a call: add its command here under the kind the function has.
 *
 * Plain data only: imported by the CDK app and the tests.
 */

type JobsIndex = IndexName<typeof JOBS_TABLE>;

/** What a grant reaches, by role; lib/constructs/grants.ts and the trigger constructs map each to an ARN. */
export type GrantResource =
  | 'JobsTable'
  | `JobsTable/index/${JobsIndex}`
  | 'JobsTable/stream'
  | 'TenantsTable'
  | 'PublishQueue'
  | 'DelayQueue'
  | 'PoisonMessageQueue'
  | 'PublishDeadLetterQueue'
  | 'DelayDeadLetterQueue'
  | 'OutboxDeadLetterQueue'
  /** Every account-token secret under the stage's prefix (`pinrelay/<stage>/accounts/*`). */
  | 'AccountSecrets'
  | 'PinterestAppSecret'
  /** The stage's customer-managed key (lib/constructs/account-secrets.ts). */
  | 'EncryptionKey'
  /** The job events bus. */
  | 'JobEvents'
  /** Webhook resources made at runtime under the deployment's prefix (lib/constructs/webhooks.ts webhookArns). */
  | 'WebhookConnections'
  | 'WebhookApiDestinations'
  | 'WebhookRules'
  | 'AllRules'
  | 'WebhookConnectionSecrets'
  | 'WebhookTargetRole'
  /** The function's own log group. */
  | 'LogGroup'
  /** Only for actions without resource-level permissions; the grant says so. */
  | '*';

export type GrantCondition =
  /** `kms:ViaService`: the key is usable only in requests the named service makes for the caller. */
  | { readonly viaService: 'dynamodb' | 'sqs' | 'secretsmanager' }
  /** Item-level limits on the tenants table: the partition keys and attributes a request may name (definitions/item-access.ts). */
  | { readonly items: Pick<ItemGrant, 'leadingKeys' | 'attributes'> }
  /** `iam:PassedToService`. */
  | { readonly passedToService: string };

/** What sends the requests a grant allows. */
export type Need =
  /** An SDK command (`new GetCommand(…)`) that `module` sends. */
  | { readonly command: string; readonly module: string }
  /** An AWS service acting with the function's role, as its documentation says. */
  | { readonly service: string; readonly doc: string };

export interface Grant {
  readonly actions: readonly string[];
  readonly resources: readonly GrantResource[];
  readonly condition?: GrantCondition;
  /**
   * `customer-managed-key`: only when the stage encrypts its tables and queues with its own key
   * (`encryption.customerManagedKey`, lib/config.ts). Secrets always use it, so their KMS grants are unconditional.
   */
  readonly when?: 'customer-managed-key';
  readonly neededBy: readonly Need[];
}

const JOB_STORE = 'lambdas/adapters/dynamo-job-store.ts';
const TENANT_STORE = 'lambdas/adapters/dynamo-tenant-store.ts';
const TENANT_DIRECTORY = 'lambdas/adapters/dynamo-tenant-directory.ts';
const PACER = 'lambdas/adapters/dynamo-pacer.ts';
const WEBHOOK_STORE = 'lambdas/adapters/dynamo-webhook-store.ts';
const WEBHOOK_PROVISIONER = 'lambdas/adapters/eventbridge-webhooks.ts';
const EVENT_PUBLISHER = 'lambdas/adapters/eventbridge-publisher.ts';
const TOKEN_VAULT = 'lambdas/adapters/secrets-token-vault.ts';
const TOKEN_PROVIDER = 'lambdas/adapters/secrets-token-provider.ts';
const WIRING = 'lambdas/common/deps/publish.ts';
const JOB_QUEUE = 'lambdas/adapters/sqs-job-queue.ts';
const POISON_QUEUE = 'lambdas/adapters/sqs-poison-queue.ts';

const sends = (module: string, ...commands: string[]): Need[] => commands.map((command) => ({ command, module }));

const SQS_EVENT_SOURCE: Need = {
  service: 'Lambda SQS event source mapping (polls with the execution role)',
  doc: 'https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-configure.html#events-sqs-permissions',
};
const STREAM_EVENT_SOURCE: Need = {
  service: 'Lambda DynamoDB Streams event source mapping (reads the stream with the execution role)',
  doc: 'https://docs.aws.amazon.com/lambda/latest/dg/services-dynamodb-eventsourcemapping.html#events-dynamodb-permissions',
};
const ON_FAILURE_DESTINATION: Need = {
  service: "Lambda on-failure destination of the stream mapping (sends the batch's metadata with the execution role)",
  doc: 'https://docs.aws.amazon.com/lambda/latest/dg/services-dynamodb-errors.html',
};

/** DynamoDB decrypts a customer-managed key's table key in each caller's name (kms:Decrypt, via DynamoDB); reads and writes alike. */
const tableKey = (neededBy: readonly Need[]): Grant => ({
  actions: ['kms:Decrypt'],
  resources: ['EncryptionKey'],
  condition: { viaService: 'dynamodb' },
  when: 'customer-managed-key',
  neededBy,
});

/** SQS producers of an SSE-KMS queue need GenerateDataKey (new data keys) and Decrypt (reused ones); consumers Decrypt. */
const queueKey = (actions: readonly string[], neededBy: readonly Need[]): Grant => ({
  actions,
  resources: ['EncryptionKey'],
  condition: { viaService: 'sqs' },
  when: 'customer-managed-key',
  neededBy,
});

const sendTo = (queue: GrantResource, module: string): Grant[] => [
  { actions: ['sqs:SendMessage'], resources: [queue], neededBy: sends(module, 'SendMessageCommand') },
  queueKey(['kms:Decrypt', 'kms:GenerateDataKey'], sends(module, 'SendMessageCommand')),
];

const consume = (...queues: GrantResource[]): Grant[] => [
  { actions: ['sqs:DeleteMessage', 'sqs:GetQueueAttributes', 'sqs:ReceiveMessage'], resources: queues, neededBy: [SQS_EVENT_SOURCE] },
  queueKey(['kms:Decrypt'], [SQS_EVENT_SOURCE]),
];

/** The module and command behind each single-item action on the tenants table's item-scoped kinds. */
const ITEM_NEEDS: Record<ItemScopedAccess, Record<ItemAction, Need[]>> = {
  'tenants:account-status': {
    GetItem: sends(TENANT_STORE, 'GetCommand'),
    UpdateItem: sends(TENANT_STORE, 'UpdateCommand'),
    PutItem: [],
  },
  'tenants:pacing': { GetItem: sends(PACER, 'GetCommand'), PutItem: sends(PACER, 'PutCommand'), UpdateItem: [] },
};

function itemGrants(access: ItemScopedAccess): Grant[] {
  return TENANT_ITEM_GRANTS[access].map((grant) => ({
    actions: grant.actions.map((action) => `dynamodb:${action}`),
    resources: ['TenantsTable'],
    condition: { items: { leadingKeys: grant.leadingKeys, ...(grant.attributes ? { attributes: grant.attributes } : {}) } },
    neededBy: grant.actions.flatMap((action) => ITEM_NEEDS[access][action]),
  }));
}

const jobsIndexes = (...names: JobsIndex[]): GrantResource[] => names.map((name) => `JobsTable/index/${name}` as const);

export const ACCESS_GRANTS: Readonly<Record<Access, readonly Grant[]>> = {
  'jobs:read': [
    // get-job reads one job; list-jobs pages the listing indexes; get-stats counts on by_status / by_account_status.
    { actions: ['dynamodb:GetItem'], resources: ['JobsTable'], neededBy: sends(JOB_STORE, 'GetCommand') },
    {
      actions: ['dynamodb:Query'],
      resources: jobsIndexes('by_tenant', 'by_status', 'by_account', 'by_account_status'),
      neededBy: sends(JOB_STORE, 'QueryCommand'),
    },
    tableKey(sends(JOB_STORE, 'GetCommand', 'QueryCommand')),
  ],
  'jobs:write': [
    {
      actions: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'],
      resources: ['JobsTable'],
      neededBy: sends(JOB_STORE, 'GetCommand', 'PutCommand', 'UpdateCommand'),
    },
    // The worker's verification (other succeeded jobs of the account), the sweep, the reconciler.
    {
      actions: ['dynamodb:Query'],
      resources: jobsIndexes('by_account_status', 'by_pending_enqueue', 'by_due'),
      neededBy: sends(JOB_STORE, 'QueryCommand'),
    },
    tableKey(sends(JOB_STORE, 'GetCommand', 'PutCommand', 'UpdateCommand', 'QueryCommand')),
  ],
  'tenants:read': [
    // API key and account lookups, pacing state for GET /rate and /stats; a tenant's accounts for /stats.
    {
      actions: ['dynamodb:GetItem', 'dynamodb:Query'],
      resources: ['TenantsTable'],
      neededBy: [...sends(TENANT_STORE, 'GetCommand'), ...sends(PACER, 'GetCommand'), ...sends(TENANT_DIRECTORY, 'QueryCommand')],
    },
    tableKey([...sends(TENANT_STORE, 'GetCommand'), ...sends(TENANT_DIRECTORY, 'QueryCommand')]),
  ],
  'tenants:write': [
    // put-account: read the existing account, write the new connection.
    {
      actions: ['dynamodb:GetItem', 'dynamodb:PutItem'],
      resources: ['TenantsTable'],
      neededBy: sends(TENANT_STORE, 'GetCommand', 'PutCommand'),
    },
    tableKey(sends(TENANT_STORE, 'GetCommand', 'PutCommand')),
  ],
  'tenants:account-status': [...itemGrants('tenants:account-status'), tableKey(sends(TENANT_STORE, 'GetCommand', 'UpdateCommand'))],
  'tenants:pacing': [...itemGrants('tenants:pacing'), tableKey(sends(PACER, 'GetCommand', 'PutCommand'))],
  'secrets:write': [
    // CreateSecret carries tags (tenant, account): TagResource. Secrets Manager validates the key with
    // GenerateDataKey and Decrypt on create, and generates a data key for every value written.
    {
      actions: ['secretsmanager:CreateSecret', 'secretsmanager:PutSecretValue', 'secretsmanager:TagResource'],
      resources: ['AccountSecrets'],
      neededBy: sends(TOKEN_VAULT, 'CreateSecretCommand', 'PutSecretValueCommand'),
    },
    {
      actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
      resources: ['EncryptionKey'],
      condition: { viaService: 'secretsmanager' },
      neededBy: sends(TOKEN_VAULT, 'CreateSecretCommand', 'PutSecretValueCommand'),
    },
  ],
  'secrets:read': [
    { actions: ['secretsmanager:GetSecretValue'], resources: ['AccountSecrets'], neededBy: sends(TOKEN_PROVIDER, 'GetSecretValueCommand') },
    {
      actions: ['kms:Decrypt'],
      resources: ['EncryptionKey'],
      condition: { viaService: 'secretsmanager' },
      neededBy: sends(TOKEN_PROVIDER, 'GetSecretValueCommand'),
    },
  ],
  'secrets:rotate': [
    { actions: ['secretsmanager:PutSecretValue'], resources: ['AccountSecrets'], neededBy: sends(TOKEN_PROVIDER, 'PutSecretValueCommand') },
    {
      actions: ['kms:GenerateDataKey'],
      resources: ['EncryptionKey'],
      condition: { viaService: 'secretsmanager' },
      neededBy: sends(TOKEN_PROVIDER, 'PutSecretValueCommand'),
    },
  ],
  'publish-queue:send': sendTo('PublishQueue', JOB_QUEUE),
  'delay-queue:send': sendTo('DelayQueue', JOB_QUEUE),
  'poison-queue:send': sendTo('PoisonMessageQueue', POISON_QUEUE),
  // The bus's key (when the stage has one) is EventBridge's to use, through the key policy: callers need no KMS grant.
  'events:put': [{ actions: ['events:PutEvents'], resources: ['JobEvents'], neededBy: sends(EVENT_PUBLISHER, 'PutEventsCommand') }],
  'pinterest:call': [
    { actions: ['secretsmanager:GetSecretValue'], resources: ['PinterestAppSecret'], neededBy: sends(WIRING, 'GetSecretValueCommand') },
    {
      actions: ['kms:Decrypt'],
      resources: ['EncryptionKey'],
      condition: { viaService: 'secretsmanager' },
      neededBy: sends(WIRING, 'GetSecretValueCommand'),
    },
  ],
  'webhooks:manage': [
    // CreateApiDestination is authorized against the destination and the connection it uses.
    {
      actions: ['events:CreateApiDestination', 'events:CreateConnection', 'events:DeleteConnection', 'events:UpdateConnection'],
      resources: ['WebhookConnections'],
      neededBy: sends(
        WEBHOOK_PROVISIONER,
        'CreateApiDestinationCommand',
        'CreateConnectionCommand',
        'DeleteConnectionCommand',
        'UpdateConnectionCommand',
      ),
    },
    {
      actions: ['events:CreateApiDestination', 'events:DeleteApiDestination'],
      resources: ['WebhookApiDestinations'],
      neededBy: sends(WEBHOOK_PROVISIONER, 'CreateApiDestinationCommand', 'DeleteApiDestinationCommand'),
    },
    {
      actions: ['events:DeleteRule', 'events:PutRule', 'events:PutTargets', 'events:RemoveTargets'],
      resources: ['WebhookRules'],
      neededBy: sends(WEBHOOK_PROVISIONER, 'DeleteRuleCommand', 'PutRuleCommand', 'PutTargetsCommand', 'RemoveTargetsCommand'),
    },
    // The rules-per-bus quota check: ListRules is authorized against the account's rules, not one rule.
    { actions: ['events:ListRules'], resources: ['AllRules'], neededBy: sends(WEBHOOK_PROVISIONER, 'ListRulesCommand') },
    // Test events (POST /v1/webhooks/{id}/test).
    { actions: ['events:PutEvents'], resources: ['JobEvents'], neededBy: sends(WEBHOOK_PROVISIONER, 'PutEventsCommand') },
    // EventBridge creates, updates and deletes each connection's secret with the caller's permissions.
    {
      actions: [
        'secretsmanager:CreateSecret',
        'secretsmanager:DeleteSecret',
        'secretsmanager:DescribeSecret',
        'secretsmanager:PutSecretValue',
        'secretsmanager:UpdateSecret',
      ],
      resources: ['WebhookConnectionSecrets'],
      neededBy: sends(WEBHOOK_PROVISIONER, 'CreateConnectionCommand', 'DeleteConnectionCommand', 'UpdateConnectionCommand'),
    },
    {
      actions: ['iam:PassRole'],
      resources: ['WebhookTargetRole'],
      condition: { passedToService: 'events.amazonaws.com' },
      neededBy: sends(WEBHOOK_PROVISIONER, 'PutTargetsCommand'),
    },
    // WEBHOOK#… items live in the tenants' partitions; IAM cannot condition on the sort key.
    {
      actions: ['dynamodb:DeleteItem', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query', 'dynamodb:UpdateItem'],
      resources: ['TenantsTable'],
      condition: { items: { leadingKeys: ['TENANT#*'] } },
      neededBy: sends(WEBHOOK_STORE, 'DeleteCommand', 'GetCommand', 'PutCommand', 'QueryCommand', 'UpdateCommand'),
    },
    tableKey(sends(WEBHOOK_STORE, 'DeleteCommand', 'GetCommand', 'PutCommand', 'QueryCommand', 'UpdateCommand')),
  ],
  'pacing:config': [],
  'worker:config': [],
  'sweeper:config': [],
  'reconcile:config': [],
};

export type TriggerKind = FunctionDefinition['trigger']['kind'];

/**
 * What a trigger needs from the function's role: AWS invokes API, authorizer and schedule functions itself
 * (their permissions are resource policies on the function), while event source mappings poll with the role.
 */
export const TRIGGER_GRANTS: Readonly<Record<TriggerKind, readonly Grant[]>> = {
  api: [],
  authorizer: [],
  schedule: [],
  'jobs-stream': [
    {
      actions: ['dynamodb:DescribeStream', 'dynamodb:GetRecords', 'dynamodb:GetShardIterator'],
      resources: ['JobsTable/stream'],
      neededBy: [STREAM_EVENT_SOURCE],
    },
    // ListStreams has no resource-level permissions: "*" is its only resource.
    { actions: ['dynamodb:ListStreams'], resources: ['*'], neededBy: [STREAM_EVENT_SOURCE] },
    tableKey([STREAM_EVENT_SOURCE]),
    { actions: ['sqs:SendMessage'], resources: ['OutboxDeadLetterQueue'], neededBy: [ON_FAILURE_DESTINATION] },
    queueKey(['kms:Decrypt', 'kms:GenerateDataKey'], [ON_FAILURE_DESTINATION]),
  ],
  'publish-queue': consume('PublishQueue'),
  'delay-queue': consume('DelayQueue'),
  'dead-letter-queues': consume('PublishDeadLetterQueue', 'DelayDeadLetterQueue'),
};

/** What every function holds whatever its access: its own log group, and X-Ray (active tracing). */
export const EVERY_FUNCTION_GRANTS: readonly Grant[] = [
  {
    actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
    resources: ['LogGroup'],
    neededBy: [{ service: 'Lambda runtime logging', doc: 'https://docs.aws.amazon.com/lambda/latest/dg/monitoring-cloudwatchlogs.html' }],
  },
  {
    // X-Ray has no resource-level permissions for these: "*" is their only resource.
    actions: ['xray:PutTelemetryRecords', 'xray:PutTraceSegments'],
    resources: ['*'],
    neededBy: [{ service: 'Lambda active tracing', doc: 'https://docs.aws.amazon.com/lambda/latest/dg/services-xray.html' }],
  },
];

/** Grants that apply to a stage: the customer-managed-key ones only when it has one. */
export function grantsFor(grants: readonly Grant[], options: { readonly customerManagedKey: boolean }): Grant[] {
  return grants.filter((grant) => grant.when !== 'customer-managed-key' || options.customerManagedKey);
}
