import type { AccountRate } from '../domain/account.ts';
import { getAccount } from './accounts.ts';
import type { RateView, TenantStore } from './ports.ts';

/**
 * GET /v1/accounts/{account_id}/rate: the account must exist for this tenant (AccountNotFound otherwise); its limit is
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
