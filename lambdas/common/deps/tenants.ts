import { DynamoPacer } from '../../adapters/dynamo-pacer.ts';
import { DynamoTenantDirectory } from '../../adapters/dynamo-tenant-directory.ts';
import { DynamoTenantStore } from '../../adapters/dynamo-tenant-store.ts';
import { SecretsManagerTokenVault } from '../../adapters/secrets-token-vault.ts';
import type { RateView, TenantStore, TokenVault } from '../../use-cases/ports.ts';
import type { StatsDeps } from '../../use-cases/stats.ts';
import { dynamoClient } from '../clients/dynamo.ts';
import { secretsClient } from '../clients/secrets.ts';
import { config, required } from '../config.ts';
import { clock, jobsTable } from './jobs.ts';

/** Wiring (lambdas/common/deps/jobs.ts explains it): the tenants table, accounts' tokens and pacing state. */
export function tenantStore(): TenantStore {
  return new DynamoTenantStore(dynamoClient(), required('TENANTS_TABLE_NAME'));
}

export function tokenVault(): TokenVault {
  return new SecretsManagerTokenVault(secretsClient(), required('ACCOUNT_SECRET_PREFIX'), config().ACCOUNT_SECRET_KMS_KEY_ID);
}

/** Pacing state (lambdas/domain/pacing.ts) with the stage's app and read budgets: the worker and GET /rate. */
export function pacer(): DynamoPacer {
  const c = config();
  return new DynamoPacer(dynamoClient(), required('TENANTS_TABLE_NAME'), clock, c.PACING_APP_PER_SECOND, c.PACING_READ_PER_MINUTE);
}

/** GET /v1/accounts/{account_id}/rate: the tenant's account (its own limit) and its pacing state. */
export function accountRateDeps(): { readonly tenants: TenantStore; readonly pacer: RateView } {
  return { tenants: tenantStore(), pacer: pacer() };
}

/** GET /v1/stats: counts on the jobs table's indexes, the tenant's accounts, and each account's pacing state. */
export function statsDeps(): StatsDeps {
  return {
    jobs: jobsTable(),
    directory: new DynamoTenantDirectory(dynamoClient(), required('TENANTS_TABLE_NAME')),
    ...accountRateDeps(),
    clock,
  };
}
