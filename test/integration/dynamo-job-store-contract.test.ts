import { randomBytes } from 'node:crypto';
import { CreateTableCommand, DeleteTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll } from 'vitest';
import { JOBS_TABLE } from '../../definitions/tables.ts';
import { DynamoJobStore } from '../../lambdas/adapters/dynamo-job-store.ts';
import { dynamoClient } from '../../lambdas/common/clients.ts';
import type { Pipeline } from '../../local/pipeline.ts';
import { createTableInput } from '../../local/provision.ts';
import { describeJobStoreContract } from '../contracts/job-store.ts';
import { testPipeline } from './harness.ts';

/**
 * The JobStore contract (test/contracts/job-store.ts) on the DynamoDB adapter: each test gets a jobs table
 * of its own, created from the same definition local mode and the stack use, read and written through the
 * handlers' DynamoDB client as the pipeline configures it. The unit tier runs the same contract on the fake.
 */
let pipeline: Pipeline | undefined;
let admin: DynamoDBClient;
const tables: string[] = [];

beforeAll(async () => {
  pipeline = await testPipeline({ worker: false, relay: false });
  admin = new DynamoDBClient({
    endpoint: pipeline.endpoints.dynamodb,
    region: 'us-east-1',
    credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
  });
});

afterAll(async () => {
  await Promise.allSettled(tables.map((TableName) => admin.send(new DeleteTableCommand({ TableName }))));
  admin?.destroy();
  await pipeline?.stop();
});

describeJobStoreContract('DynamoJobStore on DynamoDB Local', async () => {
  const tableName = `contract-${randomBytes(4).toString('hex')}-${JOBS_TABLE.logicalName}`;
  await admin.send(new CreateTableCommand(createTableInput(JOBS_TABLE, tableName)));
  tables.push(tableName);
  return new DynamoJobStore(dynamoClient(), tableName, 30);
});
