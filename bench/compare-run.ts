/**
 * The side-by-side comparison, as a function the benchmark runners call (bench/compare.ts alone, the
 * top-level `npm run bench`): one seeded workload and fault plan (bench/compare-workload.ts) through the
 * naive loop (bench/compare-naive.ts) and through pinrelay (bench/compare-pinrelay.ts), then the figures
 * side by side, the AWS requests pinrelay made per published pin, and the cost per million pins
 * (bench/cost.ts). Returns plain JSON.
 */
import { comparisonTable, type SystemFigures } from './compare-figures.ts';
import { runNaive, type NaiveResult } from './compare-naive.ts';
import { runPinrelay, stopPinrelayRun, type PinrelayResult } from './compare-pinrelay.ts';
import { faultPlan, workload, type FaultPlan } from './compare-workload.ts';
import { costTable, memoryOf, naiveCost, pinrelayCost, PRICES, usageOf, type CostPerMillion, type Usage } from './cost.ts';
import { perPin, requestsTable, type RequestsPerPin } from './request-count-per-pin.ts';

export interface ComparisonOptions {
  /** @default 1000 */
  readonly intents?: number;
  /** @default 20 */
  readonly accounts?: number;
  /** @default 12 */
  readonly seed?: number;
  /** Creates per rolling minute per account, at pinrelay and at both sandboxes. @default COMPARISON_LIMIT */
  readonly limitPerMinute?: number;
  readonly progress?: (done: number, total: number, label: string) => void;
}

/**
 * 30 creates per minute per account: 1,000 intents over 20 accounts is 50 per account, about 60 creates
 * with the faults' retries, so pacing alone needs 2 minutes and the retry backoff adds the tail; the
 * 20 accounts together ask 10 creates/s, more than the local stack's sustained rate on 2 cores, so the
 * run is bounded by both. The naive loop's few workers send far faster than 30 a minute and meet the limit.
 */
export const COMPARISON_LIMIT = 30;

export interface ComparisonResult {
  readonly options: { intents: number; accounts: number; seed: number; limitPerMinute: number; faults: FaultPlan };
  readonly naive: Omit<NaiveResult, 'timelines'>;
  readonly pinrelay: Omit<PinrelayResult, 'timelines'>;
  readonly requestsPerPin: RequestsPerPin;
  readonly usage: Usage;
  readonly cost: {
    readonly prices: typeof PRICES;
    readonly pinrelayWithWebhooks: CostPerMillion;
    readonly pinrelayWithoutWebhooks: CostPerMillion;
    readonly naiveOnLambda: CostPerMillion;
    readonly naiveMemoryMb: number;
  };
  /** Each account's pin creations (ms since the first submission) in the pinrelay run, and the limit. */
  readonly timelines: {
    readonly limitPerMinute: number;
    readonly pinrelay: Record<string, number[]>;
    readonly naive: Record<string, number[]>;
  };
  readonly tables: { readonly figures: string; readonly requests: string; readonly cost: string };
  readonly wallSeconds: number;
}

/** Stops every server a comparison in progress started (Ctrl-C). */
export const stopComparison = stopPinrelayRun;

export async function runComparison(options: ComparisonOptions = {}): Promise<ComparisonResult> {
  const started = Date.now();
  const intents = options.intents ?? 1000;
  const accounts = options.accounts ?? 20;
  const seed = options.seed ?? 12;
  const limitPerMinute = options.limitPerMinute ?? COMPARISON_LIMIT;
  const work = workload({ intents, accounts, seed });
  const faults = faultPlan(seed);
  const progress = options.progress ?? (() => undefined);

  const { timelines: naiveTimelines, ...naive } = await runNaive({ workload: work, faults, limitPerMinute, progress });
  const { timelines, ...pinrelay } = await runPinrelay({ workload: work, faults, limitPerMinute, progress });

  const pins = pinrelay.byStatus.succeeded ?? 0;
  const usage = usageOf(pinrelay.requests, {
    pins,
    busEvents: pinrelay.events.entryChunks,
    apiDestinationInvocations: pinrelay.events.webhookInvocations,
  });
  const requestsPerPin = perPin(pinrelay.requests, usage);
  const naiveMemoryMb = memoryOf('create-pin');
  const cost = {
    prices: PRICES,
    pinrelayWithWebhooks: pinrelayCost(usage, { webhooks: true }),
    pinrelayWithoutWebhooks: pinrelayCost(usage, { webhooks: false }),
    naiveOnLambda: naiveCost({
      invocations: naive.loops.count,
      totalDurationMs: naive.loops.totalMs,
      memoryMb: naiveMemoryMb,
      published: naive.figures.intentsPublished,
    }),
    naiveMemoryMb,
  };
  const figures: SystemFigures[] = [naive.figures, pinrelay.figures];
  return {
    options: { intents, accounts, seed, limitPerMinute, faults },
    naive,
    pinrelay,
    requestsPerPin,
    usage,
    cost,
    timelines: { limitPerMinute, pinrelay: timelines, naive: naiveTimelines },
    tables: {
      figures: comparisonTable(figures),
      requests: requestsTable(requestsPerPin),
      cost: costTable([
        { label: 'pinrelay, webhooks on every event', cost: cost.pinrelayWithWebhooks },
        { label: 'pinrelay, no webhooks', cost: cost.pinrelayWithoutWebhooks },
        { label: `naive loop on Lambda (${naiveMemoryMb} MB)`, cost: cost.naiveOnLambda },
      ]),
    },
    wallSeconds: (Date.now() - started) / 1000,
  };
}
