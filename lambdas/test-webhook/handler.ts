import { webhookDeps } from '../common/deps/webhooks.ts';
import { httpHandler, json, tenantOf } from '../common/http.ts';
import { logger } from '../common/powertools.ts';
import { testWebhook } from '../use-cases/webhooks.ts';

export const handler = httpHandler(async (req) => {
  const tenantId = tenantOf(req);
  const webhookId = req.pathParameters.webhook_id ?? '';
  logger.appendKeys({ webhook_id: webhookId });
  const sent = await testWebhook(webhookDeps(), tenantId, webhookId);
  logger.info('webhook test event sent', { event_id: sent.event_id });
  return json(202, sent);
});
