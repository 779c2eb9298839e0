import { webhookListJson } from '../api/serialize.ts';
import { webhookDeps } from '../common/deps/webhooks.ts';
import { httpHandler, json, tenantOf } from '../common/http.ts';
import { listWebhooks } from '../use-cases/webhooks.ts';

export const handler = httpHandler(async (req) => json(200, webhookListJson(await listWebhooks(webhookDeps(), tenantOf(req)))));
