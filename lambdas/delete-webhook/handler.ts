import { webhookDeps } from '../common/deps/webhooks.ts';
import { httpHandler, tenantOf } from '../common/http.ts';
import { logger } from '../common/powertools.ts';
import { deleteWebhook } from '../use-cases/webhooks.ts';

export const handler = httpHandler(async (req) => {
  const tenantId = tenantOf(req);
  const webhookId = req.pathParameters.webhook_id ?? '';
  logger.appendKeys({ webhook_id: webhookId });
  await deleteWebhook(webhookDeps(), tenantId, webhookId);
  logger.info('webhook deleted');
  return { statusCode: 204 };
});
