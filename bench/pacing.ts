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
 * The scenarios are in bench/pacing-scenarios.ts, how each figure is taken in bench/pacing-figures.ts.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname } from 'node:path';
import { parseArgs } from 'node:util';
import { startPipeline, type Pipeline } from '../local/pipeline.ts';
import { BenchDriver } from './pacing-driver.ts';
import { measure, type Row } from './pacing-figures.ts';
import { LIMIT, SCENARIO_NAMES, type ScenarioName, scenarios } from './pacing-scenarios.ts';
import { runCli } from './cli.ts';

const { values } = parseArgs({
  options: { only: { type: 'string' }, out: { type: 'string', default: 'bench/results/pacing.json' }, jobs: { type: 'string' } },
  strict: true,
});
const selected = (values.only ? values.only.split(',').map((s) => s.trim()) : [...SCENARIO_NAMES]) as ScenarioName[];
for (const name of selected)
  if (!SCENARIO_NAMES.includes(name)) throw new Error(`unknown scenario ${name}; one of ${SCENARIO_NAMES.join(', ')}`);
/** Backlog size of the single-account scenarios (the 150 by default). */
const BACKLOG = Number(values.jobs ?? 150);
const SCENARIOS = scenarios(BACKLOG);

let pipeline: Pipeline | undefined;

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
    // The benchmark submits its backlog at once: the per-tenant API limits (429) are not what it measures.
    api: { tenantLimits: false },
    log: () => undefined,
  });
  if (!pipeline.sandbox) throw new Error('local mode started without its Pinterest sandbox: the figures come from its request log');
  const driver = new BenchDriver(pipeline, pipeline.sandbox);
  const measured: { row: Row; summary: string }[] = [];
  for (const name of selected) {
    const scenario = SCENARIOS[name];
    const row = await measure(name, scenario.setup, scenario.target, () => scenario.run(driver));
    measured.push({ row, summary: scenario.summary(row.figures) });
  }
  const rows = measured.map((m) => m.row);

  printTable(measured);
  const out = values.out;
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

function printTable(measured: readonly { row: Row; summary: string }[]): void {
  const lines = [
    '| scenario | target | measured | met | load (1 min) |',
    '|---|---|---|---|---|',
    ...measured.map(
      ({ row: r, summary }) =>
        `| ${r.scenario}: ${r.setup} | ${r.target} | ${summary} | ${r.met ? 'yes' : 'NO'} | ${r.loadAverage.before} → ${r.loadAverage.after} |`,
    ),
  ];
  console.log(`\n${lines.join('\n')}`);
}

runCli(main, async () => pipeline?.stop());
