import { config } from '../common/config.ts';
import { pacer, tenantStore } from '../common/deps.ts';
import { httpHandler, json, tenantOf } from '../common/http.ts';
import { accountRate } from '../use-cases/account-rate.ts';

export const handler = httpHandler(async (req) => {
  const tenantId = tenantOf(req);
  const accountId = req.pathParameters['account_id'] ?? '';
  return json(200, await accountRate({ tenants: tenantStore(), pacer: pacer() }, tenantId, accountId, config().PACING_ACCOUNT_PER_MINUTE));
});
