/**
 * The side-by-side comparison's workload (bench/compare.ts): one seeded list of publish intents over K
 * accounts, the order they are submitted in (a share of them submitted twice, as a client that retries
 * would), and the fault plan of the sandbox's creates. The same workload and the same fault seed drive the
 * naive loop and pinrelay, so the two runs differ only in the system under test.
 *
 * Faults are decided per create request, in arrival order, by the sandbox's seeded rate faults
 * (local/pinterest-sandbox/faults.ts): it tries its rate faults one after another, each with its own
 * seeded draw, so the second and third are armed with the probability that makes their overall share
 * the planned one (`chainedProbabilities`).
 */
import type { Fault, PinterestSandbox } from '../local/pinterest-sandbox.ts';
import { mulberry32 } from '../local/seeded-random.ts';

export interface WorkloadOptions {
  readonly intents: number;
  readonly accounts: number;
  readonly seed: number;
  /** Share of intents submitted a second time. @default 0.2 */
  readonly duplicateShare?: number;
}

export interface Intent {
  /** The Idempotency-Key, and the pin's title: how a pin is traced back to its intent. */
  readonly key: string;
  /** Index of the account (0 … accounts − 1). */
  readonly account: number;
}

export interface Submission {
  readonly intent: number;
  /** false for the first submission of an intent, true for the client's repeat. */
  readonly repeat: boolean;
}

export interface Workload {
  readonly options: Required<WorkloadOptions>;
  readonly intents: readonly Intent[];
  /** Every submission in order: each intent once, the repeats later in the stream. */
  readonly submissions: readonly Submission[];
}

/** The fault mix on creates: 10 % 5xx, 5 % create-then-drop, 5 % 429 without Retry-After. */
export interface FaultPlan {
  readonly seed: number;
  readonly serverError: number;
  readonly createThenDrop: number;
  readonly rateLimitedNoRetryAfter: number;
}

export const DEFAULT_FAULTS = { serverError: 0.1, createThenDrop: 0.05, rateLimitedNoRetryAfter: 0.05 } as const;

export function faultPlan(seed: number, shares: Omit<FaultPlan, 'seed'> = DEFAULT_FAULTS): FaultPlan {
  return { seed, ...shares };
}

export function workload(options: WorkloadOptions): Workload {
  const resolved = { duplicateShare: 0.2, ...options };
  if (!Number.isInteger(resolved.intents) || resolved.intents < 1) throw new Error('intents must be a positive integer');
  if (!Number.isInteger(resolved.accounts) || resolved.accounts < 1) throw new Error('accounts must be a positive integer');
  const random = seeded(resolved.seed);
  // Round robin: every account gets the same share of the work (±1).
  const intents: Intent[] = Array.from({ length: resolved.intents }, (_, i) => ({
    key: `cmp-${resolved.seed}-${i}`,
    account: i % resolved.accounts,
  }));
  // Exactly round(share × N) intents are repeated: a seeded shuffle picks which.
  const repeated = shuffle(
    intents.map((_, i) => i),
    random,
  ).slice(0, Math.round(resolved.duplicateShare * resolved.intents));
  const submissions: Submission[] = intents.map((_, i) => ({ intent: i, repeat: false }));
  for (const intent of repeated) {
    // The repeat goes somewhere after the first submission, as a client's retry comes after its request.
    const first = submissions.findIndex((s) => s.intent === intent && !s.repeat);
    const at = first + 1 + Math.floor(random() * (submissions.length - first));
    submissions.splice(at, 0, { intent, repeat: true });
  }
  return { options: resolved, intents, submissions };
}

/** The probabilities to arm chained rate faults with so that each hits its planned share of all requests. */
export function chainedProbabilities(shares: readonly number[]): number[] {
  let untouched = 1;
  return shares.map((share) => {
    if (share > untouched + 1e-12) throw new Error('the fault shares add up to more than 1');
    const p = untouched <= 0 ? 0 : share / untouched;
    untouched -= share;
    return Math.min(1, p);
  });
}

/** Arms the plan on the sandbox's creates (POST /v5/pins): what each system then meets, request by request. */
export function armFaults(sandbox: PinterestSandbox, plan: FaultPlan): void {
  const faults: Fault[] = [{ kind: 'status', status: 503 }, { kind: 'drop_after_create' }, { kind: 'rate_limit' }];
  const probabilities = chainedProbabilities([plan.serverError, plan.createThenDrop, plan.rateLimitedNoRetryAfter]);
  for (const [i, fault] of faults.entries()) {
    sandbox.injectRate(fault, probabilities[i] ?? 0, { seed: plan.seed * 31 + i, match: { method: 'POST', path: '/v5/pins' } });
  }
}

/** Reproducible by seed (mulberry32). */
export const seeded = mulberry32;

function shuffle<T>(values: T[], random: () => number): T[] {
  for (let i = values.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [values[i], values[j]] = [values[j] as T, values[i] as T];
  }
  return values;
}
