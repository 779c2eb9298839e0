import { ArnFormat, CfnOutput, RemovalPolicy, Stack, Validations, type StackProps } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as events from 'aws-cdk-lib/aws-events';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import type { Construct } from 'constructs';
import { staticWebhookOutputName, type StageConfig } from '../config.ts';
import { AccountSecrets } from '../constructs/account-secrets.ts';
import { DataTables } from '../constructs/data-tables.ts';
import { PinterestAppCredentials } from '../constructs/pinterest-app-credentials.ts';
import { PublishQueues } from '../constructs/publish-queues.ts';
import { StaticWebhookSubscriptions } from '../constructs/static-webhooks.ts';
import { Webhooks } from '../constructs/webhooks.ts';
import {
  DELAY_DLQ,
  DELAY_QUEUE,
  OUTBOX_DLQ,
  POISON_QUEUE,
  PUBLISH_DLQ,
  PUBLISH_QUEUE,
  WEBHOOK_DLQ,
  type QueueDefinition,
} from '../../definitions/queues.ts';
import { WEBHOOK_SECRET_HEADER } from '../../definitions/webhooks.ts';

/**
 * The queues the admin CLI works on (`npm run admin -- queues`, `dlq redrive`; bin/ops.ts) and the variable it
 * reads each URL from: each gets a stack output `<logicalName>Url` naming that variable, so an operator
 * exports the outputs rather than look the URLs up (`--stage` finds the queues by their generated names
 * instead). The webhook DLQ's output, `WebhookDeadLetterQueueUrl`, is made with the webhook outputs.
 */
const ADMIN_QUEUE_OUTPUTS: ReadonlyArray<{ readonly queue: QueueDefinition; readonly variable: string; readonly what: string }> = [
  { queue: PUBLISH_QUEUE, variable: 'PUBLISH_QUEUE_URL', what: 'Publish queue' },
  { queue: PUBLISH_DLQ, variable: 'PUBLISH_DLQ_URL', what: 'Publish dead-letter queue' },
  { queue: DELAY_QUEUE, variable: 'DELAY_QUEUE_URL', what: 'Delay queue' },
  { queue: DELAY_DLQ, variable: 'DELAY_DLQ_URL', what: 'Delay dead-letter queue' },
  { queue: OUTBOX_DLQ, variable: 'OUTBOX_DLQ_URL', what: 'Outbox dead-letter queue' },
  { queue: POISON_QUEUE, variable: 'POISON_QUEUE_URL', what: 'Poison queue' },
];

export interface StatefulStackProps extends StackProps {
  readonly config: StageConfig;
}

/**
 * Everything that holds data or identity and outlives a code deploy: the jobs and tenants tables, the
 * queues, the job event bus, the key of the account-token secrets and the Pinterest app credentials
 * secret. The stateless stack (functions, API, rules) is built on top and can be destroyed and
 * redeployed freely.
 */
export class StatefulStack extends Stack {
  public readonly tables: DataTables;
  public readonly queues: PublishQueues;
  /** Job state-change events (`source: pinrelay`, `detail-type: job.<status>`); webhooks subscribe here. */
  public readonly eventBus: events.EventBus;
  public readonly accountSecrets: AccountSecrets;
  /**
   * The stage key (customer-managed, rotation on): always the secrets' key; with `encryption.customerManagedKey`
   * also the tables', the queues' and the bus's (docs/security.md).
   */
  public readonly encryptionKey: kms.Key;
  /** `encryption.customerManagedKey`: tables, queues and bus use `encryptionKey`. */
  public readonly customerManagedKey: boolean;
  /** The Pinterest app's `{client_id, client_secret}` (placeholder until the operator sets it: docs/deploy.md). */
  public readonly pinterestAppCredentials: PinterestAppCredentials;
  /** Where alarms notify: e-mail to the stage's `alarmEmail` when it is set. */
  public readonly alarmTopic: sns.Topic;
  /** What webhook subscriptions share: name prefix, target role, DLQ (policy and alarm). */
  public readonly webhooks: Webhooks;
  /** Subscriptions managed as code (`webhooks.subscriptions`): one connection, API destination, rule and target each. */
  public readonly staticWebhooks: StaticWebhookSubscriptions;

