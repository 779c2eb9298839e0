/**
 * The chaos run's faults, all seeded: a steady background rate of each fault, plus windows in which one
 * dependency is down (SQS refusing sends, Secrets Manager unavailable, EventBridge refusing half its
 * entries, the webhook receiver answering 503), storms of 5xx and of 429s without Retry-After on one
 * account, access tokens expiring mid-backlog, and worker restarts (the restarts are the caller's: see
 * `due`). Every window is short next to the retry budgets, so a job that fails failed for a reason its
 * record must explain, not because the run outlasted its caps.
 */
import type { PinterestSandbox } from '../local/pinterest-sandbox.ts';
import { AWS_ERRORS, failPutEventsEntries, injectSdkFault, type FaultableClient, type SdkFault } from '../local/sdk-faults.ts';
import { mulberry32 } from '../local/seeded-random.ts';

/** The functions' SDK clients (lambdas/common/clients.ts), as the pipeline built them. */
export interface FunctionClients {
  readonly dynamo: FaultableClient;
  readonly sqs: FaultableClient;
  readonly secrets: FaultableClient;
  readonly events: FaultableClient;
}

/** A window that opens every `periodMs` (first after `offsetMs`) and stays open `lengthMs`. */
export interface Window {
  readonly periodMs: number;
  readonly offsetMs: number;
  readonly lengthMs: number;
}

export const isOpen = (w: Window, elapsedMs: number) => elapsedMs >= w.offsetMs && (elapsedMs - w.offsetMs) % w.periodMs < w.lengthMs;

/** The plan and every fault's draws are reproducible from the run's seed (mulberry32). */
export const seeded = mulberry32;

export interface ChaosPlan {
  readonly sqsDown: Window;
  readonly secretsDown: Window;
  readonly busRefusing: Window;
  readonly receiverDown: Window;
  readonly storm5xx: Window;
  readonly storm429: Window;
  readonly tokenExpiry: Window;
  readonly restart: Window;
}

/**
 * When each windowed fault opens, drawn from the seed: periods of about a minute, offsets apart. `scale`
 * shrinks the periods and windows alike (a short run in CI still sees every fault; windows last ≥ 1 s).
 */
export function planOf(seed: number, scale = 1): ChaosPlan {
  const random = seeded(seed);
  const every = (periodS: number, lengthS: number): Window => ({
    periodMs: Math.round(periodS * scale * 1000),
    offsetMs: Math.round((10 + random() * periodS) * scale * 1000),
    lengthMs: Math.max(1000, Math.round(lengthS * scale * 1000)),
  });
  return {
    sqsDown: every(70, 4),
    secretsDown: every(90, 4),
    busRefusing: every(80, 4),
    receiverDown: every(60, 8),
    storm5xx: every(85, 3),
    storm429: every(95, 3),
    tokenExpiry: every(50, 1),
    restart: every(40, 1),
  };
}

/** Background rates of the sandbox's faults per create (drop_after_create and slow make outcomes unknown). */
const PINTEREST_RATES = [
  [{ kind: 'status', status: 503 }, 0.04],
  [{ kind: 'status', status: 500 }, 0.02],
  [{ kind: 'rate_limit', retryAfterSeconds: 1 }, 0.02],
  [{ kind: 'rate_limit' }, 0.02],
  [{ kind: 'drop_after_create' }, 0.02],
  [{ kind: 'drop_before' }, 0.01],
  [{ kind: 'slow', delayMs: 2_000 }, 0.01], // beyond the run's 1.5 s client timeout
] as const;

export interface ArmedFaults {
  /** Hits so far, by fault. */
  counts(): Record<string, number>;
  /** Every create of `user` answered 503 (`5xx`) or 429 without Retry-After (`429`) until `endStorms`. */
  storm(kind: '5xx' | '429', user: string): void;
  /** Ends the storms (the sandbox forgets every fault: the background rates are armed again, newly seeded). */
  endStorms(): void;
  /** Takes every fault off (the run's quiet end). */
  clear(): void;
}

