import { describe, expect, it } from 'vitest';
import { formatElapsed, formatProgress, progressBar } from '../../../bench/progress.ts';

/**
 * The benchmarks' progress bar (bench/progress.ts) goes to stderr for minutes: on a terminal it must
 * redraw one line (no scroll), in a log (CI) it must write whole lines, few of them, and always the end.
 */
const recorder = (isTTY: boolean) => {
  const writes: string[] = [];
  return { writes, stream: { isTTY, columns: 200, write: (t: string) => writes.push(t) } };
};

describe('formatProgress', () => {
  it('shows the bar, the percentage, the counts, the label and the elapsed time', () => {
    expect(formatProgress(105, 300, 'throughput', 72_000, 20)).toBe('[#######.............]  35%  105/300  throughput  1m 12s');
    expect(formatProgress(0, 0, 'x', 0, 4)).toBe('[....]   0%  0/0  x  0s');
    expect(formatProgress(9, 3, 'over', 0, 4)).toBe('[####] 100%  9/3  over  0s');
    expect(formatElapsed(5_999)).toBe('5s');
  });
});

describe('progressBar', () => {
  it('on a terminal redraws one line in place and ends it once', () => {
    const { writes, stream } = recorder(true);
    let t = 0;
    const bar = progressBar({ stream, now: () => t });
    bar.update(1, 10, 'step');
    t = 50;
    bar.update(2, 10, 'step'); // within 100 ms of the last frame: skipped
    t = 200;
    bar.update(10, 10, 'step');
    bar.finish();
    expect(writes).toHaveLength(3);
    for (const w of writes.slice(0, 2)) expect(w.startsWith('\r') && !w.includes('\n')).toBe(true);
    expect(writes[1]).toContain('10/10');
    expect(writes[2]).toBe('\n');
  });

  it('in a log writes a line per new step, per finished step, and otherwise at most every few seconds', () => {
    const { writes, stream } = recorder(false);
    let t = 0;
    const bar = progressBar({ stream, now: () => t, plainEveryMs: 5_000 });
    bar.update(1, 100, 'a'); // new step
    for (let i = 2; i < 50; i++) {
      t += 100;
      bar.update(i, 100, 'a'); // 4.8 s of updates: none printed
    }
    t += 300;
    bar.update(50, 100, 'a'); // 5.1 s since the last line
    bar.update(100, 100, 'a'); // finished
    bar.update(100, 100, 'a'); // finished again: nothing new
    bar.update(1, 5, 'b'); // new step
    bar.finish();
    expect(writes.map((w) => /\d+\/\d+/.exec(w)?.[0])).toEqual(['1/100', '50/100', '100/100', '1/5']);
    for (const w of writes) expect(w.endsWith('\n') && !w.includes('\r')).toBe(true);
  });
});
