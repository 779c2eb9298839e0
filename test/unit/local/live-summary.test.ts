import { describe, expect, it } from 'vitest';
import type { JobStatusCounts } from '../../../lambdas/api/schemas.ts';
import { formatSummary, LiveSummary, startLiveSummary, type SummarySample } from '../../../local/live-summary.ts';

const ZERO: JobStatusCounts = { scheduled: 0, queued: 0, running: 0, retry_scheduled: 0, succeeded: 0, failed: 0, cancelled: 0 };
const sample = (counts: Partial<JobStatusCounts>, finishedLastMinute = 0): SummarySample => ({
  counts: { ...ZERO, ...counts },
  finishedLastMinute,
});
const at = (s: number) => new Date(Date.UTC(2026, 10, 22, 9, 14, s));

describe('formatSummary', () => {
  it('one line: queued, running, retrying, succeeded, failed and the rate; scheduled and cancelled only when there are some', () => {
    expect(formatSummary(sample({ queued: 3, running: 1, succeeded: 12, failed: 1 }, 8), at(5))).toBe(
      '[09:14:05Z] jobs: 3 queued · 1 running · 0 retrying · 12 succeeded · 1 failed · 8/min',
    );
    expect(formatSummary(sample({ scheduled: 2, retry_scheduled: 4, cancelled: 1 }), at(7))).toBe(
      '[09:14:07Z] jobs: 0 queued · 0 running · 4 retrying · 0 succeeded · 0 failed · 0/min · 2 scheduled · 1 cancelled',
    );
  });
});

describe('LiveSummary', () => {
  it('quiet at an idle start, a line when jobs move, none while nothing changes, one when they finish, then quiet', () => {
    const summary = new LiveSummary();
    const lines = [
      summary.next(sample({}), at(0)), // idle start
      summary.next(sample({}), at(5)),
      summary.next(sample({ queued: 2 }), at(10)),
      summary.next(sample({ queued: 1, running: 1 }, 0), at(15)),
      summary.next(sample({ queued: 1, running: 1 }, 0), at(20)), // nothing moved
      summary.next(sample({ succeeded: 2 }, 2), at(25)),
      summary.next(sample({ succeeded: 2 }, 2), at(30)),
      summary.next(sample({ succeeded: 2 }, 0), at(35)), // only the rate decays: still quiet
    ];
    expect(lines).toEqual([
      undefined,
      undefined,
      '[09:14:10Z] jobs: 2 queued · 0 running · 0 retrying · 0 succeeded · 0 failed · 0/min',
      '[09:14:15Z] jobs: 1 queued · 1 running · 0 retrying · 0 succeeded · 0 failed · 0/min',
      undefined,
      '[09:14:25Z] jobs: 0 queued · 0 running · 0 retrying · 2 succeeded · 0 failed · 2/min',
      undefined,
      undefined,
    ]);
  });

  it('a start with work in progress (a restart with --data) prints at once; one with only finished jobs does not', () => {
    expect(new LiveSummary().next(sample({ queued: 1, succeeded: 5 }), at(0))).toMatch(/1 queued/);
    expect(new LiveSummary().next(sample({ succeeded: 5, failed: 1 }), at(0))).toBeUndefined();
  });
});

describe('startLiveSummary', () => {
  it('samples on its interval, prints what LiveSummary says, reports a failing sample once, and stops', async () => {
    const samples: (SummarySample | Error)[] = [
      sample({}),
      sample({ queued: 1 }),
      new Error('DynamoDB Local is gone'),
      new Error('DynamoDB Local is gone'),
      sample({ succeeded: 1 }, 1),
    ];
    const printed: string[] = [];
    const errors: string[] = [];
    let taken = 0;
    const live = startLiveSummary({
      intervalMs: 5,
      sample: async () => {
        const next = samples[Math.min(taken++, samples.length - 1)]!;
        if (next instanceof Error) throw next;
        return next;
      },
      print: (line) => printed.push(line),
      onError: (message) => errors.push(message),
      now: () => at(0),
    });
    while (taken < samples.length + 2) await new Promise((r) => setTimeout(r, 5));
    await live.stop();
    const after = taken;
    await new Promise((r) => setTimeout(r, 30));

    expect(printed).toEqual([
      '[09:14:00Z] jobs: 1 queued · 0 running · 0 retrying · 0 succeeded · 0 failed · 0/min',
      '[09:14:00Z] jobs: 0 queued · 0 running · 0 retrying · 1 succeeded · 0 failed · 1/min',
    ]);
    expect(errors).toEqual(['live summary: DynamoDB Local is gone']);
    expect(taken).toBe(after); // nothing after stop
  });
});
