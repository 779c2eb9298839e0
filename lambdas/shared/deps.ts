import { DynamoJobStore } from '../adapters/dynamo-job-store.ts';
import { DynamoTenantStore } from '../adapters/dynamo-tenant-store.ts';
import { SecretsManagerTokenVault } from '../adapters/secrets-token-vault.ts';
import { SqsJobQueue } from '../adapters/sqs-job-queue.ts';
import { systemClock } from '../domain/clock.ts';
import type { JobQueue, JobStore, TenantStore, TokenVault } from '../use-cases/ports.ts';
import { dynamoClient, secretsClient, sqsClient } from './clients.ts';
import { config, required } from './config.ts';

/**
 * The composition root of the Lambda side: real adapters over the module-singleton clients, built on
 * first use so each function only needs the configuration of the ports it actually uses.
 */
export const clock = systemClock;

export function jobStore(): JobStore {
  return new DynamoJobStore(dynamoClient(), required('JOBS_TABLE_NAME'), config().JOB_RETENTION_DAYS);
}

export function tenantStore(): TenantStore {
  return new DynamoTenantStore(dynamoClient(), required('TENANTS_TABLE_NAME'));
}

export function tokenVault(): TokenVault {
  return new SecretsManagerTokenVault(secretsClient(), required('ACCOUNT_SECRET_PREFIX'), config().ACCOUNT_SECRET_KMS_KEY_ID);
}

export function jobQueue(): JobQueue {
  return new SqsJobQueue(sqsClient(), required('PUBLISH_QUEUE_URL'), required('DELAY_QUEUE_URL'));
}
