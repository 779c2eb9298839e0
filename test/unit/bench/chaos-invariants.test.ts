import { describe, expect, it } from 'vitest';
import { checkPromise, violations } from '../../../bench/chaos-invariants.ts';
import type { Job } from '../../../lambdas/api/schemas.ts';
import type { SandboxPin, SandboxRequestLog } from '../../../local/pinterest-sandbox.ts';
import { jobRecord } from '../builders.ts';

/**
 * The judge of the fault suites and the chaos run (bench/chaos-invariants.ts): each broken promise it is
 * shown must come out as a non-zero figure, and a kept one as zeros — or a run could pass by not looking.
 */
const base = jobRecord().job as Job;
const attempt = (outcome: 'succeeded' | 'retry_now', n = 1) => ({
  number: n,
  started_at: 't',
  finished_at: 't',
  outcome,
  http_status: null,
  error_code: null,
  error_message: outcome === 'succeeded' ? null : 'Pinterest answered 503',
  retry_at: null,
});
const succeeded = (id: string, key: string, pinId: string): Job => ({
  ...base,
  id,
  idempotency_key: key,
  status: 'succeeded',
  attempts: [attempt('retry_now', 1), attempt('succeeded', 2)],
  result: { pin_id: pinId, pin_url: `https://www.pinterest.com/pin/${pinId}/`, verified: false },
});
const pin = (id: string, title: string): SandboxPin => ({ id, title, board_id: '1', media_source: {}, created_at: 't', user: 'u' });
const create = (at: number, extra: Partial<SandboxRequestLog> = {}): SandboxRequestLog => ({
  at,
  method: 'POST',
  path: '/v5/pins',
  user: 'u',
  status: 201,
  ...extra,
});
const delivery = (id: string, job: Job, type = `job.${job.status}`) => ({
  webhookId: id,
  body: JSON.stringify({ id, type, data: { job: { id: job.id } } }),
});

describe('checkPromise', () => {
  const a = succeeded('job_a', 'k-a', 'p1');
  const b = succeeded('job_b', 'k-b', 'p2');

  it('a kept promise: every figure 0', () => {
    const report = checkPromise({
      jobs: [a, b],
      pins: [pin('p1', 'k-a'), pin('p2', 'k-b')],
      requests: [create(0), create(30_000)],
      limits: new Map([['u', 2]]),
      deliveries: [delivery('evt_a', a), delivery('evt_a', a), delivery('evt_b', b)],
    });
    expect(Object.values(violations(report)).every((n) => n === 0)).toBe(true);
    expect(report.webhookRepeats).toBe(1); // a repeat under the same webhook-id is allowed
  });

  it('flags a job not ended, a second pin for a key, a pin the job does not report, and a failure without a remediation', () => {
    const running: Job = { ...base, id: 'job_r', idempotency_key: 'k-r', status: 'running' };
    const unexplained: Job = {
      ...base,
      id: 'job_f',
      idempotency_key: 'k-f',
      status: 'failed',
      attempts: [attempt('retry_now')],
      failure: { route: 'ops', reason: 'x', http_status: null, error_code: null, message: 'm', remediation: '' },
    };
    const report = checkPromise({
      jobs: [a, running, unexplained],
      pins: [pin('p1', 'k-a'), pin('p9', 'k-a'), pin('p8', 'k-f')],
      requests: [],
      limits: new Map(),
    });
    expect(violations(report)).toMatchObject({ lost: 1, duplicatePins: 1, mismatchedPins: 1, unexplained: 1 });
  });

  it('a failed job whose record warns the pin may exist (check the board) is counted apart, not as a mismatch', () => {
    const crashed: Job = {
      ...base,
      id: 'job_c',
      idempotency_key: 'k-c',
      status: 'failed',
      attempts: [attempt('retry_now')],
      failure: {
        route: 'engineering',
        reason: 'worker_crashed',
        http_status: null,
        error_code: null,
        message: 'Whether Pinterest created the pin is unknown',
        remediation: 'fix the cause, check the board for the pin, then requeue the job',
      },
    };
    const report = checkPromise({ jobs: [crashed], pins: [pin('p7', 'k-c')], requests: [], limits: new Map() });
    expect(violations(report).mismatchedPins).toBe(0);
    expect(report.unconfirmedPins).toEqual(['job_c: failed (worker_crashed), yet Pinterest holds pin p7 for its key']);
  });

  it("counts every create in the sandbox's window (t − 60 s, t] beyond the limit, and the limiter's refusals", () => {
    const report = checkPromise({
      jobs: [],
      pins: [],
      // A create leaves the window at exactly +60 s: 0 no longer counts at 60 000, 30 000 still does.
      requests: [create(0), create(30_000), create(59_999), create(60_000), create(150_000, { status: 429, limiter: 'org_write' })],
      limits: new Map([['u', 2]]),
    });
    expect(report.windowsOverLimit.map((w) => [w.at, w.creates])).toEqual([
      [59_999, 3],
      [60_000, 3],
    ]);
    expect(report.limiterRefusals).toBe(1);
  });

  it('flags a terminal event never delivered, and one change delivered under two webhook-ids', () => {
    const report = checkPromise({
      jobs: [a, b],
      pins: [pin('p1', 'k-a'), pin('p2', 'k-b')],
      requests: [],
      limits: new Map(),
      deliveries: [delivery('evt_a', a), delivery('evt_other', a)],
    });
    expect(violations(report)).toMatchObject({ webhookEventsMissing: 1, webhookIdConflicts: 1 });
  });
});
