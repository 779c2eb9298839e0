/**
 * The comparison's figures for one system (bench/compare.ts), from what "Pinterest" saw — the sandbox's pins
 * and request log — and, for pinrelay, the job records. Pure. Windows over the limit are counted as the
 * chaos run counts them (bench/chaos-invariants.ts): every create request the account sent ends a window
 * (t − 60 s, t], and a window holding more creates than the limit is one over it.
 */
import type { SandboxPin, SandboxRequestLog } from '../local/pinterest-sandbox.ts';
import { checkPromise } from './chaos-invariants.ts';
import type { Intent } from './compare-workload.ts';

export interface SystemFigures {
  readonly system: string;
  readonly intents: number;
  readonly submissions: number;
  /** Pins the sandbox holds for the run's intents. */
  readonly pinsCreated: number;
  /** Intents with at least one pin. */
  readonly intentsPublished: number;
  /** Intents with more than one pin, and the extra pins they have. */
  readonly intentsDuplicated: number;
  readonly duplicatePins: number;
  /** Intents without a pin whose failure is recorded (a failed job with route, reason and remediation). */
  readonly failedExplained: number;
  /** Intents without a pin and without a recorded failure. */
  readonly lost: number;
  readonly createRequests: number;
  /** 429s the sandbox answered to creates: injected (no Retry-After) and from its rate limiter. */
  readonly received429: { readonly injected: number; readonly limiter: number; readonly total: number };
  readonly received5xx: number;
  /** Creates whose answer was lost after the pin was made (create-then-drop). */
  readonly createThenDrop: number;
  readonly windowsOverLimit: number;
  /** Most create requests of one account in any rolling 60 s window, and the limit. */
  readonly peakPerMinute: number;
  readonly limitPerMinute: number;
  readonly wallSeconds: number;
}

export interface FiguresInput {
  readonly system: string;
  readonly intents: readonly Intent[];
  readonly submissions: number;
  /** The sandbox user of each account index. */
  readonly users: readonly string[];
  readonly pins: readonly SandboxPin[];
  readonly requests: readonly SandboxRequestLog[];
  readonly limitPerMinute: number;
  /** Keys of intents whose failure is recorded (pinrelay's failed jobs); none for the naive loop. */
  readonly explainedFailures: ReadonlySet<string>;
  readonly wallSeconds: number;
}

const isCreate = (r: SandboxRequestLog) => r.method === 'POST' && r.path === '/v5/pins';

export function figuresOf(input: FiguresInput): SystemFigures {
  const keys = new Set(input.intents.map((i) => i.key));
  const pinsByKey = new Map<string, number>();
  for (const pin of input.pins) {
    if (pin.title === undefined || !keys.has(pin.title)) continue;
    pinsByKey.set(pin.title, (pinsByKey.get(pin.title) ?? 0) + 1);
  }
  const counts = [...pinsByKey.values()];
  const unpublished = input.intents.filter((i) => !pinsByKey.has(i.key));
  const users = new Set(input.users);
  const creates = input.requests.filter((r) => isCreate(r) && r.user !== undefined && users.has(r.user));
  const windows = checkPromise({
    jobs: [],
    pins: [],
    requests: creates,
    limits: new Map(input.users.map((u) => [u, input.limitPerMinute])),
  });
  const injected = creates.filter((r) => r.status === 429 && r.fault === 'rate_limit').length;
  const limiter = creates.filter((r) => r.status === 429 && r.limiter === 'org_write').length;
  return {
    system: input.system,
    intents: input.intents.length,
    submissions: input.submissions,
    pinsCreated: counts.reduce((a, b) => a + b, 0),
    intentsPublished: pinsByKey.size,
    intentsDuplicated: counts.filter((c) => c > 1).length,
    duplicatePins: counts.reduce((sum, c) => sum + c - 1, 0),
    failedExplained: unpublished.filter((i) => input.explainedFailures.has(i.key)).length,
    lost: unpublished.filter((i) => !input.explainedFailures.has(i.key)).length,
    createRequests: creates.length,
    received429: { injected, limiter, total: creates.filter((r) => r.status === 429).length },
    received5xx: creates.filter((r) => r.status >= 500).length,
    createThenDrop: creates.filter((r) => r.fault === 'drop_after_create').length,
    windowsOverLimit: windows.windowsOverLimit.length,
    peakPerMinute: Math.max(0, ...Object.values(windows.peaks).map((p) => p.peak)),
    limitPerMinute: input.limitPerMinute,
    wallSeconds: input.wallSeconds,
  };
}

/** Each account's pin creations, in ms since `since`: the chart of publish rate per account over time. */
export function createTimelines(pins: readonly SandboxPin[], users: readonly string[], since: number): Record<string, number[]> {
  const timelines: Record<string, number[]> = Object.fromEntries(users.map((u) => [u, [] as number[]]));
  for (const pin of pins) timelines[pin.user]?.push(Date.parse(pin.created_at) - since);
  for (const times of Object.values(timelines)) times.sort((a, b) => a - b);
  return timelines;
}

/** The side-by-side table, Markdown. */
export function comparisonTable(rows: readonly SystemFigures[]): string {
  const line = (label: string, value: (f: SystemFigures) => string | number) =>
    `| ${label} | ${rows.map((f) => String(value(f))).join(' | ')} |`;
  return [
    `| figure | ${rows.map((f) => f.system).join(' | ')} |`,
    `|---|${rows.map(() => '---:').join('|')}|`,
    line('intents / submissions', (f) => `${f.intents} / ${f.submissions}`),
    line('pins created', (f) => f.pinsCreated),
    line('intents published', (f) => f.intentsPublished),
    line('duplicate pins (intents affected)', (f) => `${f.duplicatePins} (${f.intentsDuplicated})`),
    line('failed, explained in a record', (f) => f.failedExplained),
    line('intents lost (no pin, no record)', (f) => f.lost),
    line('create requests sent', (f) => f.createRequests),
    line('429s received (injected + limiter)', (f) => `${f.received429.total} (${f.received429.injected} + ${f.received429.limiter})`),
    line('5xx received', (f) => f.received5xx),
    line('create-then-drop met', (f) => f.createThenDrop),
    line('60 s windows over the limit', (f) => f.windowsOverLimit),
    line('peak creates in 60 s (limit)', (f) => `${f.peakPerMinute} (${f.limitPerMinute})`),
    line('wall time', (f) => `${f.wallSeconds.toFixed(1)} s`),
  ].join('\n');
}
