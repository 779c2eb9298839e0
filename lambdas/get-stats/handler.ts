import * as z from 'zod';
import { statsJson } from '../api/serialize.ts';
import { config } from '../common/config.ts';
import { statsDeps } from '../common/deps/tenants.ts';
import { httpHandler, json, parseWith, tenantOf } from '../common/http.ts';
import { tenantStats } from '../use-cases/stats.ts';

/** No parameters: an unknown one is a 400, as on every other route. */
const StatsQuery = z.object({}).strict();

export const handler = httpHandler(async (req) => {
  const tenantId = tenantOf(req);
  parseWith(StatsQuery, req.query, 'query string', 'query');
  const stats = await tenantStats(statsDeps(), tenantId, { defaultPerMinute: config().PACING_ACCOUNT_PER_MINUTE });
  return json(200, statsJson(stats));
});
