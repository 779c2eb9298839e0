/**
 * The pacing benchmark's scenarios: what each sets up on local mode, the target it is held to, how it
 * measures, and its one-line summary for the printed table.
 */
import { type BacklogFigures, backlogFigures, type Figures, peak, rate, round } from './pacing-figures.ts';
import { type BenchAccount, type BenchDriver, until } from './pacing-driver.ts';

export const SCENARIO_NAMES = ['no-faults', 'faults', 'real-limit', 'retry-after', 'fairness', 'hot-cold'] as const;
export type ScenarioName = (typeof SCENARIO_NAMES)[number];

/** The configured per-account limit of every scenario (create requests per minute). */
export const LIMIT = 60;

export interface Scenario {
  readonly setup: string;
  readonly target: string;
  run(driver: BenchDriver): Promise<{ figures: Figures; met: boolean }>;
  summary(figures: Figures): string;
}

/** One account working through `backlog` jobs, optionally under faults; `basis` is the limit the figures are held to. */
function backlogScenario(
  backlog: number,
  setup: string,
  target: string,
  options: { real: number; faults: boolean; retryAfter?: boolean; check: (f: BacklogFigures) => boolean; basis?: number },
): Scenario {
  const basis = options.basis ?? LIMIT;
  return {
    setup,
    target,
    async run(driver) {
      const { user, boardId, accountId } = await driver.connect(LIMIT, options.real, { retryAfter: options.retryAfter ?? true });
      if (options.faults) {
        driver.sandbox.injectRate({ kind: 'status', status: 500 }, 0.1, { seed: 801, match: { user } });
        driver.sandbox.injectRate({ kind: 'rate_limit' }, 0.05, { seed: 802, match: { user } }); // 429 code 8, no Retry-After
      }
      const ids = await driver.submit(accountId, boardId, backlog);
      await until(`${backlog} pins of ${user}`, () => driver.pins(user) >= backlog, 25 * 60_000);
      const f = await backlogFigures(driver, user, ids, basis);
      const rateView = (await driver.call('GET', `/v1/accounts/${accountId}/rate`)).body as Record<string, unknown>;
      return { figures: { ...f, effective_limit_at_end: rateView.effective_limit as number }, met: options.check(f) };
    },
    summary: (f) =>
      `${f.sustained_per_min}/min sustained (${f.sustained_of_limit} of ${basis}), drained ${f.drained_per_min}/min, peak ${f.peak_60s} in 60 s, ${f.creates} creates, 429 ${f.http_429} (${f.share_429}), 5xx ${f.http_5xx}, effective limit at end ${f.effective_limit_at_end}`,
  };
}

/** A 429 with Retry-After on the 10th create: nothing may reach Pinterest for that account until it is over. */
const retryAfter: Scenario = {
  setup: `40 jobs, limit ${LIMIT}/min, 429 with Retry-After: 20 on the 10th create`,
  target: 'zero creates for that account inside those 20 s',
  async run(driver) {
    const { user, boardId, accountId } = await driver.connect(LIMIT, LIMIT);
    driver.sandbox.inject({ kind: 'rate_limit', retryAfterSeconds: 20 }, { nth: 10, match: { user } });
    const ids = await driver.submit(accountId, boardId, 40);
    await until(`40 pins of ${user}`, () => driver.pins(user) >= 40, 10 * 60_000);
    const sent = driver.creates(user);
    const refused = sent.find((r) => r.fault === 'rate_limit');
    if (!refused) throw new Error(`the injected 429 never hit a create of ${user}`);
    const inside = sent.filter((r) => r.at > refused.at && r.at < refused.at + 20_000).length;
    const next = sent.find((r) => r.at > refused.at);
    const after = sent.filter((r) => r.at >= refused.at + 20_000);
    const [afterFirst] = after;
    const afterLast = after.at(-1);
    const all = await driver.jobs(ids);
    return {
      figures: {
        creates: sent.length,
        creates_inside_hold: inside,
        next_create_after_s: next ? round((next.at - refused.at) / 1000, 2) : null,
        rate_after_hold_per_min: afterFirst && afterLast ? round(rate(after, afterFirst.at, afterLast.at)) : 0,
        succeeded: all.filter((j) => j.status === 'succeeded').length,
        peak_60s: peak(sent),
      },
      met: inside === 0,
    };
  },
  summary: (f) =>
    `${f.creates_inside_hold} creates inside the hold, next ${f.next_create_after_s} s after the 429, then ${f.rate_after_hold_per_min}/min`,
};

