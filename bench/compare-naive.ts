/**
 * The naive baseline of the comparison (bench/compare.ts): what a publishing script commonly does — a few
 * parallel workers call Pinterest's create (`POST /v5/pins`) directly and "retry 3 times on error", a
 * quarter of a second after each failure. No idempotency, no verification of an answer that never came, no pacing: a
 * duplicate submission is simply sent again. It runs against its own Pinterest sandbox, which enforces the
 * same per-account limit and meets the same seeded faults as pinrelay's.
 */
import { startPinterestSandbox } from '../local/pinterest-sandbox.ts';
import { createTimelines, figuresOf, type SystemFigures } from './compare-figures.ts';
import { armFaults, type FaultPlan, type Workload } from './compare-workload.ts';

export interface NaiveOptions {
  readonly workload: Workload;
  readonly faults: FaultPlan;
  readonly limitPerMinute: number;
  /** Parallel workers, like a typical script. @default 8 */
  readonly workers?: number;
  /** Retries after the first try. @default 3 */
  readonly retries?: number;
  /** Pause before each retry. @default 250 */
  readonly retryDelayMs?: number;
  readonly progress?: (done: number, total: number, label: string) => void;
}

export interface NaiveResult {
  readonly figures: SystemFigures;
  /** Each submission's attempt loop (what one Lambda invocation would run): count and durations. */
  readonly loops: { readonly count: number; readonly totalMs: number; readonly p50Ms: number; readonly maxMs: number };
  /** Submissions whose every try failed: the script logged an error and moved on. */
  readonly gaveUp: number;
  readonly timelines: Record<string, number[]>;
}

export async function runNaive(options: NaiveOptions): Promise<NaiveResult> {
  const { workload } = options;
  const retries = options.retries ?? 3;
  const retryDelayMs = options.retryDelayMs ?? 250;
  const sandbox = await startPinterestSandbox({ ratePerMinute: options.limitPerMinute });
  try {
    const users = Array.from({ length: workload.options.accounts }, (_, i) => `naive${i}`);
    const tokens = users.map((user, i) => sandbox.addUser({ username: user, boards: [boardOf(i)] }).accessToken);
    armFaults(sandbox, options.faults);
    const started = Date.now();
    const durations: number[] = [];
    let gaveUp = 0;
    let next = 0;
    const total = workload.submissions.length;
    const worker = async () => {
      for (let index = next++; index < total; index = next++) {
        const submission = workload.submissions[index];
        const intent = submission ? workload.intents[submission.intent] : undefined;
        if (!intent) continue;
        const loopStarted = Date.now();
        const body = {
          board_id: boardOf(intent.account),
          title: intent.key,
          link: `https://shop.example.com/${intent.key}`,
          media_source: { source_type: 'image_url', url: `https://cdn.example.com/${intent.key}.jpg` },
        };
        let ok = false;
        for (let attempt = 0; attempt <= retries && !ok; attempt++) {
          if (attempt > 0) await sleep(retryDelayMs);
          ok = await createPin(sandbox.url, tokens[intent.account] ?? '', body);
        }
        if (!ok) gaveUp++;
        durations.push(Date.now() - loopStarted);
        options.progress?.(durations.length, total, 'naive loop');
      }
    };
    await Promise.all(Array.from({ length: options.workers ?? 8 }, worker));
    const wallSeconds = (Date.now() - started) / 1000;
    const pins = sandbox.pins();
    durations.sort((a, b) => a - b);
    return {
      figures: figuresOf({
        system: 'naive loop',
        intents: workload.intents,
        submissions: total,
        users,
        pins,
        requests: sandbox.requests(),
        limitPerMinute: options.limitPerMinute,
        explainedFailures: new Set(),
        wallSeconds,
      }),
      loops: {
        count: durations.length,
        totalMs: durations.reduce((a, b) => a + b, 0),
        p50Ms: durations[Math.floor(durations.length / 2)] ?? 0,
        maxMs: durations.at(-1) ?? 0,
      },
      gaveUp,
      timelines: createTimelines(pins, users, started),
    };
  } finally {
    await sandbox.stop();
  }
}

/** One create; true on a 2xx. A dropped connection, a 429 or a 5xx is "an error" to the script. */
async function createPin(baseUrl: string, token: string, body: unknown): Promise<boolean> {
  try {
    const response = await fetch(`${baseUrl}/v5/pins`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(10_000),
    });
    await response.arrayBuffer();
    return response.ok;
  } catch {
    return false;
  }
}

export const boardOf = (account: number): string => `${770000 + account}`;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
