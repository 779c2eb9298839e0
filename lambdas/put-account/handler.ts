import { AccountId, PutAccountRequest } from '../api/schemas.ts';
import { accountJson } from '../api/serialize.ts';
import { clock } from '../common/deps/jobs.ts';
import { tenantStore, tokenVault } from '../common/deps/tenants.ts';
import { InvalidRequestError } from '../common/http-errors.ts';
import { httpHandler, json, parseJsonBody, tenantOf } from '../common/http.ts';
import { setJobContext } from '../common/observability.ts';
import { logger } from '../common/powertools.ts';
import { connectAccount } from '../use-cases/accounts.ts';

export const handler = httpHandler(async (req) => {
  const tenantId = tenantOf(req);
  const accountId = req.pathParameters.account_id ?? '';
  if (!AccountId.safeParse(accountId).success)
    throw new InvalidRequestError('invalid account_id in the path', [
      { path: 'account_id', message: 'letters, digits, ".", "_" or "-" (1–64), starting with a letter or digit' },
    ]);
  setJobContext({ account_id: accountId });
  const body = parseJsonBody(req, PutAccountRequest);
  const account = await connectAccount({ tenants: tenantStore(), vault: tokenVault(), clock }, tenantId, accountId, body);
  logger.info('account connected', { has_refresh_token: account.has_refresh_token });
  return json(200, accountJson(account));
});