/** Equal load on 20 accounts, submitted one account after the other: the last must not finish far behind the first. */
const fairness: Scenario = {
  setup: `20 accounts × 10 jobs, equal load, limit ${LIMIT}/min, submitted account after account`,
  target: 'slowest ÷ fastest account completion ≤ 1.5',
  async run(driver) {
    const connected: BenchAccount[] = [];
    for (let i = 0; i < 20; i++) connected.push(await driver.connect(LIMIT, LIMIT));
    const start = Date.now();
    for (const c of connected) await driver.submit(c.accountId, c.boardId, 10);
    await until('200 pins', () => connected.every((c) => driver.pins(c.user) >= 10), 10 * 60_000);
    const completion = connected.map((c) => (driver.lastCreated(c.user).at - start) / 1000);
    const firstAttempt = connected.map((c) => (driver.firstCreate(c.user).at - start) / 1000);
    const ratio = Math.max(...completion) / Math.min(...completion);
    return {
      figures: {
        fastest_s: round(Math.min(...completion)),
        slowest_s: round(Math.max(...completion)),
        slowest_over_fastest: round(ratio, 2),
        latest_first_attempt_s: round(Math.max(...firstAttempt)),
      },
      met: ratio <= 1.5,
    };
  },
  summary: (f) =>
    `fastest ${f.fastest_s} s, slowest ${f.slowest_s} s: ratio ${f.slowest_over_fastest}; latest first attempt ${f.latest_first_attempt_s} s`,
};

/** One account's long backlog must not hold up the first job of accounts that arrive after it. */
const hotCold: Scenario = {
  setup: `one hot account with a 100-job backlog at ${LIMIT}/min, then 5 other accounts submit one job each`,
  target: 'each first attempt within a few seconds (≤ 5 s)',
  async run(driver) {
    const hot = await driver.connect(LIMIT, LIMIT);
    const hotIds = await driver.submit(hot.accountId, hot.boardId, 100);
    await until('the hot backlog to start', () => driver.creates(hot.user).length >= 5, 60_000);
    const cold: BenchAccount[] = [];
    for (let i = 0; i < 5; i++) cold.push(await driver.connect(LIMIT, LIMIT));
    const submittedAt = Date.now();
    await Promise.all(cold.map((c) => driver.submit(c.accountId, c.boardId, 1)));
    await until('the cold jobs', () => cold.every((c) => driver.pins(c.user) >= 1), 60_000);
    const delays = cold.map((c) => (driver.firstCreate(c.user).at - submittedAt) / 1000);
    const hotLeft = 100 - driver.pins(hot.user);
    // The hot backlog is not part of any other measurement: cancel what is still waiting.
    await Promise.all(hotIds.map((id) => driver.call('POST', `/v1/jobs/${id}/cancel`)));
    return {
      figures: {
        worst_first_attempt_s: round(Math.max(...delays), 2),
        mean_first_attempt_s: round(delays.reduce((a, b) => a + b, 0) / delays.length, 2),
        hot_jobs_still_waiting: hotLeft,
      },
      met: Math.max(...delays) <= 5,
    };
  },
  summary: (f) => `worst first attempt ${f.worst_first_attempt_s} s (mean ${f.mean_first_attempt_s} s)`,
};

/** Every scenario, the single-account ones working through a `backlog`-job backlog. */
export function scenarios(backlog: number): Record<ScenarioName, Scenario> {
  return {
    'no-faults': backlogScenario(
      backlog,
      `${backlog}-job backlog, one account, limit ${LIMIT}/min, no faults`,
      '≥ 0.96 × limit; no 60 s window over the limit',
      { real: LIMIT, faults: false, check: (f) => f.sustained_of_limit >= 0.96 && f.peak_60s <= LIMIT },
    ),
    faults: backlogScenario(
      backlog,
      `${backlog}-job backlog, one account, limit ${LIMIT}/min, 10 % HTTP 500 + 5 % 429 code 8 without Retry-After`,
      'sustained ≥ 0.9 × limit; no 60 s window over the limit',
      { real: LIMIT, faults: true, check: (f) => f.sustained_of_limit >= 0.9 && f.peak_60s <= LIMIT },
    ),
    'real-limit': backlogScenario(
      backlog,
      `same faults, Pinterest's real limit 30/min (429 without Retry-After) while configured ${LIMIT}/min`,
      'sustained ≥ 0.8 × 30; 429s ≤ 10 % of creates',
      { real: 30, retryAfter: false, faults: true, basis: 30, check: (f) => f.sustained_of_limit >= 0.8 && f.share_429 <= 0.1 },
    ),
    'retry-after': retryAfter,
    fairness,
    'hot-cold': hotCold,
  };
}
