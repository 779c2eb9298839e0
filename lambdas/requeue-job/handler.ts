import { pinProblems, RequeueRequest } from '../api/schemas.ts';
import { jobJson } from '../api/serialize.ts';
import { clock, jobStore } from '../common/deps/jobs.ts';
import { httpHandler, json, parseJsonBody, tenantOf } from '../common/http.ts';
import { setJobContext } from '../common/observability.ts';
import { logger } from '../common/powertools.ts';
import { requeueJob } from '../use-cases/jobs.ts';

export const handler = httpHandler(async (req) => {
  const tenantId = tenantOf(req);
  const jobId = req.pathParameters.job_id ?? '';
  setJobContext({ job_id: jobId });
  // The body is optional: no body re-runs the job as it was.
  const body = req.body && req.body.trim().length > 0 ? parseJsonBody(req, RequeueRequest) : {};
  const job = await requeueJob({ jobs: jobStore(), clock, checkPin: pinProblems }, tenantId, jobId, body.pin ?? {});
  setJobContext({ account_id: job.account_id, idempotency_key: job.idempotency_key });
  logger.info('job requeued', { corrected_fields: Object.keys(body.pin ?? {}) });
  return json(202, jobJson(job));
});
