import { jobJson } from '../api/serialize.ts';
import { clock, jobStore } from '../common/deps/jobs.ts';
import { httpHandler, json, tenantOf } from '../common/http.ts';
import { setJobContext } from '../common/observability.ts';
import { logger } from '../common/powertools.ts';
import { cancelJob } from '../use-cases/jobs.ts';

export const handler = httpHandler(async (req) => {
  const tenantId = tenantOf(req);
  const jobId = req.pathParameters.job_id ?? '';
  setJobContext({ job_id: jobId });
  const job = await cancelJob({ jobs: jobStore(), clock }, tenantId, jobId);
  setJobContext({ account_id: job.account_id, idempotency_key: job.idempotency_key });
  logger.info('job cancelled');
  return json(200, jobJson(job));
});
