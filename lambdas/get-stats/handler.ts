import { z } from 'zod';
import { DynamoJobStore } from '../adapters/dynamo-job-store.ts';
import { DynamoTenantDirectory } from '../adapters/dynamo-tenant-directory.ts';
import { dynamoClient } from '../common/clients.ts';
import { config, required } from '../common/config.ts';
import { clock, pacer, tenantStore } from '../common/deps.ts';
import { httpHandler, json, parseWith, tenantOf } from '../common/http.ts';
import { tenantStats } from '../use-cases/stats.ts';

/** No parameters: an unknown one is a 400, as on every other route. */
const StatsQuery = z.object({}).strict();

export const handler = httpHandler(async (req) => {
  const tenantId = tenantOf(req);
  parseWith(StatsQuery, req.query, 'query string', 'query');
  const c = config();
  const stats = await tenantStats(
    {
      jobs: new DynamoJobStore(dynamoClient(), required('JOBS_TABLE_NAME'), c.JOB_RETENTION_DAYS),
      directory: new DynamoTenantDirectory(dynamoClient(), required('TENANTS_TABLE_NAME')),
      tenants: tenantStore(),
      pacer: pacer(),
      clock,
    },
    tenantId,
    { defaultPerMinute: c.PACING_ACCOUNT_PER_MINUTE },
  );
  return json(200, stats);
});
