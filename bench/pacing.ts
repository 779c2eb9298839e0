/**
 * `npm run bench:pacing`: how much of an account's rate limit pinrelay uses when Pinterest misbehaves,
 * measured on local mode (local/pipeline.ts: DynamoDB Local, fauxqs, the same handlers) against the
 * built-in Pinterest sandbox (local/pinterest-sandbox.ts) and its fault modes. Prints a table and writes
 * bench/results/pacing.json. A benchmark, not a test: nothing here gates CI on a time.
 *
 *   npm run bench:pacing                          every scenario (about 15 minutes)
 *   npm run bench:pacing -- --only faults,retry-after
 *   npm run bench:pacing -- --out /tmp/pacing.json
 *
 * All traffic stays on 127.0.0.1; every server it starts is stopped at the end (also on Ctrl-C).
 * Figures are taken from the sandbox's request log (arrival times at "Pinterest"):
 * - sustained: create requests per minute from the first create to the last job's first attempt, i.e.
 *   while the backlog still had fresh work (the tail of late retries is reported apart, as drained);
 * - peak: the most creates in any closed 60 s window [t, t + 60 s];
 * - 429 share: creates answered 429 (injected or the sandbox's own limiter) ÷ creates.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname } from 'node:path';
import { parseArgs } from 'node:util';
import { execFileSync } from 'node:child_process';
import type { Job } from '../lambdas/api/schemas.ts';
import type { PinterestSandbox, SandboxRequestLog } from '../local/pinterest-sandbox.ts';
import { startPipeline, type Pipeline } from '../local/pipeline.ts';

const SCENARIOS = ['no-faults', 'faults', 'real-limit', 'retry-after', 'fairness', 'hot-cold'] as const;
type ScenarioName = (typeof SCENARIOS)[number];

const { values } = parseArgs({
  options: { only: { type: 'string' }, out: { type: 'string', default: 'bench/results/pacing.json' }, jobs: { type: 'string' } },
  strict: true,
});
const selected = (values.only ? values.only.split(',').map((s) => s.trim()) : [...SCENARIOS]) as ScenarioName[];
for (const name of selected) if (!SCENARIOS.includes(name)) throw new Error(`unknown scenario ${name}; one of ${SCENARIOS.join(', ')}`);
/** Backlog size of the single-account scenarios (the 150 by default). */
const BACKLOG = Number(values.jobs ?? 150);

interface Row {
  readonly scenario: string;
  readonly setup: string;
  readonly figures: Record<string, number | string | null>;
  readonly target: string;
  readonly met: boolean;
  readonly durationSeconds: number;
  readonly loadAverage: { readonly before: number; readonly after: number };
}

let pipeline: Pipeline | undefined;
let sandbox: PinterestSandbox;
let accounts = 0;

async function call(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  const response = await fetch(`${pipeline!.apiUrl}${path}`, {
    method,
    headers: {
      Authorization: `Bearer ${pipeline!.apiKey}`,
      ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}),
      ...headers,
    },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await response.text();
  return { status: response.status, body: text ? (JSON.parse(text) as unknown) : undefined };
}

/** A fresh sandbox user with a board and a connected account (configured `limit`; Pinterest's own `real`). */
async function connect(limit: number, real: number, options: { retryAfter?: boolean } = {}) {
  accounts++;
  const user = `bench${accounts}`;
  const boardId = `${500000 + accounts}`;
  const tokens = sandbox.addUser({
    username: user,
    boards: [boardId],
    ratePerMinute: real,
    rateLimitRetryAfter: options.retryAfter ?? true,
  });
  const accountId = `bench-${accounts}`;
  const put = await call('PUT', `/v1/accounts/${accountId}`, {
    access_token: tokens.accessToken,
    refresh_token: tokens.refreshToken,
    rate_limit_per_minute: limit,
  });
  if (put.status !== 200) throw new Error(`PUT account answered ${put.status}`);
  return { user, boardId, accountId };
}

async function submit(accountId: string, boardId: string, count: number, prefix = accountId): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < count; i += 20) {
    const batch = await Promise.all(
      Array.from({ length: Math.min(20, count - i) }, (_, k) => {
        const key = `${prefix}-${i + k}`;
        return call(
          'POST',
          '/v1/pins',
          {
            account_id: accountId,
            board_id: boardId,
            title: key,
            link: `https://shop.example.com/${key}`,
            media_source: { source_type: 'image_url', url: `https://cdn.example.com/${key}.jpg` },
          },
          { 'Idempotency-Key': key },
        );
      }),
    );
    for (const r of batch) {
      if (r.status !== 202) throw new Error(`POST /v1/pins answered ${r.status}`);
      ids.push((r.body as Job).id);
    }
  }
  return ids;
}

