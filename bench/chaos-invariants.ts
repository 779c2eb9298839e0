/**
 * pinrelay's promise, checked from the outside after faults: what the jobs say (the public job records),
 * what "Pinterest" saw (the sandbox's pins and request log) and what the webhook receiver got. Pure, so
 * the fault-injection tests (test/integration/fault-injection.ts) and the chaos run (bench/chaos.ts)
 * judge a run the same way.
 *
 * - nothing lost: every accepted job is terminal (the runs only submit jobs that are due now);
 * - nothing duplicated: at most one pin per idempotency key (a pin's title is its job's key), and a
 *   succeeded job's pin is that pin; no pin belongs to a job that did not succeed, unless the job's
 *   failure says so (a worker that died or crashed after sending the create: its remediation tells ops
 *   to check the board) — those are counted apart, as `unconfirmedPins`;
 * - never over the rate limit: in the sandbox's own windows (a request counts against the 60 s that
 *   follow it), an account's creates never exceed its limit, and the sandbox's limiter never refused one;
 * - every failure explained: every attempt of a terminal job is closed with an outcome, every attempt that
 *   did not succeed carries a message, and a failed job has a route, a reason and a remediation;
 * - every terminal event delivered to the subscribed receiver, repeats only under the same webhook-id.
 */
import type { Job } from '../lambdas/api/schemas.ts';
import type { SandboxPin, SandboxRequestLog } from '../local/pinterest-sandbox.ts';

export const TERMINAL_STATUSES: readonly string[] = ['succeeded', 'failed', 'cancelled'];
export const isTerminal = (job: Pick<Job, 'status'>): boolean => TERMINAL_STATUSES.includes(job.status);

export interface PromiseInput {
  /** Every accepted job, as GET /v1/jobs/{id} answers it now. */
  readonly jobs: readonly Job[];
  /** Every pin the sandbox holds for these jobs' users. */
  readonly pins: readonly SandboxPin[];
  /** The sandbox's request log. */
  readonly requests: readonly SandboxRequestLog[];
  /** Each sandbox user's create limit per rolling minute (the account's rate_limit_per_minute). */
  readonly limits: ReadonlyMap<string, number>;
  /** Webhook deliveries the receiver accepted, when a receiver was subscribed to the terminal events. */
  readonly deliveries?: readonly WebhookDeliveryView[];
}

/** What the invariants need of one accepted webhook delivery. */
export interface WebhookDeliveryView {
  readonly webhookId: string | undefined;
  readonly body: string;
}

export interface OverLimitWindow {
  readonly user: string;
  /** The request that ended the window (sandbox clock, ms). */
  readonly at: number;
  readonly creates: number;
  readonly limit: number;
}

export interface PromiseReport {
  readonly jobs: number;
  readonly terminal: number;
  readonly byStatus: Readonly<Record<string, number>>;
  /** Jobs not terminal. */
  readonly lost: readonly string[];
  /** Keys with more than one pin: the extra pins. */
  readonly duplicatePins: readonly { readonly key: string; readonly pinIds: readonly string[] }[];
  /** Succeeded jobs whose pin is not the one Pinterest holds for their key; pins of jobs that did not succeed. */
  readonly mismatchedPins: readonly string[];
  /** Failed jobs whose pin exists, as their record warns it may (remediation: check the board). */
  readonly unconfirmedPins: readonly string[];
  /** Windows (t − 60 s, t] holding more creates than the account's limit. */
  readonly windowsOverLimit: readonly OverLimitWindow[];
  /** Creates the sandbox's own limiter refused (Pinterest saw pinrelay go over). */
  readonly limiterRefusals: number;
  /** Most creates of one account in any window, and its limit, per user. */
  readonly peaks: Readonly<Record<string, { readonly peak: number; readonly limit: number }>>;
  readonly unexplained: readonly string[];
  /** Terminal jobs whose terminal event the receiver never accepted (when deliveries were given). */
  readonly webhookEventsMissing: readonly string[];
  /** One job status change delivered under two different webhook-ids. */
  readonly webhookIdConflicts: readonly string[];
  readonly webhookDeliveries: number;
  readonly webhookRepeats: number;
}

export function checkPromise(input: PromiseInput): PromiseReport {
  const byStatus: Record<string, number> = {};
  for (const job of input.jobs) byStatus[job.status] = (byStatus[job.status] ?? 0) + 1;
  const lost = input.jobs.filter((job) => !isTerminal(job)).map((job) => `${job.id} (${job.status})`);
  const { duplicatePins, mismatchedPins, unconfirmedPins } = pinsOf(input.jobs, input.pins);
  const { windowsOverLimit, peaks, limiterRefusals } = windowsOf(input.requests, input.limits);
  const unexplained = input.jobs.flatMap((job) => (isTerminal(job) ? explain(job) : []));
  const webhooks = input.deliveries ? webhooksOf(input.jobs, input.deliveries) : undefined;
  return {
    jobs: input.jobs.length,
    terminal: input.jobs.length - lost.length,
    byStatus,
    lost,
    duplicatePins,
    mismatchedPins,
    unconfirmedPins,
    windowsOverLimit,
    limiterRefusals,
    peaks,
    unexplained,
    webhookEventsMissing: webhooks?.missing ?? [],
    webhookIdConflicts: webhooks?.conflicts ?? [],
    webhookDeliveries: input.deliveries?.length ?? 0,
    webhookRepeats: webhooks?.repeats ?? 0,
  };
}

