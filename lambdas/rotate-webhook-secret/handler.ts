import { webhookWithSecretJson } from '../api/serialize.ts';
import { webhookDeps } from '../common/deps/webhooks.ts';
import { httpHandler, json, tenantOf } from '../common/http.ts';
import { logger } from '../common/powertools.ts';
import { rotateWebhookSecret } from '../use-cases/webhooks.ts';

export const handler = httpHandler(async (req) => {
  const tenantId = tenantOf(req);
  const webhookId = req.pathParameters.webhook_id ?? '';
  logger.appendKeys({ webhook_id: webhookId });
  const webhook = await rotateWebhookSecret(webhookDeps(), tenantId, webhookId);
  logger.info('webhook secret rotated');
  return json(200, webhookWithSecretJson(webhook));
});
