import { RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { JOBS_TABLE, TABLES, TENANTS_TABLE, keyAttributes, type KeyDefinition, type TableDefinition } from '../../definitions/tables.ts';

/**
 * pinrelay's DynamoDB tables, built from `TABLES` (definitions/tables.ts) so the deployed tables
 * and local mode's emulated ones cannot drift.
 *
 * Fixed for every table: on-demand billing, point-in-time recovery, AWS-managed KMS encryption (the
 * `aws/dynamodb` key: encrypted at rest with KMS and visible in CloudTrail, without a customer key
 * whose policy every reader — including the stream consumer — would need), string keys, GSIs
 * projecting ALL, TTL and stream as the definition says, CDK-generated table names.
 */
export interface DataTablesProps {
  /**
   * What happens to the tables when the stack is deleted. RETAIN also turns on deletion protection.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
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
      tables.set(def.logicalName, buildTable(this, def, removalPolicy));
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

function buildTable(scope: Construct, def: TableDefinition, removalPolicy: RemovalPolicy): dynamodb.Table {
  const table = new dynamodb.Table(scope, def.logicalName, {
    partitionKey: stringKey(def.key.partitionKey),
    ...(def.key.sortKey ? { sortKey: stringKey(def.key.sortKey) } : {}),
    billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
    pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
    encryption: dynamodb.TableEncryption.AWS_MANAGED,
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

/** Item-level actions only: no PartiQL, no table management, no stream reads (the event source grants those). */
const READ_ACTIONS = [
  'dynamodb:GetItem',
  'dynamodb:BatchGetItem',
  'dynamodb:Query',
  'dynamodb:Scan',
  'dynamodb:ConditionCheckItem',
  'dynamodb:DescribeTable',
];
const WRITE_ACTIONS = ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:BatchWriteItem'];

/**
 * Grant item access to a table and to each of its definition's indexes by name.
 *
 * Why not `table.grantReadData()`: CDK's grant adds `<table arn>/index/*`, a wildcard cdk-nag (IAM5)
 * flags and whose acknowledgement would have to spell out the cross-stack import token. The
 * definition knows every index, so the grant can list them: same access, no wildcard.
 */
export function grantTableData(
  grantee: iam.IGrantable,
  table: dynamodb.ITable,
  def: TableDefinition,
  mode: 'read' | 'read-write',
): iam.Grant {
  const indexArns = def.globalSecondaryIndexes.map((index) => `${table.tableArn}/index/${index.indexName}`);
  return iam.Grant.addToPrincipal({
    grantee,
    actions: mode === 'read' ? READ_ACTIONS : [...READ_ACTIONS, ...WRITE_ACTIONS],
    resourceArns: [table.tableArn, ...indexArns],
  });
}
