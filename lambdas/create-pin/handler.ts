import { METRICS } from '../../definitions/metrics.ts';
import { CreatePinRequest, IdempotencyKey } from '../api/schemas.ts';
import { jobJson } from '../api/serialize.ts';
import { clock, jobStore } from '../common/deps/jobs.ts';
import { tenantStore } from '../common/deps/tenants.ts';
import { InvalidRequestError, refusalOf } from '../common/http-errors.ts';
import { httpHandler, json, parseJsonBody, parseWith, tenantOf, type ApiRequest, type ApiResponse } from '../common/http.ts';
import { count, setJobContext } from '../common/observability.ts';
import { logger } from '../common/powertools.ts';
import { submitPin } from '../use-cases/submit-pin.ts';

async function intake(req: ApiRequest): Promise<ApiResponse> {
  const tenantId = tenantOf(req);
  const rawKey = req.headers['idempotency-key'];
  if (rawKey === undefined) {
    throw new InvalidRequestError('Idempotency-Key header is required', [
      { path: 'headers.idempotency-key', message: 'send a stable key per intended pin, e.g. your post id' },
    ]);
  }
  const idempotencyKey = parseWith(IdempotencyKey, rawKey, 'Idempotency-Key header', 'headers.idempotency-key');
  const request = parseJsonBody(req, CreatePinRequest);
  setJobContext({ idempotency_key: idempotencyKey, account_id: request.account_id });
  const { job, replayed } = await submitPin({ jobs: jobStore(), tenants: tenantStore(), clock }, { tenantId, idempotencyKey, request });
  setJobContext({ job_id: job.id });
  logger.info(replayed ? 'idempotent replay' : 'job accepted', { status: job.status });
  count(replayed ? METRICS.JobsReplayed : METRICS.JobsAccepted);
  return replayed
    ? json(200, jobJson(job), { 'Idempotent-Replayed': 'true' })
    : json(202, jobJson(job), { Location: `/v1/jobs/${job.id}` });
}

export const handler = httpHandler(async (req) => {
  try {
    return await intake(req);
  } catch (error) {
    const refusal = refusalOf(error);
    if (refusal) count(METRICS.JobsRejected, refusal.error.code);
    throw error;
  }
});
