import type { Context } from 'aws-lambda';
import type { CreatePinRequest, JobStatus } from '../../lambdas/api/schemas.ts';
import { bodyHash, jobIdFor } from '../../lambdas/domain/ids.ts';
import { newJob, transition, type JobRecord } from '../../lambdas/domain/job.ts';
import { PinterestHttpError, PinterestTransportError } from '../../lambdas/adapters/pinterest/errors.ts';
import type { SendPhase } from '../../lambdas/adapters/pinterest/send-phase.ts';
import type { JobMessage, PinterestOperation, PinterestPin } from '../../lambdas/use-cases/ports.ts';

/** Builders shared by the unit tests: one valid request, jobs in any status, a Lambda context. */

export const T0 = '2026-03-01T12:00:00.000Z';
export const TENANT = 'ten_8k3m9q2x7v1c4b6n';
export const OTHER_TENANT = 'ten_0z9y8x7w6v5t4s3r';
export const ACCOUNT = 'acme-main';

export function pinRequest(overrides: Partial<CreatePinRequest> = {}): CreatePinRequest {
  return {
    account_id: ACCOUNT,
    board_id: '549755885175',
    title: 'Oak chair',
    link: 'https://example.com/products/oak-chair',
    media_source: { source_type: 'image_url', url: 'https://example.com/images/chair.jpg' },
    ...overrides,
  };
}

/** The path a job takes to reach each status, through the real state machine. */
const PATH_TO: Record<JobStatus, readonly JobStatus[]> = {
  queued: [],
  scheduled: [],
  running: ['running'],
  retry_scheduled: ['retry_scheduled'],
  succeeded: ['running', 'succeeded'],
  failed: ['running', 'failed'],
  cancelled: ['cancelled'],
};

export interface RecordOptions {
  readonly status?: JobStatus;
  readonly tenantId?: string;
  readonly key?: string;
  readonly request?: CreatePinRequest;
  readonly now?: string;
}

/** A job record in `status`, created at `now` and moved there one second per step. */
export function jobRecord(options: RecordOptions = {}): JobRecord {
  const status = options.status ?? 'queued';
  const tenantId = options.tenantId ?? TENANT;
  const key = options.key ?? 'cms-4411';
  const now = new Date(options.now ?? T0);
  const request =
    options.request ??
    (status === 'scheduled' ? pinRequest({ publish_at: new Date(now.getTime() + 3_600_000).toISOString() }) : pinRequest());
  let record = newJob({ tenantId, jobId: jobIdFor(tenantId, key), idempotencyKey: key, request, bodyHash: bodyHash(request), now });
  PATH_TO[status].forEach((to, i) => {
    const at = new Date(now.getTime() + (i + 1) * 1000);
    const changes = to === 'retry_scheduled' ? { next_attempt_at: new Date(at.getTime() + 120_000).toISOString() } : {};
    record = transition(record, to, at, changes);
  });
  return record;
}

/**
 * A queued job claimed by a worker at `startedAt` whose attempt never finished (the worker may still
 * run, or have died): status running, attempt 1 open, lease until `leaseUntil`.
 */
export function claimedRecord(options: { startedAt: string; leaseUntil: string | null }): JobRecord {
  const claimed = transition(jobRecord(), 'running', new Date(options.startedAt), {
    attempt_count: 1,
    attempts: [
      {
        number: 1,
        started_at: options.startedAt,
        finished_at: null,
        outcome: null,
        http_status: null,
        error_code: null,
        error_message: null,
        retry_at: null,
      },
    ],
  });
  return { ...claimed, leaseUntil: options.leaseUntil };
}

/** The queue message that points at `record`'s current version. */
export function jobMessage(record: JobRecord, extra: Partial<JobMessage> = {}): JobMessage {
  return { job_id: record.job.id, tenant_id: record.tenantId, version: record.version, ...extra };
}

/** A Pin as Pinterest returns it for pinRequest(): same board, title and link. */
export function pinterestPin(overrides: Partial<PinterestPin> = {}): PinterestPin {
  return {
    id: '813744226420795884',
    created_at: '2026-03-01T12:00:05',
    board_id: '549755885175',
    title: 'Oak chair',
    link: 'https://example.com/products/oak-chair',
    ...overrides,
  };
}

export function httpError(
  status: number,
  options: { code?: number | null; retryAfterSeconds?: number | null; operation?: PinterestOperation } = {},
): PinterestHttpError {
  const code = options.code ?? null;
  return new PinterestHttpError(
    options.operation ?? 'create_pin',
    status,
    code,
    `Pinterest answered ${status}${code !== null ? ` (code ${code})` : ''}`,
    options.retryAfterSeconds ?? null,
    null,
  );
}

export function transportError(phase: SendPhase, operation: PinterestOperation = 'create_pin'): PinterestTransportError {
  return new PinterestTransportError(
    operation,
    phase,
    `${operation} failed: socket hang up`,
    Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }),
  );
}

export function lambdaContext(functionName = 'pinrelay-create-pin'): Context {
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:eu-west-1:123456789012:function:${functionName}`,
    memoryLimitInMB: '256',
    awsRequestId: '0f6a3b1e-5c2d-4e8f-9a7b-6c5d4e3f2a1b',
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: '2026/03/01/[$LATEST]0123456789abcdef0123456789abcdef',
    getRemainingTimeInMillis: () => 9_000,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}
