import { describe, expect, it } from 'vitest';
import type { Job, Stats } from '../../../console/src/api/client.ts';
import { formatDuration, formatRelative, formatTime } from '../../../console/src/format.ts';
import { addSample, chartData, failuresByRoute, SAMPLE_WINDOW_SECONDS } from '../../../console/src/throughput.ts';

/**
 * Invariants of the figures the Overview derives from the public API: the throughput samples measure
 * finished jobs per minute between two answers and never go negative or older than an hour; failures are
 * grouped by route and reason from the failed jobs themselves; times read the same in every browser (UTC).
 */

function stats(at: string, succeeded: number, failed: number, perMinute = 0): Stats {
  return {
    generated_at: at,
    counts: { scheduled: 0, queued: 0, running: 0, retry_scheduled: 0, succeeded, failed, cancelled: 0 },
    total: succeeded + failed,
    partial_counts: [],
    last_hour: { since: at, succeeded, failed, per_minute: perMinute },
    accounts: [],
    accounts_truncated: false,
  };
}

describe('throughput samples', () => {
  it('measure finished jobs per minute between answers; the first has no measurement', () => {
    let samples = addSample([], stats('2026-11-30T10:00:00Z', 10, 1, 0.18));
    samples = addSample(samples, stats('2026-11-30T10:00:30Z', 14, 2, 0.27));

    expect(samples.map((s) => [s.hourAverage, s.measured])).toEqual([
      [0.18, null],
      [0.27, 10],
    ]);
    expect(chartData(samples)).toEqual([
      [Date.parse('2026-11-30T10:00:00Z') / 1000, Date.parse('2026-11-30T10:00:30Z') / 1000],
      [0.18, 0.27],
      [null, 10],
    ]);
  });

  it('never go negative when a requeue or retention lowers the finished count', () => {
    const samples = addSample(addSample([], stats('2026-11-30T10:00:00Z', 10, 5)), stats('2026-11-30T10:00:05Z', 10, 4));

    expect(samples.at(-1)?.measured).toBe(0);
  });

  it('ignore an answer no newer than the last, and keep only the last hour', () => {
    let samples = addSample([], stats('2026-11-30T10:00:00Z', 1, 0));
    expect(addSample(samples, stats('2026-11-30T10:00:00Z', 5, 0))).toEqual(samples);

    for (let minute = 1; minute <= 70; minute++) {
      samples = addSample(samples, stats(new Date(Date.parse('2026-11-30T10:00:00Z') + minute * 60_000).toISOString(), minute, 0));
    }
    const span = samples.at(-1)!.t - samples[0]!.t;
    expect(span).toBeLessThan(SAMPLE_WINDOW_SECONDS);
    expect(samples).toHaveLength(60);
  });
});

describe('failures by route', () => {
  const failed = (id: string, route: 'ops' | 'client' | 'engineering', reason: string) =>
    ({
      id,
      status: 'failed',
      failure: { route, reason, http_status: null, error_code: null, message: '', remediation: '' },
    }) as unknown as Job;

  it('group failed jobs by route then reason, most frequent first', () => {
    const jobs = [
      failed('1', 'client', 'invalid_pin'),
      failed('2', 'ops', 'board_not_found'),
      failed('3', 'ops', 'reauthorization_required'),
      failed('4', 'ops', 'board_not_found'),
      { id: '5', status: 'succeeded', failure: null } as unknown as Job,
    ];

    expect(failuresByRoute(jobs)).toEqual([
      {
        route: 'ops',
        count: 3,
        reasons: [
          { reason: 'board_not_found', count: 2 },
          { reason: 'reauthorization_required', count: 1 },
        ],
      },
      { route: 'client', count: 1, reasons: [{ reason: 'invalid_pin', count: 1 }] },
    ]);
  });
});

describe('times', () => {
  it('are absolute UTC, with a relative hint', () => {
    const now = Date.parse('2026-11-30T10:00:00Z');

    expect(formatTime('2026-11-30T09:58:00.123Z')).toBe('2026-11-30 09:58:00 UTC');
    expect(formatTime(null)).toBe('—');
    expect(formatTime('not a date')).toBe('not a date');
    expect(formatRelative('2026-11-30T09:58:00Z', now)).toBe('2 min ago');
    expect(formatRelative('2026-11-30T10:00:12Z', now)).toBe('in 12 s');
    expect(formatRelative('2026-11-30T10:00:00.400Z', now)).toBe('now');
    expect(formatDuration(3 * 3600_000)).toBe('3 h');
    expect(formatDuration(72 * 3600_000)).toBe('3 d');
  });
});