/** The figures that must be 0 for the promise to hold, by name. */
export function violations(report: PromiseReport): Record<string, number> {
  return {
    lost: report.lost.length,
    duplicatePins: report.duplicatePins.reduce((sum, d) => sum + d.pinIds.length - 1, 0),
    mismatchedPins: report.mismatchedPins.length,
    windowsOverLimit: report.windowsOverLimit.length,
    limiterRefusals: report.limiterRefusals,
    unexplained: report.unexplained.length,
    webhookEventsMissing: report.webhookEventsMissing.length,
    webhookIdConflicts: report.webhookIdConflicts.length,
  };
}

function pinsOf(jobs: readonly Job[], pins: readonly SandboxPin[]) {
  const byKey = new Map<string, SandboxPin[]>();
  for (const pin of pins) {
    const key = pin.title ?? '';
    byKey.set(key, [...(byKey.get(key) ?? []), pin]);
  }
  const duplicatePins = [...byKey.entries()]
    .filter(([, same]) => same.length > 1)
    .map(([key, same]) => ({ key, pinIds: same.map((p) => p.id) }));
  const mismatchedPins: string[] = [];
  const unconfirmedPins: string[] = [];
  for (const job of jobs) {
    const held = byKey.get(job.idempotency_key) ?? [];
    if (job.status === 'succeeded' && !held.some((p) => p.id === job.result?.pin_id)) {
      mismatchedPins.push(
        `${job.id}: succeeded with pin ${job.result?.pin_id ?? 'none'}, Pinterest holds ${held.map((p) => p.id).join(', ') || 'none'}`,
      );
    }
    if (job.status !== 'succeeded' && isTerminal(job) && held.length > 0) {
      const what = `${job.id}: ${job.status} (${job.failure?.reason ?? 'no failure'}), yet Pinterest holds pin ${held.map((p) => p.id).join(', ')} for its key`;
      if (job.failure?.remediation.includes('check the board')) unconfirmedPins.push(what);
      else mismatchedPins.push(what);
    }
  }
  return { duplicatePins, mismatchedPins, unconfirmedPins };
}

const isCreate = (r: SandboxRequestLog) => r.method === 'POST' && r.path === '/v5/pins';

/** Creates per user in the sandbox's half-open windows (t − 60 s, t], ending at each create. */
function windowsOf(requests: readonly SandboxRequestLog[], limits: ReadonlyMap<string, number>) {
  const windowsOverLimit: OverLimitWindow[] = [];
  const peaks: Record<string, { peak: number; limit: number }> = {};
  let limiterRefusals = 0;
  for (const [user, limit] of limits) {
    const creates = requests.filter((r) => r.user === user && isCreate(r));
    limiterRefusals += creates.filter((r) => r.limiter === 'org_write').length;
    const times = creates.map((r) => r.at).sort((a, b) => a - b);
    let start = 0;
    let peak = 0;
    for (const [end, at] of times.entries()) {
      while ((times[start] ?? at) <= at - 60_000) start++;
      const inWindow = end - start + 1;
      peak = Math.max(peak, inWindow);
      if (inWindow > limit) windowsOverLimit.push({ user, at, creates: inWindow, limit });
    }
    peaks[user] = { peak, limit };
  }
  return { windowsOverLimit, peaks, limiterRefusals };
}

/** Why a terminal job's record does not explain what happened to it (empty: it does). */
function explain(job: Job): string[] {
  const problems: string[] = [];
  for (const attempt of job.attempts) {
    if (attempt.finished_at === null || attempt.outcome === null) problems.push(`${job.id}: attempt ${attempt.number} never closed`);
    else if (attempt.outcome !== 'succeeded' && !attempt.error_message)
      problems.push(`${job.id}: attempt ${attempt.number} has no message`);
  }
  if (job.status === 'failed') {
    const f = job.failure;
    if (!f?.route || !f.reason || !f.remediation || !f.message)
      problems.push(`${job.id}: failed without route, reason, message and remediation`);
  }
  if (job.status === 'succeeded' && (!job.result || job.attempts.at(-1)?.outcome !== 'succeeded')) {
    problems.push(`${job.id}: succeeded without a result or a succeeded last attempt`);
  }
  return problems;
}

/** Each terminal job's terminal event among the deliveries, and webhook-ids that disagree on a change. */
function webhooksOf(jobs: readonly Job[], deliveries: readonly WebhookDeliveryView[]) {
  const idsByChange = new Map<string, Set<string>>();
  const seen = new Set<string>();
  let repeats = 0;
  for (const delivery of deliveries) {
    const body = parse(delivery.body);
    const job = body?.data?.job;
    if (!body || !job?.id) continue;
    const change = `${job.id} ${body.type}`;
    const ids = idsByChange.get(change) ?? new Set<string>();
    ids.add(delivery.webhookId ?? '');
    idsByChange.set(change, ids);
    if (seen.has(delivery.webhookId ?? '')) repeats++;
    seen.add(delivery.webhookId ?? '');
  }
  const missing = jobs.filter((job) => isTerminal(job) && !idsByChange.has(`${job.id} job.${job.status}`)).map((job) => job.id);
  // A job that failed and then succeeded (a requeue) has two terminal changes of one type at most once each.
  const conflicts = [...idsByChange.entries()]
    .filter(([, ids]) => ids.size > 1)
    .map(([change, ids]) => `${change}: ${[...ids].join(', ')}`);
  return { missing, conflicts, repeats };
}

function parse(body: string): { type?: string; data?: { job?: { id?: string } } } | undefined {
  try {
    return JSON.parse(body) as { type?: string; data?: { job?: { id?: string } } };
  } catch {
    return undefined;
  }
}
