import { webhookDeps } from '../shared/deps.ts';
import { httpHandler, json, tenantOf } from '../shared/http.ts';
import { logger } from '../shared/powertools.ts';
import { getWebhook } from '../use-cases/webhooks.ts';

export const handler = httpHandler(async (req) => {
  const tenantId = tenantOf(req);
  const webhookId = req.pathParameters['webhook_id'] ?? '';
  logger.appendKeys({ webhook_id: webhookId });
  return json(200, await getWebhook(webhookDeps(), tenantId, webhookId));
});
