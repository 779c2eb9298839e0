import { openApiDocument } from '../api/openapi.ts';
import { httpHandler, json } from '../common/http.ts';

export const handler = httpHandler(async () => json(200, openApiDocument(), { 'Cache-Control': 'public, max-age=300' }));
