/**
 * `npm run chaos`: the whole local pipeline under every fault at once (bench/chaos-run.ts), then the
 * promise checked from the outside: nothing lost, nothing duplicated, never over a limit, every failure
 * explained, every terminal event delivered to a subscribed webhook. Prints a table, writes
 * bench/results/chaos.json, and exits 1 when a figure that must be 0 is not.
 *
 *   npm run chaos -- --jobs 500 --accounts 20 --seed 1
 *   npm run chaos -- --help
 *
 * It starts DynamoDB Local and fauxqs itself and stops them by PID at the end (also on Ctrl-C); all
 * traffic stays on 127.0.0.1. A progress line goes to stderr every 5 s.
 */
import { cpus, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { details, table, writeResult } from './chaos-report.ts';
import { runChaos, stopRun } from './chaos-run.ts';

const USAGE = `Usage: npm run chaos -- [--jobs N] [--accounts K] [--seed S] [options]

Runs N publish jobs over K Pinterest accounts through local mode with every fault at once (DynamoDB
throttling, SQS and Secrets Manager outages, EventBridge refusing entries, Pinterest 5xx/429 storms and
lost answers, tokens expiring, the webhook receiver down, the worker pollers killed and restarted), then
checks that nothing was lost or duplicated, no account went over its limit, every failure is explained,
and every terminal event reached the webhook receiver.

  --jobs N          jobs to submit (default 200)
  --accounts K      accounts they are spread over (default 10)
  --seed S          seed of every fault and of the plan (default 1)
  --limit L         creates per minute per account, at pinrelay and at the sandbox (default 100)
  --timeout MIN     stop waiting for the jobs after MIN minutes (default 25)
  --no-restarts     keep the worker pollers running
  --log-level LEVEL the functions' log level on stdout (default SILENT)
  --out FILE        where the JSON goes (default bench/results/chaos.json)
  --help            this text

Exit status: 0 when lost, duplicate pins, mismatched pins, windows over the limit, limiter refusals,
unexplained failures, webhook events missing and webhook-id conflicts are all 0; 1 otherwise.`;

const { values } = parseArgs({
  options: {
    jobs: { type: 'string', default: '200' },
    accounts: { type: 'string', default: '10' },
    seed: { type: 'string', default: '1' },
    limit: { type: 'string', default: '100' },
    timeout: { type: 'string', default: '25' },
    'no-restarts': { type: 'boolean', default: false },
    'log-level': { type: 'string', default: 'SILENT' },
    out: { type: 'string', default: 'bench/results/chaos.json' },
    help: { type: 'boolean', default: false },
  },
  strict: true,
});

function positive(name: string, raw: string | undefined): number {
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1) {
    console.error(`--${name} must be a positive integer (got ${raw})\n\n${USAGE}`);
    process.exit(2);
  }
  return value;
}

async function main(): Promise<number> {
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const options = {
    jobs: positive('jobs', values.jobs),
    accounts: positive('accounts', values.accounts),
    seed: positive('seed', values.seed),
    limit: positive('limit', values.limit),
    timeoutMs: positive('timeout', values.timeout) * 60_000,
    restarts: !values['no-restarts'],
    logLevel: values['log-level'],
  };
  console.error(
    `pinrelay chaos run: ${options.jobs} jobs over ${options.accounts} accounts, seed ${options.seed} ` +
      `(${cpus().length} cores, load ${loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')})`,
  );
  const result = await runChaos({ ...options, progress: (line) => console.error(line) });
  console.log(`\n${table(result)}\n`);
  console.log(`faults: ${JSON.stringify(result.faults)}`);
  console.log(`attempt outcomes: ${JSON.stringify(result.outcomes)}`);
  if (Object.keys(result.failures).length > 0) console.log(`failed jobs by route/reason: ${JSON.stringify(result.failures)}`);
  const bad = Object.entries(result.violations).filter(([, n]) => n > 0);
  for (const [name] of bad) console.log(`${name}: ${JSON.stringify(details(result, name)).slice(0, 2_000)}`);
  writeResult(values.out, result);
  console.error(`wrote ${values.out}`);
  return bad.length === 0 ? 0 : 1;
}

let stopping = false;
async function interrupted(code: number): Promise<void> {
  if (stopping) return;
  stopping = true;
  console.error('stopping: every server this run started is being stopped');
  await stopRun();
  process.exit(code);
}
process.on('SIGINT', () => void interrupted(130));
process.on('SIGTERM', () => void interrupted(143));

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
