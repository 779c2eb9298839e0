import { ListJobsQuery } from '../api/schemas.ts';
import { jobStore } from '../shared/deps.ts';
import { httpHandler, json, parseWith, tenantOf } from '../shared/http.ts';
import { listJobs } from '../use-cases/jobs.ts';

export const handler = httpHandler(async (req) => {
  const tenantId = tenantOf(req);
  const query = parseWith(ListJobsQuery, req.query, 'query string', 'query');
  return json(200, await listJobs({ jobs: jobStore() }, tenantId, query));
});
