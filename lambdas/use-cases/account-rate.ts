import type { AccountRate } from '../api/schemas.ts';
import { getAccount } from './accounts.ts';
import type { TenantStore } from './ports.ts';

/** The pacing state of one account, as GET /v1/accounts/{account_id}/rate shows it (reads only). */
export interface RateView {
  view(tenantId: string, accountId: string, limitPerMinute: number): Promise<AccountRate>;
}

/**
 * GET /v1/accounts/{account_id}/rate: the account must exist for this tenant (404 otherwise); its limit is
 * its own rate_limit_per_minute or `defaultPerMinute`.
 */
export async function accountRate(
  deps: { readonly tenants: TenantStore; readonly pacer: RateView },
  tenantId: string,
  accountId: string,
  defaultPerMinute: number,
): Promise<AccountRate> {
  const account = await getAccount(deps, tenantId, accountId);
  return deps.pacer.view(tenantId, accountId, account.rate_limit_per_minute ?? defaultPerMinute);
}
