import { tenantStore } from '../shared/deps.ts';
import { httpHandler, json, tenantOf } from '../shared/http.ts';
import { setJobContext } from '../shared/observability.ts';
import { getAccount } from '../use-cases/accounts.ts';

export const handler = httpHandler(async (req) => {
  const tenantId = tenantOf(req);
  const accountId = req.pathParameters['account_id'] ?? '';
  setJobContext({ account_id: accountId });
  return json(200, await getAccount({ tenants: tenantStore() }, tenantId, accountId));
});
