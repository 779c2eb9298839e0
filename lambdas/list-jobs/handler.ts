import { ListJobsQuery } from '../api/schemas.ts';
import { jobListJson } from '../api/serialize.ts';
import { jobStore } from '../common/deps/jobs.ts';
import { httpHandler, json, parseWith, tenantOf } from '../common/http.ts';
import { listJobs } from '../use-cases/jobs.ts';

export const handler = httpHandler(async (req) => {
  const tenantId = tenantOf(req);
  const query = parseWith(ListJobsQuery, req.query, 'query string', 'query');
  return json(200, jobListJson(await listJobs({ jobs: jobStore() }, tenantId, query)));
});
