import { accountJson } from '../api/serialize.ts';
import { tenantStore } from '../common/deps/tenants.ts';
import { httpHandler, json, tenantOf } from '../common/http.ts';
import { setJobContext } from '../common/observability.ts';
import { getAccount } from '../use-cases/accounts.ts';

export const handler = httpHandler(async (req) => {
  const tenantId = tenantOf(req);
  const accountId = req.pathParameters.account_id ?? '';
  setJobContext({ account_id: accountId });
  return json(200, accountJson(await getAccount({ tenants: tenantStore() }, tenantId, accountId)));
});