async function until(what: string, probe: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!probe()) {
    if (Date.now() > deadline) {
      console.error(`  gave up waiting for ${what} after ${Math.round(timeoutMs / 1000)} s`);
      return false;
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  return true;
}

const createsOf = (user: string): SandboxRequestLog[] =>
  sandbox.requests().filter((r) => r.user === user && r.method === 'POST' && r.path === '/v5/pins');
const pinsOf = (user: string) => sandbox.pins({ user }).length;

async function jobs(ids: readonly string[]): Promise<Job[]> {
  const out: Job[] = [];
  for (let i = 0; i < ids.length; i += 25)
    out.push(...(await Promise.all(ids.slice(i, i + 25).map(async (id) => (await call('GET', `/v1/jobs/${id}`)).body as Job))));
  return out;
}

/** The most requests in any closed window [t, t + 60 s] starting at a request. */
function peak(requests: readonly SandboxRequestLog[]): number {
  const times = requests.map((r) => r.at).sort((a, b) => a - b);
  let max = 0;
  let end = 0;
  for (let start = 0; start < times.length; start++) {
    while (end < times.length && times[end]! - times[start]! <= 60_000) end++;
    max = Math.max(max, end - start);
  }
  return max;
}

/** Creates per minute over [from, to]: (n − 1) / span, the first create starting the clock. */
function rate(requests: readonly SandboxRequestLog[], from: number, to: number): number {
  const inside = requests.filter((r) => r.at >= from && r.at <= to);
  if (inside.length < 2) return 0;
  return ((inside.length - 1) * 60_000) / (inside.at(-1)!.at - inside[0]!.at);
}

const round = (n: number, digits = 1) => Math.round(n * 10 ** digits) / 10 ** digits;

/** Throughput figures of one account's backlog (ids: its jobs). */
async function backlogFigures(user: string, ids: readonly string[], limit: number) {
  const sent = createsOf(user);
  const all = await jobs(ids);
  const firstAttempts = all.map((j) => Date.parse(j.attempts[0]?.started_at ?? '')).filter(Number.isFinite);
  const lastFirst = Math.max(...firstAttempts);
  const sustained = rate(sent, sent[0]!.at, lastFirst + 1000);
  const drained = rate(sent, sent[0]!.at, sent.at(-1)!.at);
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

async function measure(
  scenario: string,
  setup: string,
  target: string,
  body: () => Promise<{ figures: Row['figures']; met: boolean }>,
): Promise<Row> {
  console.error(`\n▶ ${scenario}: ${setup}`);
  const before = loadavg()[0]!;
  const started = Date.now();
  const { figures, met } = await body();
  const row: Row = {
    scenario,
    setup,
    figures,
    target,
    met,
    durationSeconds: Math.round((Date.now() - started) / 1000),
    loadAverage: { before: round(before, 2), after: round(loadavg()[0]!, 2) },
  };
  console.error(`  ${met ? 'met' : 'NOT met'}: ${JSON.stringify(figures)}`);
  return row;
}

const LIMIT = 60;

async function backlogScenario(
  scenario: string,
  setup: string,
  target: string,
  options: {
    real: number;
    faults: boolean;
    retryAfter?: boolean;
    check: (f: Awaited<ReturnType<typeof backlogFigures>>) => boolean;
    basis?: number;
  },
) {
  return measure(scenario, setup, target, async () => {
    const { user, boardId, accountId } = await connect(LIMIT, options.real, { retryAfter: options.retryAfter ?? true });
    if (options.faults) {
      sandbox.injectRate({ kind: 'status', status: 500 }, 0.1, { seed: 801, match: { user } });
      sandbox.injectRate({ kind: 'rate_limit' }, 0.05, { seed: 802, match: { user } }); // 429 code 8, no Retry-After
    }
    const ids = await submit(accountId, boardId, BACKLOG);
    await until(`${BACKLOG} pins of ${user}`, () => pinsOf(user) >= BACKLOG, 25 * 60_000);
    const f = await backlogFigures(user, ids, options.basis ?? LIMIT);
    const rateView = (await call('GET', `/v1/accounts/${accountId}/rate`)).body as Record<string, unknown>;
    return { figures: { ...f, effective_limit_at_end: rateView['effective_limit'] as number }, met: options.check(f) };
  });
}

async function main(): Promise<void> {
  const started = new Date();
  console.error(
    `pinrelay pacing benchmark: ${selected.join(', ')} (${cpus().length} cores, load ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')})`,
  );
  pipeline = await startPipeline({
    port: 0,
    reconciler: false,
    pacing: { accountPerMinute: LIMIT, appPerSecond: 100 },
    log: () => undefined,
  });
  sandbox = pipeline.sandbox!;
  const rows: Row[] = [];

  for (const name of selected) {
    if (name === 'no-faults') {
      rows.push(
        await backlogScenario(
          'no-faults',
          `${BACKLOG}-job backlog, one account, limit ${LIMIT}/min, no faults`,
          '≥ 0.96 × limit; no 60 s window over the limit',
          {
            real: LIMIT,
            faults: false,
            check: (f) => f.sustained_of_limit >= 0.96 && f.peak_60s <= LIMIT,
          },
        ),
      );
    } else if (name === 'faults') {
      rows.push(
        await backlogScenario(
          'faults',
          `${BACKLOG}-job backlog, one account, limit ${LIMIT}/min, 10 % HTTP 500 + 5 % 429 code 8 without Retry-After`,
          'sustained ≥ 0.9 × limit; no 60 s window over the limit',
          {
            real: LIMIT,
            faults: true,
            check: (f) => f.sustained_of_limit >= 0.9 && f.peak_60s <= LIMIT,
          },
        ),
      );
    } else if (name === 'real-limit') {
      rows.push(
        await backlogScenario(
          'real-limit',
          `same faults, Pinterest's real limit 30/min (429 without Retry-After) while configured ${LIMIT}/min`,
          'sustained ≥ 0.8 × 30; 429s ≤ 10 % of creates',
          {
            real: 30,
            retryAfter: false,
            faults: true,
            basis: 30,
            check: (f) => f.sustained_of_limit >= 0.8 && f.share_429 <= 0.1,
          },
        ),
      );
    } else if (name === 'retry-after') {
      rows.push(
        await measure(
          'retry-after',
          `40 jobs, limit ${LIMIT}/min, 429 with Retry-After: 20 on the 10th create`,
          'zero creates for that account inside those 20 s',
          async () => {
            const { user, boardId, accountId } = await connect(LIMIT, LIMIT);
            sandbox.inject({ kind: 'rate_limit', retryAfterSeconds: 20 }, { nth: 10, match: { user } });
            const ids = await submit(accountId, boardId, 40);
            await until(`40 pins of ${user}`, () => pinsOf(user) >= 40, 10 * 60_000);
            const sent = createsOf(user);
            const refused = sent.find((r) => r.fault === 'rate_limit')!;
            const inside = sent.filter((r) => r.at > refused.at && r.at < refused.at + 20_000).length;
            const next = sent.find((r) => r.at > refused.at);
            const after = sent.filter((r) => r.at >= refused.at + 20_000);
            const all = await jobs(ids);
            return {
              figures: {
                creates: sent.length,
                creates_inside_hold: inside,
                next_create_after_s: next ? round((next.at - refused.at) / 1000, 2) : null,
                rate_after_hold_per_min: round(rate(after, after[0]!.at, after.at(-1)!.at)),
                succeeded: all.filter((j) => j.status === 'succeeded').length,
                peak_60s: peak(sent),
              },
              met: inside === 0,
            };
          },
        ),
      );
    } else if (name === 'fairness') {
      rows.push(
        await measure(
          'fairness',
          `20 accounts × 10 jobs, equal load, limit ${LIMIT}/min, submitted account after account`,
          'slowest ÷ fastest account completion ≤ 1.5',
          async () => {
            const connected: Awaited<ReturnType<typeof connect>>[] = [];
            for (let i = 0; i < 20; i++) connected.push(await connect(LIMIT, LIMIT));
            const start = Date.now();
            for (const c of connected) await submit(c.accountId, c.boardId, 10);
            await until('200 pins', () => connected.every((c) => pinsOf(c.user) >= 10), 10 * 60_000);
            const completion = connected.map(
              (c) =>
                (createsOf(c.user)
                  .filter((r) => r.status === 201)
                  .at(-1)!.at -
                  start) /
                1000,
            );
            const firstAttempt = connected.map((c) => (createsOf(c.user)[0]!.at - start) / 1000);
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
        ),
      );
    } else if (name === 'hot-cold') {
      rows.push(
        await measure(
          'hot-cold',
          `one hot account with a 100-job backlog at ${LIMIT}/min, then 5 other accounts submit one job each`,
          'each first attempt within a few seconds (≤ 5 s)',
          async () => {
            const hot = await connect(LIMIT, LIMIT);
            const hotIds = await submit(hot.accountId, hot.boardId, 100);
            await until('the hot backlog to start', () => createsOf(hot.user).length >= 5, 60_000);
            const cold: Awaited<ReturnType<typeof connect>>[] = [];
            for (let i = 0; i < 5; i++) cold.push(await connect(LIMIT, LIMIT));
            const submittedAt = Date.now();
            await Promise.all(cold.map((c) => submit(c.accountId, c.boardId, 1)));
            await until('the cold jobs', () => cold.every((c) => pinsOf(c.user) >= 1), 60_000);
            const delays = cold.map((c) => (createsOf(c.user)[0]!.at - submittedAt) / 1000);
            const hotLeft = 100 - pinsOf(hot.user);
            // The hot backlog is not part of any other measurement: cancel what is still waiting.
            await Promise.all(hotIds.map((id) => call('POST', `/v1/jobs/${id}/cancel`)));
            return {
              figures: {
                worst_first_attempt_s: round(Math.max(...delays), 2),
                mean_first_attempt_s: round(delays.reduce((a, b) => a + b, 0) / delays.length, 2),
                hot_jobs_still_waiting: hotLeft,
              },
              met: Math.max(...delays) <= 5,
            };
          },
        ),
      );
    }
  }

  printTable(rows);
  const out = values.out!;
  mkdirSync(dirname(out), { recursive: true });
  let commit: string | null = null;
  try {
    commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
  } catch {
    /* not a checkout */
  }
  writeFileSync(
    out,
    `${JSON.stringify({ started: started.toISOString(), commit, cores: cpus().length, node: process.version, backlog: BACKLOG, rows }, null, 2)}\n`,
  );
  console.error(`\nwrote ${out}`);
}

function printTable(rows: readonly Row[]): void {
  const lines = [
    '| scenario | target | measured | met | load (1 min) |',
    '|---|---|---|---|---|',
    ...rows.map(
      (r) =>
        `| ${r.scenario}: ${r.setup} | ${r.target} | ${summary(r)} | ${r.met ? 'yes' : 'NO'} | ${r.loadAverage.before} → ${r.loadAverage.after} |`,
    ),
  ];
  console.log(`\n${lines.join('\n')}`);
}

function summary(row: Row): string {
  const f = row.figures;
  switch (row.scenario) {
    case 'no-faults':
    case 'faults':
    case 'real-limit':
      return `${f['sustained_per_min']}/min sustained (${f['sustained_of_limit']} of ${row.scenario === 'real-limit' ? 30 : LIMIT}), drained ${f['drained_per_min']}/min, peak ${f['peak_60s']} in 60 s, ${f['creates']} creates, 429 ${f['http_429']} (${f['share_429']}), 5xx ${f['http_5xx']}, effective limit at end ${f['effective_limit_at_end']}`;
    case 'retry-after':
      return `${f['creates_inside_hold']} creates inside the hold, next ${f['next_create_after_s']} s after the 429, then ${f['rate_after_hold_per_min']}/min`;
    case 'fairness':
      return `fastest ${f['fastest_s']} s, slowest ${f['slowest_s']} s: ratio ${f['slowest_over_fastest']}; latest first attempt ${f['latest_first_attempt_s']} s`;
    default:
      return `worst first attempt ${f['worst_first_attempt_s']} s (mean ${f['mean_first_attempt_s']} s)`;
  }
}

let stopping = false;
async function stop(code: number): Promise<never> {
  if (!stopping) {
    stopping = true;
    await pipeline?.stop().catch((e: unknown) => console.error(`stop failed: ${String(e)}`));
  }
  process.exit(code);
}
process.on('SIGINT', () => void stop(130));
process.on('SIGTERM', () => void stop(143));

main().then(
  () => stop(0),
  (error: unknown) => {
    console.error(error);
    return stop(1);
  },
);
