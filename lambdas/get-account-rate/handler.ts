import { accountRateJson } from '../api/serialize.ts';
import { config } from '../common/config.ts';
import { accountRateDeps } from '../common/deps/tenants.ts';
import { httpHandler, json, tenantOf } from '../common/http.ts';
import { accountRate } from '../use-cases/account-rate.ts';

export const handler = httpHandler(async (req) => {
  const tenantId = tenantOf(req);
  const accountId = req.pathParameters.account_id ?? '';
  return json(200, accountRateJson(await accountRate(accountRateDeps(), tenantId, accountId, config().PACING_ACCOUNT_PER_MINUTE)));
});
