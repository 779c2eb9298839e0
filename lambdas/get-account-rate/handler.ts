import { DynamoPacer } from '../adapters/dynamo-pacer.ts';
import { dynamoClient } from '../shared/clients.ts';
import { config, required } from '../shared/config.ts';
import { clock, tenantStore } from '../shared/deps.ts';
import { httpHandler, json, tenantOf } from '../shared/http.ts';
import { getAccount } from '../use-cases/accounts.ts';

export const handler = httpHandler(async (req) => {
  const tenantId = tenantOf(req);
  const accountId = req.pathParameters['account_id'] ?? '';
  const account = await getAccount({ tenants: tenantStore() }, tenantId, accountId);
  const pacer = new DynamoPacer(dynamoClient(), required('TENANTS_TABLE_NAME'), clock, config().PACING_APP_PER_SECOND);
  return json(200, await pacer.view(tenantId, accountId, account.rate_limit_per_minute ?? config().PACING_ACCOUNT_PER_MINUTE));
});