/**
 * Arms the background rates and the AWS windows (`elapsed` is the run's clock). Storms, token expiry,
 * receiver outages and restarts act at the run's ticks (bench/chaos-run.ts).
 */
export function armFaults(options: {
  readonly seed: number;
  readonly sandbox: PinterestSandbox;
  readonly clients: FunctionClients;
  readonly users: readonly string[];
  readonly plan: ChaosPlan;
  readonly elapsed: () => number;
}): ArmedFaults {
  const { seed, plan, elapsed, clients } = options;
  const during = (w: Window) => () => isOpen(w, elapsed());
  let arming = 0;
  const armPinterest = () => {
    arming++;
    options.users.forEach((user, u) => {
      PINTEREST_RATES.forEach(([fault, rate], k) => {
        options.sandbox.injectRate(fault, rate, { seed: seed * 100_000 + arming * 1000 + u * 10 + k, match: { user } });
      });
    });
  };
  armPinterest();
  let storming = false;
  const sdk: Record<string, SdkFault> = {
    'DynamoDB throttled (SDK retried)': injectSdkFault(clients.dynamo, {
      effect: { kind: 'fail', error: AWS_ERRORS.throughputExceeded },
      probability: 0.02,
      seed: seed + 1,
    }),
    'DynamoDB throttled (seen by the function)': injectSdkFault(clients.dynamo, {
      effect: { kind: 'fail', error: AWS_ERRORS.throttling },
      step: 'initialize',
      probability: 0.002,
      seed: seed + 2,
    }),
    'SQS send failed': injectSdkFault(clients.sqs, {
      commands: ['SendMessageCommand', 'SendMessageBatchCommand'],
      effect: { kind: 'fail', error: AWS_ERRORS.serviceUnavailable },
      probability: 0.02,
      seed: seed + 3,
    }),
    'SQS down (window)': injectSdkFault(clients.sqs, {
      commands: ['SendMessageCommand', 'SendMessageBatchCommand'],
      effect: { kind: 'fail', error: AWS_ERRORS.serviceUnavailable },
      active: during(plan.sqsDown),
    }),
    'Secrets Manager 5xx': injectSdkFault(clients.secrets, {
      commands: ['GetSecretValueCommand'],
      effect: { kind: 'fail', error: AWS_ERRORS.serviceUnavailable },
      probability: 0.05,
      seed: seed + 4,
    }),
    'Secrets Manager down (window)': injectSdkFault(clients.secrets, {
      commands: ['GetSecretValueCommand', 'PutSecretValueCommand'],
      effect: { kind: 'fail', error: AWS_ERRORS.timeout },
      active: during(plan.secretsDown),
    }),
  };
  const refuse = seeded(seed + 5);
  const bus = failPutEventsEntries(clients.events, {
    refuse: () => refuse() < (isOpen(plan.busRefusing, elapsed()) ? 0.5 : 0.03),
  });
  let cleared = false;
  return {
    counts: () => {
      const counts: Record<string, number> = {};
      for (const [name, fault] of Object.entries(sdk)) counts[name] = fault.hits();
      counts['EventBridge entries refused'] = bus.refused();
      for (const r of options.sandbox.requests()) {
        if (!r.fault) continue;
        const name = `Pinterest ${r.fault === 'status' ? r.status : r.fault}${r.path === '/v5/pins' ? '' : ` (${r.path})`}`;
        counts[name] = (counts[name] ?? 0) + 1;
      }
      return counts;
    },
    storm: (kind, user) => {
      storming = true;
      options.sandbox.inject(kind === '5xx' ? { kind: 'status', status: 503 } : { kind: 'rate_limit' }, {
        times: Number.MAX_SAFE_INTEGER,
        match: { user },
      });
    },
    endStorms: () => {
      if (!storming || cleared) return;
      storming = false;
      options.sandbox.clearFaults();
      armPinterest();
    },
    clear: () => {
      if (cleared) return;
      cleared = true;
      for (const fault of Object.values(sdk)) {
        fault.remove();
        fault.release();
      }
      bus.remove();
      options.sandbox.clearFaults();
    },
  };
}
