/**
 * The naive loop and pinrelay side by side under the same seeded faults, the AWS requests pinrelay makes per
 * published pin (counted at the emulators and stand-ins) and the cost per million pins
 * (bench/compare-run.ts). Prints the tables; with --out, writes every figure as JSON.
 *
 *   node --import tsx bench/compare.ts [--intents 1000 --accounts 20 --seed 12 --limit 30 --out file.json]
 *
 * Starts its own emulators (DynamoDB Local, fauxqs) and servers on 127.0.0.1 and stops them all at the end,
 * also on failure and on Ctrl-C.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname } from 'node:path';
import { parseArgs } from 'node:util';
import { runComparison, stopComparison } from './compare-run.ts';
import { runCli } from './cli.ts';

const { values } = parseArgs({
  options: {
    intents: { type: 'string' },
    accounts: { type: 'string' },
    seed: { type: 'string' },
    limit: { type: 'string' },
    out: { type: 'string' },
  },
  strict: true,
});
const number = (value: string | undefined, name: string): number | undefined => {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a positive integer`);
  return n;
};

let lastLine = 0;
function progress(done: number, total: number, label: string): void {
  if (Date.now() - lastLine < 2_000 && done < total) return;
  lastLine = Date.now();
  const width = 30;
  const filled = Math.round((Math.min(done, total) / Math.max(1, total)) * width);
  process.stderr.write(`[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total} ${label}\n`);
}

async function main(): Promise<void> {
  const intents = number(values.intents, 'intents');
  const accounts = number(values.accounts, 'accounts');
  const seed = number(values.seed, 'seed');
  const limitPerMinute = number(values.limit, 'limit');
  console.error(`comparison: naive loop vs pinrelay (${cpus().length} cores, node ${process.version})`);
  const result = await runComparison({
    ...(intents ? { intents } : {}),
    ...(accounts ? { accounts } : {}),
    ...(seed ? { seed } : {}),
    ...(limitPerMinute ? { limitPerMinute } : {}),
    progress,
  });
  const o = result.options;
  console.log(
    `\n${o.intents} intents over ${o.accounts} accounts, seed ${o.seed}, limit ${o.limitPerMinute} creates/min per account; ` +
      `faults on creates: ${pct(o.faults.serverError)} 503, ${pct(o.faults.createThenDrop)} create-then-drop, ` +
      `${pct(o.faults.rateLimitedNoRetryAfter)} 429 without Retry-After; 20 % of intents submitted twice\n`,
  );
  console.log(result.tables.figures);
  console.log(`\npinrelay: ${JSON.stringify(result.pinrelay.byStatus)}; promise violations: ${JSON.stringify(result.pinrelay.violations)}`);
  console.log(`naive loop: ${result.naive.gaveUp} submissions gave up after 3 retries\n`);
  console.log(result.tables.requests);
  console.log(`\n${result.tables.cost}`);
  console.log(`\nwall time ${result.wallSeconds.toFixed(0)} s`);
  if (values.out) {
    mkdirSync(dirname(values.out), { recursive: true });
    writeFileSync(values.out, `${JSON.stringify(result, null, 2)}\n`);
    console.error(`wrote ${values.out}`);
  }
}

const pct = (share: number) => `${Math.round(share * 100)} %`;

runCli(main, stopComparison);
