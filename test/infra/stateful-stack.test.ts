import { Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { expectedTableProperties } from '../../lib/constructs/data-tables.ts';
import { PINTEREST_APP_PLACEHOLDER_CLIENT_ID } from '../../lib/constructs/pinterest-app-credentials.ts';
import { expectedQueueProperties } from '../../lib/constructs/publish-queues.ts';
import {
  DELAY_DLQ,
  DELAY_QUEUE,
  OUTBOX_DLQ,
  PUBLISH_DLQ,
  PUBLISH_QUEUE,
  QUEUES,
  WORKER_TIMEOUT_SECONDS,
} from '../../definitions/queues.ts';
import { JOBS_TABLE, TABLES, TENANTS_TABLE } from '../../definitions/tables.ts';
import { OPS_USAGE } from '../../bin/ops.ts';
import { arrayAt, at, resourcesOfType, synthPinrelay, type Synthesized } from './support.ts';

const FOURTEEN_DAYS = 14 * 24 * 3600;

describe('StatefulStack', () => {
  let dev: Synthesized;
  let prod: Synthesized;

  beforeAll(() => {
    dev = synthPinrelay({ stage: 'dev' });
    prod = synthPinrelay({ stage: 'prod' });
  });

  it('is named Pinrelay-<stage>-Stateful and environment-agnostic', () => {
    expect(dev.stateful.stackName).toBe('Pinrelay-dev-Stateful');
    expect(prod.stateful.stackName).toBe('Pinrelay-prod-Stateful');
    expect(dev.stateful.resolve(dev.stateful.account)).toEqual({ Ref: 'AWS::AccountId' });
    expect(dev.stateful.resolve(dev.stateful.region)).toEqual({ Ref: 'AWS::Region' });
  });

  describe('tables', () => {
    it('creates exactly the tables in TABLES', () => {
      dev.statefulTemplate.resourceCountIs('AWS::DynamoDB::Table', TABLES.length);
    });

    it('jobs table: pk key, six GSIs projecting ALL, TTL, stream NEW_AND_OLD_IMAGES', () => {
      dev.statefulTemplate.hasResourceProperties('AWS::DynamoDB::Table', {
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
        BillingMode: 'PAY_PER_REQUEST',
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        SSESpecification: { SSEEnabled: true },
        TimeToLiveSpecification: { AttributeName: 'expires_at_epoch', Enabled: true },
        StreamSpecification: { StreamViewType: 'NEW_AND_OLD_IMAGES' },
        GlobalSecondaryIndexes: [
          gsi('by_tenant', 'tenant_pk', 'list_sk'),
          gsi('by_status', 'status_pk', 'list_sk'),
          gsi('by_account', 'account_pk', 'list_sk'),
          gsi('by_account_status', 'account_status_pk', 'list_sk'),
          gsi('by_pending_enqueue', 'pending_enqueue_pk', 'pending_enqueue_since'),
          gsi('by_due', 'due_pk', 'due_at'),
        ],
      });
      const jobs = resourcesOfType(dev.statefulTemplate, 'AWS::DynamoDB::Table').find((t) => t.props.StreamSpecification);
      expect(jobs?.props.AttributeDefinitions).toHaveLength(10);
      expect(arrayAt(jobs?.props, 'AttributeDefinitions').every((a) => at(a, 'AttributeType') === 'S')).toBe(true);
    });

    it('tenants table: pk/sk, no GSIs, no TTL, no stream, same fixed settings', () => {
      const tenants = resourcesOfType(dev.statefulTemplate, 'AWS::DynamoDB::Table').find((t) => arrayAt(t.props, 'KeySchema').length === 2);
      expect(tenants?.props).toMatchObject({
        KeySchema: [
          { AttributeName: 'pk', KeyType: 'HASH' },
          { AttributeName: 'sk', KeyType: 'RANGE' },
        ],
        BillingMode: 'PAY_PER_REQUEST',
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        SSESpecification: { SSEEnabled: true },
      });
      expect(tenants?.props).not.toHaveProperty('GlobalSecondaryIndexes');
      expect(tenants?.props).not.toHaveProperty('TimeToLiveSpecification');
      expect(tenants?.props).not.toHaveProperty('StreamSpecification');
    });

    it('let CloudFormation name the tables', () => {
      for (const table of resourcesOfType(dev.statefulTemplate, 'AWS::DynamoDB::Table')) {
        expect(table.props).not.toHaveProperty('TableName');
      }
    });

    it('dev: destroyed with the stack, no deletion protection', () => {
      dev.statefulTemplate.allResources('AWS::DynamoDB::Table', {
        DeletionPolicy: 'Delete',
        Properties: Match.objectLike({ DeletionProtectionEnabled: false }),
      });
    });

    it('prod: retained and deletion-protected, stack termination-protected', () => {
      prod.statefulTemplate.allResources('AWS::DynamoDB::Table', {
        DeletionPolicy: 'Retain',
        UpdateReplacePolicy: 'Retain',
        Properties: Match.objectLike({ DeletionProtectionEnabled: true }),
      });
      expect(prod.stateful.terminationProtection).toBe(true);
      expect(dev.stateful.terminationProtection).toBe(false);
    });

    it('exports expectedTableProperties that match the synthesized tables (drift-test helper)', () => {
      for (const def of [JOBS_TABLE, TENANTS_TABLE]) {
        dev.statefulTemplate.hasResourceProperties('AWS::DynamoDB::Table', expectedTableProperties(def));
      }
      expect(dev.stateful.tables.tables.size).toBe(TABLES.length);
    });
  });

  describe('queues', () => {
    it('creates exactly the queues in QUEUES', () => {
      dev.statefulTemplate.resourceCountIs('AWS::SQS::Queue', QUEUES.length);
    });

    it('publish queue: FIFO, explicit dedup ids, per-group high throughput, visibility 6x the worker timeout, redrive after 5', () => {
      const dlqId = logicalIdOf(dev, dev.stateful.queues.publishDeadLetterQueue);
      dev.statefulTemplate.hasResourceProperties('AWS::SQS::Queue', {
        FifoQueue: true,
        ContentBasedDeduplication: false,
        DeduplicationScope: 'messageGroup',
        FifoThroughputLimit: 'perMessageGroupId',
        VisibilityTimeout: 6 * WORKER_TIMEOUT_SECONDS,
        MessageRetentionPeriod: FOURTEEN_DAYS,
        SqsManagedSseEnabled: true,
        RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': [dlqId, 'Arn'] }, maxReceiveCount: 5 },
      });
    });

    it('publish dead-letter queue: FIFO with the same dedup settings, no redrive of its own', () => {
      const dlq = propsOf(dev, dev.stateful.queues.publishDeadLetterQueue);
      expect(dlq).toMatchObject({
        FifoQueue: true,
        ContentBasedDeduplication: false,
        DeduplicationScope: 'messageGroup',
        FifoThroughputLimit: 'perMessageGroupId',
        VisibilityTimeout: PUBLISH_DLQ.visibilityTimeoutSeconds,
        MessageRetentionPeriod: FOURTEEN_DAYS,
        SqsManagedSseEnabled: true,
      });
      expect(dlq).not.toHaveProperty('RedrivePolicy');
    });

    it('delay queue: standard, redrive to its standard DLQ after 10 receives', () => {
      const delay = propsOf(dev, dev.stateful.queues.delayQueue);
      expect(delay).not.toHaveProperty('FifoQueue');
      expect(delay).toMatchObject({
        VisibilityTimeout: DELAY_QUEUE.visibilityTimeoutSeconds,
        MessageRetentionPeriod: FOURTEEN_DAYS,
        SqsManagedSseEnabled: true,
        RedrivePolicy: {
          deadLetterTargetArn: { 'Fn::GetAtt': [logicalIdOf(dev, dev.stateful.queues.delayDeadLetterQueue), 'Arn'] },
          maxReceiveCount: 10,
        },
      });
      const delayDlq = propsOf(dev, dev.stateful.queues.delayDeadLetterQueue);
      expect(delayDlq).not.toHaveProperty('FifoQueue');
      expect(delayDlq).toMatchObject({ VisibilityTimeout: DELAY_DLQ.visibilityTimeoutSeconds, SqsManagedSseEnabled: true });
    });

    it('outbox dead-letter queue: standard, encrypted, 14 days', () => {
      const outbox = propsOf(dev, dev.stateful.queues.outboxDeadLetterQueue);
      expect(outbox).toMatchObject({
        VisibilityTimeout: OUTBOX_DLQ.visibilityTimeoutSeconds,
        MessageRetentionPeriod: FOURTEEN_DAYS,
        SqsManagedSseEnabled: true,
      });
      expect(outbox).not.toHaveProperty('FifoQueue');
    });

    it('every queue denies non-TLS access (enforceSSL) and is CloudFormation-named', () => {
      for (const queue of resourcesOfType(dev.statefulTemplate, 'AWS::SQS::Queue')) {
        expect(queue.props).not.toHaveProperty('QueueName');
        dev.statefulTemplate.hasResourceProperties('AWS::SQS::QueuePolicy', {
          Queues: [{ Ref: queue.id }],
          PolicyDocument: {
            Statement: Match.arrayWith([
              Match.objectLike({
                Effect: 'Deny',
                Action: 'sqs:*',
                Condition: { Bool: { 'aws:SecureTransport': 'false' } },
              }),
            ]),
          },
        });
      }
    });

    it('dev queues are deleted with the stack, prod queues retained', () => {
      dev.statefulTemplate.allResources('AWS::SQS::Queue', { DeletionPolicy: 'Delete' });
      prod.statefulTemplate.allResources('AWS::SQS::Queue', { DeletionPolicy: 'Retain' });
    });

    it('exports expectedQueueProperties that match the synthesized queues (drift-test helper)', () => {
      for (const def of [PUBLISH_DLQ, PUBLISH_QUEUE, DELAY_DLQ, DELAY_QUEUE, OUTBOX_DLQ]) {
        expect(propsOf(dev, dev.stateful.queues.queues.get(def.logicalName)!)).toMatchObject(expectedQueueProperties(def));
      }
    });
  });

  it('account-secrets key: customer-managed, rotation on, retained in prod', () => {
    dev.statefulTemplate.resourceCountIs('AWS::KMS::Key', 1);
    dev.statefulTemplate.hasResource('AWS::KMS::Key', {
      Properties: Match.objectLike({ EnableKeyRotation: true }),
      DeletionPolicy: 'Delete',
    });
    prod.statefulTemplate.hasResource('AWS::KMS::Key', { DeletionPolicy: 'Retain' });
    expect(dev.stateful.accountSecrets.secretPrefix).toBe('pinrelay/dev/accounts');
    expect(prod.stateful.accountSecrets.secretPrefix).toBe('pinrelay/prod/accounts');
  });

  describe('Pinterest app credentials secret', () => {
    it('one secret, encrypted with the account-secrets key, CDK-named', () => {
      dev.statefulTemplate.resourceCountIs('AWS::SecretsManager::Secret', 1);
      const secret = propsOf(dev, dev.stateful.pinterestAppCredentials.secret);
      expect(secret.KmsKeyId).toEqual({ 'Fn::GetAtt': [logicalIdOf(dev, dev.stateful.accountSecrets.key), 'Arn'] });
      expect(secret).not.toHaveProperty('Name');
      expect(secret.Description).toMatch(/Pinterest app OAuth credentials/);
    });

    it('holds a generated placeholder {client_id, client_secret}: no plaintext secret value in the template', () => {
      const secret = propsOf(dev, dev.stateful.pinterestAppCredentials.secret);
      expect(secret).not.toHaveProperty('SecretString');
      expect(secret.GenerateSecretString).toMatchObject({
        SecretStringTemplate: JSON.stringify({ client_id: PINTEREST_APP_PLACEHOLDER_CLIENT_ID }),
        GenerateStringKey: 'client_secret',
      });
      // Nowhere in either stack: no SecretString, no SecretValue.unsafePlainText.
      for (const template of [dev.statefulTemplate, dev.statelessTemplate]) {
        expect(JSON.stringify(template.toJSON())).not.toMatch(/"SecretString"/);
      }
    });

    it('has no rotation schedule (rotated in the Pinterest developer console), deleted with dev, retained in prod', () => {
      dev.statefulTemplate.resourceCountIs('AWS::SecretsManager::RotationSchedule', 0);
      dev.statefulTemplate.hasResource('AWS::SecretsManager::Secret', { DeletionPolicy: 'Delete' });
      prod.statefulTemplate.hasResource('AWS::SecretsManager::Secret', { DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
    });

    it('outputs the secret ARN (for put-secret-value)', () => {
      dev.statefulTemplate.hasOutput('PinterestAppSecretArn', {
        Value: { Ref: logicalIdOf(dev, dev.stateful.pinterestAppCredentials.secret) },
      });
    });
  });

  it('job events bus: one custom bus, CDK-named', () => {
    dev.statefulTemplate.resourceCountIs('AWS::Events::EventBus', 1);
    const [bus] = resourcesOfType(dev.statefulTemplate, 'AWS::Events::EventBus');
    expect(bus?.props.Name).toMatch(/^PinrelaydevStatefulJobEvents[0-9A-F]{8}$/);
  });

  it('outputs the table names and the bus name', () => {
    dev.statefulTemplate.hasOutput('TenantsTableName', {
      Value: { Ref: logicalIdOf(dev, dev.stateful.tables.tenantsTable) },
    });
    dev.statefulTemplate.hasOutput('JobsTableName', { Value: { Ref: logicalIdOf(dev, dev.stateful.tables.jobsTable) } });
    dev.statefulTemplate.hasOutput('EventBusName', { Value: Match.anyValue() });
  });

  it('outputs the URL of each queue the admin CLI works on, naming the variable it reads it from', () => {
    const q = dev.stateful.queues;
    const expected: Array<[output: string, variable: string, queue: { node: { defaultChild?: unknown } }]> = [
      ['PublishQueueUrl', 'PUBLISH_QUEUE_URL', q.publishQueue],
      ['PublishDeadLetterQueueUrl', 'PUBLISH_DLQ_URL', q.publishDeadLetterQueue],
      ['DelayQueueUrl', 'DELAY_QUEUE_URL', q.delayQueue],
      ['DelayDeadLetterQueueUrl', 'DELAY_DLQ_URL', q.delayDeadLetterQueue],
      ['OutboxDeadLetterQueueUrl', 'OUTBOX_DLQ_URL', q.outboxDeadLetterQueue],
      ['PoisonMessageQueueUrl', 'POISON_QUEUE_URL', q.poisonQueue],
      ['WebhookDeadLetterQueueUrl', 'WEBHOOK_DLQ_URL', dev.stateful.webhooks.deadLetterQueue],
    ];
    for (const [output, variable, queue] of expected) {
      dev.statefulTemplate.hasOutput(output, {
        Value: { Ref: logicalIdOf(dev, queue) },
        Description: Match.stringLikeRegexp(`\\(${variable}\\b`),
      });
    }
    // Every queue variable the CLI's usage names has its output, and no output names another.
    const outputs = dev.statefulTemplate.toJSON().Outputs as Record<string, { Description?: string }>;
    const described = Object.values(outputs).flatMap((o) => o.Description?.match(/\b[A-Z_]+_URL\b/g) ?? []);
    const used = OPS_USAGE.match(/\b[A-Z_]+_URL\b/g) ?? [];
    expect(used.length).toBeGreaterThan(0);
    expect(new Set(described)).toEqual(new Set(used));
    expect(new Set(used)).toEqual(new Set(expected.map(([, variable]) => variable)));
  });
});

function gsi(indexName: string, partitionKey: string, sortKey: string) {
  return {
    IndexName: indexName,
    KeySchema: [
      { AttributeName: partitionKey, KeyType: 'HASH' },
      { AttributeName: sortKey, KeyType: 'RANGE' },
    ],
    Projection: { ProjectionType: 'ALL' },
  };
}

function logicalIdOf(s: Synthesized, construct: { node: { defaultChild?: unknown } }): string {
  return s.stateful.getLogicalId(construct.node.defaultChild as never);
}

function propsOf(s: Synthesized, construct: { node: { defaultChild?: unknown } }): Record<string, unknown> {
  const id = logicalIdOf(s, construct);
  const resource = s.statefulTemplate.toJSON().Resources[id] as { Properties: Record<string, unknown> };
  return resource.Properties;
}
