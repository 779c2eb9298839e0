import { eventSchemaDocument } from '../api/events.ts';
import { httpHandler, json } from '../common/http.ts';

/** GET /v1/events/schema.json: public, like the OpenAPI document (lambdas/api/events.ts builds it). */
export const handler = httpHandler(async () => json(200, eventSchemaDocument(), { 'Cache-Control': 'public, max-age=300' }));
