import { jobJson } from '../api/serialize.ts';
import { jobStore } from '../common/deps/jobs.ts';
import { httpHandler, json, tenantOf } from '../common/http.ts';
import { setJobContext } from '../common/observability.ts';
import { getJob } from '../use-cases/jobs.ts';

export const handler = httpHandler(async (req) => {
  const tenantId = tenantOf(req);
  const jobId = req.pathParameters.job_id ?? '';
  setJobContext({ job_id: jobId });
  return json(200, jobJson(await getJob({ jobs: jobStore() }, tenantId, jobId)));
});
