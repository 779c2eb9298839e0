import { webhookJson } from '../api/serialize.ts';
import { webhookDeps } from '../common/deps/webhooks.ts';
import { httpHandler, json, tenantOf } from '../common/http.ts';
import { logger } from '../common/powertools.ts';
import { getWebhook } from '../use-cases/webhooks.ts';

export const handler = httpHandler(async (req) => {
  const tenantId = tenantOf(req);
  const webhookId = req.pathParameters.webhook_id ?? '';
  logger.appendKeys({ webhook_id: webhookId });
  return json(200, webhookJson(await getWebhook(webhookDeps(), tenantId, webhookId)));
});
