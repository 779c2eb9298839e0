import { describe, expect, it } from 'vitest';
import type { Job } from '../../../console/src/api/client.ts';
import { timelineOf } from '../../../console/src/timeline.ts';

/**
 * Invariant: the Job page's timeline tells the whole record in time order — every status change, every
 * attempt with what Pinterest answered and when it retries, every incident — and nothing is dropped.
 */

const job = {
  id: 'job_1',
  status: 'failed',
  status_history: [
    { status: 'queued', at: '2026-11-30T10:00:00.000Z' },
    { status: 'running', at: '2026-11-30T10:00:01.000Z' },
    { status: 'retry_scheduled', at: '2026-11-30T10:00:02.000Z' },
    { status: 'queued', at: '2026-11-30T10:00:07.000Z' },
    { status: 'running', at: '2026-11-30T10:00:08.000Z' },
    { status: 'failed', at: '2026-11-30T10:00:09.000Z' },
  ],
  attempts: [
    {
      number: 1,
      started_at: '2026-11-30T10:00:01.000Z',
      finished_at: '2026-11-30T10:00:02.000Z',
      outcome: 'retry_later',
      http_status: 429,
      error_code: 8,
      error_message: 'Too many requests',
      retry_at: '2026-11-30T10:00:07.000Z',
    },
    {
      number: 2,
      started_at: '2026-11-30T10:00:08.000Z',
      finished_at: '2026-11-30T10:00:09.000Z',
      outcome: 'needs_human',
      http_status: 404,
      error_code: 40,
      error_message: 'Board not found.',
      retry_at: null,
    },
  ],
  incidents: [{ at: '2026-11-30T10:00:05.000Z', kind: 'redispatched', detail: 'no live message', queue: 'publish' }],
} as unknown as Job;

describe('timelineOf', () => {
  it('puts status changes, attempts and incidents in time order, the status change first at the same instant', () => {
    expect(timelineOf(job).map((e) => e.title)).toEqual([
      'Status queued',
      'Status running',
      'Attempt 1: retry later',
      'Status retry_scheduled',
      'Incident: redispatched',
      'Status queued',
      'Status running',
      'Attempt 2: needs human',
      'Status failed',
    ]);
  });

  it("tells each attempt's answer and its retry time", () => {
    const attempts = timelineOf(job).filter((e) => e.kind === 'attempt');

    expect(attempts[0]!.lines).toEqual([
      'HTTP 429, Pinterest code 8: Too many requests',
      'Finished 2026-11-30 10:00:02 UTC',
      'Retry at 2026-11-30 10:00:07 UTC',
    ]);
    expect(attempts[1]!.lines).toEqual(['HTTP 404, Pinterest code 40: Board not found.', 'Finished 2026-11-30 10:00:09 UTC']);
  });

  it('shows an open attempt as in progress', () => {
    const running = {
      ...job,
      attempts: [
        { ...job.attempts[0]!, finished_at: null, outcome: null, http_status: null, error_code: null, error_message: null, retry_at: null },
      ],
    };

    expect(timelineOf(running).find((e) => e.kind === 'attempt')).toMatchObject({
      title: 'Attempt 1: in progress',
      lines: ['Still running'],
    });
  });
});