  constructor(scope: Construct, id: string, props: StatefulStackProps) {
    const { stage, settings } = props.config;
    const retain = settings.removalPolicy === 'retain';
    super(scope, id, {
      description: `pinrelay ${stage}: tables, queues, event bus, account-secrets key, Pinterest app credentials`,
      terminationProtection: retain,
      ...props,
    });
    const removalPolicy = retain ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;

    this.customerManagedKey = settings.encryption.customerManagedKey;
    // The stage key lives with the account secrets it has always encrypted (its construct id never changes).
    this.accountSecrets = new AccountSecrets(this, 'AccountSecrets', { stage, removalPolicy, encryptsData: this.customerManagedKey });
    this.encryptionKey = this.accountSecrets.key;
    const dataKey = this.customerManagedKey ? { encryptionKey: this.encryptionKey } : {};
    this.tables = new DataTables(this, 'Tables', { removalPolicy, ...dataKey });
    this.queues = new PublishQueues(this, 'Queues', { removalPolicy, ...dataKey });
    // With the stage key, CDK adds the key policy statement EventBridge needs (Decrypt, GenerateDataKey,
    // DescribeKey for this bus only: aws:SourceArn and the bus's encryption context).
    this.eventBus = new events.EventBus(this, 'JobEvents', {
      description: `pinrelay ${stage}: job state-change events`,
      ...(this.customerManagedKey ? { kmsKey: this.encryptionKey } : {}),
    });
    this.pinterestAppCredentials = new PinterestAppCredentials(this, 'PinterestAppCredentials', {
      stage,
      encryptionKey: this.accountSecrets.key,
      removalPolicy,
    });

    this.alarmTopic = new sns.Topic(this, 'AlarmTopic', {
      displayName: `pinrelay ${stage} alarms`,
      enforceSSL: true,
    });
    // CloudWatch publishes alarm notifications as its service principal; only this account's alarms may.
    this.alarmTopic.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'CloudWatchAlarms',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [this.alarmTopic.topicArn],
        conditions: {
          ArnLike: {
            'aws:SourceArn': this.formatArn({
              service: 'cloudwatch',
              resource: 'alarm',
              resourceName: '*',
              arnFormat: ArnFormat.COLON_RESOURCE_NAME,
            }),
          },
        },
      }),
    );
    if (settings.alarmEmail) this.alarmTopic.addSubscription(new subscriptions.EmailSubscription(settings.alarmEmail));
    Validations.of(this.alarmTopic).acknowledge({
      id: 'AwsSolutions-SNS2',
      reason:
        'Alarm notifications carry only the alarm name, state and metric, never customer data; CloudWatch cannot publish to a topic ' +
        'encrypted with the AWS-managed SNS key, and a customer-managed key only for alarm notifications adds cost and a key policy to get right.',
    });
    const webhookDeadLetterQueue = this.queues.queues.get(WEBHOOK_DLQ.logicalName);
    if (!webhookDeadLetterQueue) throw new Error(`queue ${WEBHOOK_DLQ.logicalName} is missing from QUEUES`);
    this.webhooks = new Webhooks(this, 'Webhooks', {
      stage,
      eventBus: this.eventBus,
      deadLetterQueue: webhookDeadLetterQueue,
      alarmTopic: this.alarmTopic,
      ...dataKey,
    });
    this.staticWebhooks = new StaticWebhookSubscriptions(this, 'StaticWebhooks', {
      stage,
      subscriptions: settings.webhooks.subscriptions ?? [],
      eventBus: this.eventBus,
      webhooks: this.webhooks,
      encryptionKey: this.accountSecrets.key,
      invocationRateLimitPerSecond: settings.webhooks.invocationRateLimitPerSecond,
      removalPolicy,
    });

    Validations.of(this.queues.outboxDeadLetterQueue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason:
        'This queue is itself a dead-letter destination: the on-failure destination of the jobs-stream event source mapping ' +
        '(lib/constructs/job-outbox.ts), which cdk-nag cannot see as a redrive target.',
    });
    Validations.of(this.queues.poisonQueue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason:
        'This queue is the last stop after the dead-letter queues: record-dead-letters parks messages that are not job messages here ' +
        'for a human (nothing consumes it, so nothing can fail on it and nothing needs a dead-letter queue of its own).',
    });

    new CfnOutput(this, 'JobsTableName', {
      description: 'Jobs table (JOBS_TABLE_NAME)',
      value: this.tables.jobsTable.tableName,
    });
    new CfnOutput(this, 'TenantsTableName', {
      description: 'Tenants table (TENANTS_TABLE_NAME): the admin CLI creates tenants and API keys here',
      value: this.tables.tenantsTable.tableName,
    });
    for (const { queue, variable, what } of ADMIN_QUEUE_OUTPUTS) {
      const built = this.queues.queues.get(queue.logicalName);
      if (!built) throw new Error(`no queue ${queue.logicalName} (definitions/queues.ts QUEUES)`);
      new CfnOutput(this, `${queue.logicalName}Url`, {
        description: `${what} (${variable} for npm run admin -- queues, dlq redrive)`,
        value: built.queueUrl,
      });
    }
    new CfnOutput(this, 'EventBusName', {
      description: 'Job events bus (EVENT_BUS_NAME)',
      value: this.eventBus.eventBusName,
    });
    new CfnOutput(this, 'WebhookDeadLetterQueueUrl', {
      description: 'Webhook DLQ (WEBHOOK_DLQ_URL): deliveries that ran out of retries (replay with npm run admin -- webhooks replay)',
      value: webhookDeadLetterQueue.queueUrl,
    });
    new CfnOutput(this, 'WebhookNamePrefix', {
      description:
        'Name prefix of every webhook connection, API destination and rule (WEBHOOK_NAME_PREFIX: npm run admin -- webhooks replay)',
      value: this.webhooks.namePrefix,
    });
    for (const subscription of this.staticWebhooks.subscriptions) {
      const { name, description } = subscription.config;
      new CfnOutput(this, `StaticWebhook${staticWebhookOutputName(name)}SecretArn`, {
        description:
          `Static webhook ${subscription.webhookId}${description ? ` (${description})` : ''}: its ${WEBHOOK_SECRET_HEADER} value ` +
          '(aws secretsmanager get-secret-value --secret-id <this ARN>)',
        value: subscription.secret.secretArn,
      });
    }
    new CfnOutput(this, 'PinterestAppSecretArn', {
      description: 'Pinterest app credentials secret: store {"client_id","client_secret"} here after the first deploy (docs/deploy.md)',
      value: this.pinterestAppCredentials.secret.secretArn,
    });
  }
}
