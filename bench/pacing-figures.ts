/**
 * What the pacing benchmark measures, from the sandbox's request log (arrival times at "Pinterest"):
 * - sustained: create requests per minute from the first create to the last job's first attempt, i.e.
 *   while the backlog still had fresh work (the tail of late retries is reported apart, as drained);
 * - peak: the most creates in any closed 60 s window [t, t + 60 s];
 * - 429 share: creates answered 429 (injected or the sandbox's own limiter) ÷ creates.
 */
import { loadavg } from 'node:os';
import type { SandboxRequestLog } from '../local/pinterest-sandbox.ts';
import type { BenchDriver } from './pacing-driver.ts';

export type Figures = Record<string, number | string | null>;

/** One scenario's line in bench/results/pacing.json. */
export interface Row {
  readonly scenario: string;
  readonly setup: string;
  readonly figures: Figures;
  readonly target: string;
  readonly met: boolean;
  readonly durationSeconds: number;
  readonly loadAverage: { readonly before: number; readonly after: number };
}

export const round = (n: number, digits = 1) => Math.round(n * 10 ** digits) / 10 ** digits;

/** The most requests in any closed window [t, t + 60 s] starting at a request. */
export function peak(requests: readonly SandboxRequestLog[]): number {
  const times = requests.map((r) => r.at).sort((a, b) => a - b);
  let max = 0;
  let end = 0;
  for (const [start, from] of times.entries()) {
    for (let next = times[end]; next !== undefined && next - from <= 60_000; next = times[end]) end++;
    max = Math.max(max, end - start);
  }
  return max;
}

/** Creates per minute over [from, to]: (n − 1) / span, the first create starting the clock. */
export function rate(requests: readonly SandboxRequestLog[], from: number, to: number): number {
  const inside = requests.filter((r) => r.at >= from && r.at <= to);
  const [first] = inside;
  const last = inside.at(-1);
  if (!first || !last || inside.length < 2) return 0;
  return ((inside.length - 1) * 60_000) / (last.at - first.at);
}

/** The 1-minute load average (os.loadavg() always has the three). */
const load = () => loadavg()[0] ?? 0;

/** Runs one scenario and times it, with the machine's load before and after. */
export async function measure(
  scenario: string,
  setup: string,
  target: string,
  body: () => Promise<{ figures: Figures; met: boolean }>,
): Promise<Row> {
  console.error(`\n▶ ${scenario}: ${setup}`);
  const before = load();
  const started = Date.now();
  const { figures, met } = await body();
  const row: Row = {
    scenario,
    setup,
    figures,
    target,
    met,
    durationSeconds: Math.round((Date.now() - started) / 1000),
    loadAverage: { before: round(before, 2), after: round(load(), 2) },
  };
  console.error(`  ${met ? 'met' : 'NOT met'}: ${JSON.stringify(figures)}`);
  return row;
}

export type BacklogFigures = Awaited<ReturnType<typeof backlogFigures>>;

/** Throughput figures of one account's backlog (ids: its jobs). */
export async function backlogFigures(driver: BenchDriver, user: string, ids: readonly string[], limit: number) {
  const sent = driver.creates(user);
  const [first] = sent;
  const last = sent.at(-1);
  if (!first || !last) throw new Error(`no create request of ${user} reached the sandbox`);
  const all = await driver.jobs(ids);
  const firstAttempts = all.map((j) => Date.parse(j.attempts[0]?.started_at ?? '')).filter(Number.isFinite);
  const lastFirst = Math.max(...firstAttempts);
  const sustained = rate(sent, first.at, lastFirst + 1000);
  const drained = rate(sent, first.at, last.at);
  const refused = sent.filter((r) => r.status === 429);
  return {
    jobs: all.length,
    succeeded: all.filter((j) => j.status === 'succeeded').length,
    creates: sent.length,
    sustained_per_min: round(sustained),
    sustained_of_limit: round(sustained / limit, 3),
    drained_per_min: round(drained),
    peak_60s: peak(sent),
    http_429: refused.length,
    http_429_by_limiter: refused.filter((r) => r.limiter).length,
    http_5xx: sent.filter((r) => r.status >= 500).length,
    share_429: round(refused.length / sent.length, 3),
  };
}
