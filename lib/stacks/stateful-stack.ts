import { CfnOutput, RemovalPolicy, Stack, Validations, type StackProps } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import type { Construct } from 'constructs';
import type { StageConfig } from '../config.ts';
import { AccountSecrets } from '../constructs/account-secrets.ts';
import { DataTables } from '../constructs/data-tables.ts';
import { PinterestAppCredentials } from '../constructs/pinterest-app-credentials.ts';
import { PublishQueues } from '../constructs/publish-queues.ts';

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
  /** The Pinterest app's `{client_id, client_secret}` (placeholder until the operator sets it: docs/deploy.md). */
  public readonly pinterestAppCredentials: PinterestAppCredentials;

  constructor(scope: Construct, id: string, props: StatefulStackProps) {
    const { stage, settings } = props.config;
    const retain = settings.removalPolicy === 'retain';
    super(scope, id, {
      description: `pinrelay ${stage}: tables, queues, event bus, account-secrets key, Pinterest app credentials`,
      terminationProtection: retain,
      ...props,
    });
    const removalPolicy = retain ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;

    this.tables = new DataTables(this, 'Tables', { removalPolicy });
    this.queues = new PublishQueues(this, 'Queues', { removalPolicy });
    this.eventBus = new events.EventBus(this, 'JobEvents', {
      description: `pinrelay ${stage}: job state-change events`,
    });
    this.accountSecrets = new AccountSecrets(this, 'AccountSecrets', { stage, removalPolicy });
    this.pinterestAppCredentials = new PinterestAppCredentials(this, 'PinterestAppCredentials', {
      stage,
      encryptionKey: this.accountSecrets.key,
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
    new CfnOutput(this, 'EventBusName', {
      description: 'Job events bus (EVENT_BUS_NAME)',
      value: this.eventBus.eventBusName,
    });
    new CfnOutput(this, 'PinterestAppSecretArn', {
      description: 'Pinterest app credentials secret: store {"client_id","client_secret"} here after the first deploy (docs/deploy.md)',
      value: this.pinterestAppCredentials.secret.secretArn,
    });
  }
}
