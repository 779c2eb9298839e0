import {
  CreateTableCommand,
  DescribeTableCommand,
  ResourceInUseException,
  UpdateTimeToLiveCommand,
  type CreateTableCommandInput,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { CreateQueueCommand, GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { QUEUES, localQueueName, type QueueDefinition } from '../definitions/queues.ts';
import { TABLES, keyAttributes, type TableDefinition } from '../definitions/tables.ts';

/**
 * Creates local mode's tables and queues from definitions — the same definitions the CDK stack
 * is built from (test/infra/definitions-drift.test.ts holds both to the synthesized template).
 */

export function createTableInput(def: TableDefinition, tableName = def.logicalName): CreateTableCommandInput {
  const keySchema = (k: { partitionKey: string; sortKey?: string }) => [
    { AttributeName: k.partitionKey, KeyType: 'HASH' as const },
    ...(k.sortKey ? [{ AttributeName: k.sortKey, KeyType: 'RANGE' as const }] : []),
  ];
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: keyAttributes(def).map((name) => ({ AttributeName: name, AttributeType: 'S' as const })),
    KeySchema: keySchema(def.key),
    ...(def.globalSecondaryIndexes.length > 0
      ? {
          GlobalSecondaryIndexes: def.globalSecondaryIndexes.map((index) => ({
            IndexName: index.indexName,
            KeySchema: keySchema(index),
            Projection: { ProjectionType: 'ALL' as const },
          })),
        }
      : {}),
    ...(def.stream ? { StreamSpecification: { StreamEnabled: true, StreamViewType: 'NEW_AND_OLD_IMAGES' as const } } : {}),
  };
}

export function createQueueAttributes(def: QueueDefinition, arnOf: (logicalName: string) => string): Record<string, string> {
  return {
    VisibilityTimeout: String(def.visibilityTimeoutSeconds),
    MessageRetentionPeriod: String(def.retentionSeconds),
    ...(def.fifo
      ? {
          FifoQueue: 'true',
          ContentBasedDeduplication: 'false',
          DeduplicationScope: 'messageGroup',
          FifoThroughputLimit: 'perMessageGroupId',
        }
      : {}),
    ...(def.deadLetter
      ? {
          RedrivePolicy: JSON.stringify({
            deadLetterTargetArn: arnOf(def.deadLetter.queue),
            maxReceiveCount: def.deadLetter.maxReceiveCount,
          }),
        }
      : {}),
  };
}

export interface ProvisionedTable {
  readonly name: string;
  readonly streamArn: string | undefined;
}

export interface ProvisionedQueue {
  readonly url: string;
  readonly arn: string;
}

export interface Provisioned {
  readonly tables: Record<string, ProvisionedTable>;
  /** Logical queue name → URL and ARN. */
  readonly queues: Record<string, ProvisionedQueue>;
}

/** The table provision() created for `def`; throws when it created none (a definition added after provisioning). */
export function provisionedTable(provisioned: Pick<Provisioned, 'tables'>, def: TableDefinition): ProvisionedTable {
  const found = provisioned.tables[def.logicalName];
  if (!found) throw new Error(`local mode did not create table ${def.logicalName}`);
  return found;
}

/** The queue provision() created for `def`; throws when it created none. */
export function provisionedQueue(provisioned: Pick<Provisioned, 'queues'>, def: QueueDefinition): ProvisionedQueue {
  const found = provisioned.queues[def.logicalName];
  if (!found) throw new Error(`local mode did not create queue ${def.logicalName}`);
  return found;
}

/**
 * Idempotent: with `--data`, tables survive restarts and are reused as they are. `namePrefix` lets
 * several pipelines share one emulator (the integration tests do).
 */
export async function provision(
  dynamo: DynamoDBClient,
  sqs: SQSClient,
  namePrefix = '',
  visibilityOverrides: Readonly<Record<string, number>> = {},
): Promise<Provisioned> {
  const tables: Record<string, ProvisionedTable> = {};
  for (const def of TABLES) {
    const tableName = `${namePrefix}${def.logicalName}`;
    try {
      await dynamo.send(new CreateTableCommand(createTableInput(def, tableName)));
    } catch (error) {
      if (!(error instanceof ResourceInUseException)) throw error;
    }
    if (def.timeToLiveAttribute) {
      // DynamoDB Local accepts the TTL setting (and deletes expired items) like the real service.
      await dynamo
        .send(
          new UpdateTimeToLiveCommand({
            TableName: tableName,
            TimeToLiveSpecification: { AttributeName: def.timeToLiveAttribute, Enabled: true },
          }),
        )
        .catch((error: Error) => {
          if (!/already enabled/i.test(error.message)) throw error;
        });
    }
    const described = await dynamo.send(new DescribeTableCommand({ TableName: tableName }));
    tables[def.logicalName] = { name: tableName, streamArn: described.Table?.LatestStreamArn };
  }
  const queues: Record<string, ProvisionedQueue> = {};
  const arnOf = (logicalName: string) => {
    const queue = queues[logicalName];
    if (!queue) throw new Error(`queue ${logicalName} must be created before the queues that redrive to it`);
    return queue.arn;
  };
  for (const def of QUEUES) {
    const queueName = `${namePrefix}${localQueueName(def)}`;
    const created = await sqs.send(
      new CreateQueueCommand({
        QueueName: queueName,
        Attributes: {
          ...createQueueAttributes(def, arnOf),
          ...(visibilityOverrides[def.logicalName] !== undefined
            ? { VisibilityTimeout: String(visibilityOverrides[def.logicalName]) }
            : {}),
        },
      }),
    );
    const url = created.QueueUrl;
    if (!url) throw new Error(`CreateQueue ${queueName} answered without a QueueUrl`);
    const attrs = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }));
    const arn = attrs.Attributes?.QueueArn;
    if (!arn) throw new Error(`GetQueueAttributes ${queueName} answered without a QueueArn`);
    queues[def.logicalName] = { url, arn };
  }
  return { tables, queues };
}
