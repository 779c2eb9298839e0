import { RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { JOBS_TABLE, TABLES, TENANTS_TABLE, keyAttributes, type KeyDefinition, type TableDefinition } from '../../definitions/tables.ts';

/**
 * pinrelay's DynamoDB tables, built from `TABLES` (definitions/tables.ts) so the deployed tables
 * and local mode's emulated ones cannot drift.
 *
 * Fixed for every table: on-demand billing, point-in-time recovery, KMS encryption at rest, string keys,
 * GSIs projecting ALL, TTL and stream as the definition says, CDK-generated table names. The key is the
 * AWS-managed `aws/dynamodb` (visible in CloudTrail, nothing to grant) unless the stage brings its own
 * (`encryptionKey`): then every reader and writer, the stream consumer included, needs kms:Decrypt on it
 * through DynamoDB (definitions/access-grants.ts), which the stage can revoke or audit per key.
 */
export interface DataTablesProps {
  /**
   * What happens to the tables when the stack is deleted. RETAIN also turns on deletion protection.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
  /**
   * Customer-managed key for every table (stage setting `encryption.customerManagedKey`).
   * @default - the AWS-managed key `aws/dynamodb`
   */
  readonly encryptionKey?: kms.IKey;
}

export class DataTables extends Construct {
  /** Jobs (JOBS_TABLE): stream NEW_AND_OLD_IMAGES feeds the job outbox. */
  public readonly jobsTable: dynamodb.Table;
  /** Tenants, API key hashes and connected accounts (TENANTS_TABLE). */
  public readonly tenantsTable: dynamodb.Table;
  /** Every table by its definition's logical name (for drift tests and observability). */
  public readonly tables: ReadonlyMap<string, dynamodb.Table>;

  constructor(scope: Construct, id: string, props: DataTablesProps = {}) {
    super(scope, id);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    const tables = new Map<string, dynamodb.Table>();
    for (const def of TABLES as readonly TableDefinition[]) {
      tables.set(def.logicalName, buildTable(this, def, removalPolicy, props.encryptionKey));
    }
    this.tables = tables;
    this.jobsTable = mustGet(tables, JOBS_TABLE.logicalName);
    this.tenantsTable = mustGet(tables, TENANTS_TABLE.logicalName);
  }
}

function mustGet<K, V>(map: ReadonlyMap<K, V>, key: K): V {
  const value = map.get(key);
  if (value === undefined) throw new Error(`table ${String(key)} is not defined in TABLES`);
  return value;
}

const stringKey = (name: string): dynamodb.Attribute => ({ name, type: dynamodb.AttributeType.STRING });

function buildTable(
  scope: Construct,
  def: TableDefinition,
  removalPolicy: RemovalPolicy,
  encryptionKey: kms.IKey | undefined,
): dynamodb.Table {
  const table = new dynamodb.Table(scope, def.logicalName, {
    partitionKey: stringKey(def.key.partitionKey),
    ...(def.key.sortKey ? { sortKey: stringKey(def.key.sortKey) } : {}),
    billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
    pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
    ...(encryptionKey
      ? { encryption: dynamodb.TableEncryption.CUSTOMER_MANAGED, encryptionKey }
      : { encryption: dynamodb.TableEncryption.AWS_MANAGED }),
    ...(def.timeToLiveAttribute ? { timeToLiveAttribute: def.timeToLiveAttribute } : {}),
    ...(def.stream ? { stream: dynamodb.StreamViewType.NEW_AND_OLD_IMAGES } : {}),
    deletionProtection: removalPolicy === RemovalPolicy.RETAIN,
    removalPolicy,
  });
  for (const index of def.globalSecondaryIndexes) {
    table.addGlobalSecondaryIndex({
      indexName: index.indexName,
      partitionKey: stringKey(index.partitionKey),
      ...(index.sortKey ? { sortKey: stringKey(index.sortKey) } : {}),
      projectionType: dynamodb.ProjectionType.ALL,
    });
  }
  return table;
}

/**
 * The `AWS::DynamoDB::Table` properties a definition must synthesize to (a subset; use with
 * `template.hasResourceProperties`). Exported for the definitions drift test.
 */
export function expectedTableProperties(def: TableDefinition): Record<string, unknown> {
  const keySchema = (k: KeyDefinition) => [
    { AttributeName: k.partitionKey, KeyType: 'HASH' },
    ...(k.sortKey ? [{ AttributeName: k.sortKey, KeyType: 'RANGE' }] : []),
  ];
  return {
    KeySchema: keySchema(def.key),
    AttributeDefinitions: keyAttributes(def).map((name) => ({ AttributeName: name, AttributeType: 'S' })),
    BillingMode: 'PAY_PER_REQUEST',
    PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
    SSESpecification: { SSEEnabled: true },
    ...(def.globalSecondaryIndexes.length > 0
      ? {
          GlobalSecondaryIndexes: def.globalSecondaryIndexes.map((index) => ({
            IndexName: index.indexName,
            KeySchema: keySchema(index),
            Projection: { ProjectionType: 'ALL' },
          })),
        }
      : {}),
    ...(def.timeToLiveAttribute ? { TimeToLiveSpecification: { AttributeName: def.timeToLiveAttribute, Enabled: true } } : {}),
    ...(def.stream ? { StreamSpecification: { StreamViewType: 'NEW_AND_OLD_IMAGES' } } : {}),
  };
}
