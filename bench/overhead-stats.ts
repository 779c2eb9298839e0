/**
 * The arithmetic of the overhead benchmark (bench/overhead.ts): percentiles, summaries and the per-stage
 * breakdown of a job's life, kept pure so the unit tests can hold each figure to a hand-computed answer.
 */

/** A latency sample summarised; every figure in milliseconds, `null` when there was no sample. */
export interface Summary {
  readonly count: number;
  readonly p50: number | null;
  readonly p99: number | null;
  readonly mean: number | null;
  readonly max: number | null;
}

/**
 * The nearest-rank percentile: the smallest value with at least p % of the sample at or below it
 * (p50 of [1, 2, 3, 4] is 2, p99 of 100 values is the 99th smallest). `null` for an empty sample.
 */
export function percentile(values: readonly number[], p: number): number | null {
  if (!(p > 0 && p <= 100)) throw new RangeError(`percentile ${p} is outside (0, 100]`);
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1] as number;
}

/** Rounds to `digits` decimals (JSON figures stay readable and stable). */
export function round(value: number, digits = 1): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

export function summarize(values: readonly number[]): Summary {
  if (values.length === 0) return { count: 0, p50: null, p99: null, mean: null, max: null };
  const p50 = percentile(values, 50) as number;
  const p99 = percentile(values, 99) as number;
  const sum = values.reduce((a, b) => a + b, 0);
  return {
    count: values.length,
    p50: round(p50, 2),
    p99: round(p99, 2),
    mean: round(sum / values.length, 2),
    max: round(Math.max(...values), 2),
  };
}

/** a ÷ b to two decimals; `null` when either is missing or b is 0. */
export function ratio(a: number | null, b: number | null): number | null {
  if (a === null || b === null || b === 0) return null;
  return round(a / b, 2);
}

/**
 * One job's timeline, each a millisecond timestamp on this machine's clock (`undefined` when that step
 * was not seen): the figures of "where the time goes".
 */
export interface JobTimeline {
  /** The client sent POST /v1/pins. */
  readonly submitted: number;
  /** The 202 arrived at the client. */
  readonly accepted?: number;
  /** The relay's SendMessage of the job to the publish queue began. */
  readonly dispatched?: number;
  /** A worker's ReceiveMessage answered with the job's message. */
  readonly received?: number;
  /** The create request arrived at the Pinterest sandbox. */
  readonly createArrived?: number;
  /** The result write (the job's last jobs-table write) finished. */
  readonly resultWritten?: number;
  /** The job's terminal event reached the bus. */
  readonly terminalEvent?: number;
}

/** The stages between consecutive timeline points, in the order a job goes through them. */
export const STAGES = [
  { name: 'intake (POST → 202)', from: 'submitted', to: 'accepted' },
  { name: 'stream → relay → SendMessage', from: 'accepted', to: 'dispatched' },
  { name: 'queue wait (SendMessage → received)', from: 'dispatched', to: 'received' },
  { name: 'worker before create (load, admit, claim, token)', from: 'received', to: 'createArrived' },
  { name: 'create + result write', from: 'createArrived', to: 'resultWritten' },
  { name: 'stream → relay → event on the bus', from: 'resultWritten', to: 'terminalEvent' },
] as const satisfies readonly { name: string; from: keyof JobTimeline; to: keyof JobTimeline }[];

export interface StageFigures {
  readonly stage: string;
  readonly p50: number | null;
  readonly p99: number | null;
  /** Jobs for which both ends of the stage were seen. */
  readonly jobs: number;
}

/** p50/p99 of each stage over the jobs that have both of its ends. */
export function stageBreakdown(timelines: readonly JobTimeline[]): StageFigures[] {
  return STAGES.map(({ name, from, to }) => {
    const spans: number[] = [];
    for (const t of timelines) {
      const a = t[from];
      const b = t[to];
      if (a !== undefined && b !== undefined) spans.push(b - a);
    }
    const s = summarize(spans);
    return { stage: name, p50: s.p50, p99: s.p99, jobs: s.count };
  });
}

/** Counts per key, sorted by count (descending) then key, divided by `per` (per-job figures). */
export function perUnit(counts: ReadonlyMap<string, number>, per: number): Record<string, number> {
  const entries = [...counts.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  return Object.fromEntries(entries.map(([k, v]) => [k, per > 0 ? round(v / per, 2) : 0]));
}
