/**
 * `npm run bench`: every benchmark in one run, on this machine, with the Pinterest sandbox — cold start
 * (bench/cold-start.ts), pipeline overhead (bench/overhead.ts), the naive loop against pinrelay under the
 * same faults with the AWS requests counted and priced (bench/compare-run.ts), and pacing under faults and
 * across accounts (the bench:pacing scenarios `faults` and `fairness`). Prints every table, writes
 * bench/results/latest.json (machine, date, commit, every figure) and the publish-rate charts
 * docs/benchmarks/publish-rate-{pinrelay,naive}.svg that docs/benchmarks.md embeds.
 *
 *   npm run bench                      everything (about 10 minutes on 2 cores)
 *   npm run bench -- --only cold-start,overhead
 *   npm run bench -- --out /tmp/latest.json --charts /tmp
 *
 * Each step starts its own emulators and servers on 127.0.0.1 and stops them by PID before the next one
 * starts (also on failure and on Ctrl-C). A benchmark, not a test: nothing here gates CI on a time.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { arch, cpus, loadavg, platform, release, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { startPipeline, type Pipeline } from '../local/pipeline.ts';
import { renderRateChart } from './chart-svg.ts';
import { coldStartTable, measureColdStart, type ColdStartReport } from './cold-start.ts';
import { runComparison, stopComparison, type ComparisonResult } from './compare-run.ts';
import { overheadTable, runOverhead, type OverheadFigures } from './overhead.ts';
import { stopActiveStack } from './overhead-stack.ts';
import { BenchDriver } from './pacing-driver.ts';
import { measure, type Row } from './pacing-figures.ts';
import { LIMIT as PACING_LIMIT, scenarios } from './pacing-scenarios.ts';
import { progressBar, type Progress } from './progress.ts';
import { runCli } from './cli.ts';

const STEPS = ['cold-start', 'overhead', 'compare', 'pacing'] as const;
type Step = (typeof STEPS)[number];

const { values } = parseArgs({
  options: {
    only: { type: 'string' },
    out: { type: 'string', default: 'bench/results/latest.json' },
    charts: { type: 'string', default: 'docs/benchmarks' },
    help: { type: 'boolean', default: false },
  },
  strict: true,
});

const USAGE = `Usage: npm run bench -- [--only ${STEPS.join(',')}] [--out FILE] [--charts DIR]`;

/**
 * The comparison's limit: 60 creates per minute per account, the pacing benchmark's too. 1,000 intents over
 * 20 accounts is 50 each, about 60 creates with the faults' retries, so pinrelay's run is bounded by pacing
 * (about a minute per account, all accounts at once) plus the retry tail; the naive loop's 8 workers send
 * far faster than 60 a minute per account and meet the sandbox's limiter.
 */
const COMPARE = { intents: 1000, accounts: 20, seed: 12, limitPerMinute: 60 } as const;
/** The pacing scenarios that fit the budget: a faulty backlog on one account, and 20 accounts at once. */
const PACING_BACKLOG = 100;

interface Results {
  coldStart?: ColdStartReport;
  overhead?: OverheadFigures;
  comparison?: Omit<ComparisonResult, 'tables'>;
  pacing?: Row[];
}

function selectedSteps(): Step[] {
  if (!values.only) return [...STEPS];
  const names = values.only.split(',').map((s) => s.trim());
  for (const name of names) {
    if (!(STEPS as readonly string[]).includes(name)) {
      console.error(`unknown step ${name}\n${USAGE}`);
      process.exit(2);
    }
  }
  return names as Step[];
}

function commitOf(): string | null {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
  } catch {
    return null;
  }
}

function machine() {
  const cpu = cpus();
  return {
    cores: cpu.length,
    cpu: cpu[0]?.model ?? 'unknown',
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    platform: `${platform()} ${release()} ${arch()}`,
    node: process.version,
  };
}

let pacingPipeline: Pipeline | undefined;

async function pacingStep(progress: Progress): Promise<Row[]> {
  const all = scenarios(PACING_BACKLOG);
  const chosen = ['faults', 'fairness'] as const;
  pacingPipeline = await startPipeline({
    port: 0,
    reconciler: false,
    pacing: { accountPerMinute: PACING_LIMIT, appPerSecond: 100 },
    // The benchmark submits its backlog at once: the per-tenant API limits (429) are not what it measures.
    api: { tenantLimits: false },
    log: () => undefined,
  });
  try {
    if (!pacingPipeline.sandbox) throw new Error('local mode started without its Pinterest sandbox');
    const driver = new BenchDriver(pacingPipeline, pacingPipeline.sandbox);
    const rows: Row[] = [];
    for (const [i, name] of chosen.entries()) {
      progress(i, chosen.length, `pacing: ${name}`);
      const scenario = all[name];
      rows.push(await measure(name, scenario.setup, scenario.target, () => scenario.run(driver)));
    }
    progress(chosen.length, chosen.length, 'pacing: done');
    return rows;
  } finally {
    await pacingPipeline.stop();
    pacingPipeline = undefined;
  }
}

function pacingTable(rows: readonly Row[]): string {
  const all = scenarios(PACING_BACKLOG);
  return [
    '| scenario | target | measured | met |',
    '|---|---|---|---|',
    ...rows.map(
      (r) => `| ${r.scenario}: ${r.setup} | ${r.target} | ${all[r.scenario as 'faults'].summary(r.figures)} | ${r.met ? 'yes' : 'NO'} |`,
    ),
  ].join('\n');
}

function writeCharts(comparison: ComparisonResult, dir: string): string[] {
  mkdirSync(dir, { recursive: true });
  const written: string[] = [];
  const { limitPerMinute } = comparison.timelines;
  for (const system of ['pinrelay', 'naive'] as const) {
    const timelines = comparison.timelines[system];
    const svg = renderRateChart({
      series: Object.entries(timelines).map(([account, createdAtMs]) => ({ account, createdAtMs })),
      limitPerMinute,
      title: `${system === 'pinrelay' ? 'pinrelay' : 'naive loop'}: creates per rolling minute, ${Object.keys(timelines).length} accounts, limit ${limitPerMinute}/min`,
    });
    const file = join(dir, `publish-rate-${system}.svg`);
    writeFileSync(file, svg);
    written.push(file);
  }
  return written;
}

/** Runs one step, adding its figures to `results` and its tables to `tables`; returns the chart files it wrote. */
async function runStep(step: Step, progress: Progress, results: Results, tables: string[]): Promise<string[]> {
  if (step === 'cold-start') {
    progress(0, 1, 'bundling every function');
    const report = await measureColdStart({
      runs: 7,
      onProgress: (done, total) => progress(done, total, 'importing bundles in fresh processes'),
    });
    results.coldStart = report;
    tables.push(`## Cold start\n\n${coldStartTable(report)}`);
  } else if (step === 'overhead') {
    const figures = await runOverhead({ requests: 300, e2eJobs: 50, jobs: 300, accounts: 20 }, progress);
    results.overhead = figures;
    tables.push(`## Pipeline overhead\n\n${overheadTable(figures)}`);
  } else if (step === 'compare') {
    const comparison = await runComparison({ ...COMPARE, progress });
    const { tables: compared, ...rest } = comparison;
    results.comparison = rest;
    const charts = writeCharts(comparison, values.charts);
    tables.push(
      `## Naive loop vs pinrelay\n\n${compared.figures}\n\n### AWS requests per published pin\n\n${compared.requests}\n\n### Cost per million pins\n\n${compared.cost}`,
    );
    return charts;
  } else {
    const rows = await pacingStep(progress);
    results.pacing = rows;
    tables.push(`## Pacing\n\n${pacingTable(rows)}`);
  }
  return [];
}

async function main(): Promise<number> {
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const steps = selectedSteps();
  const started = new Date();
  console.error(
    `pinrelay benchmarks: ${steps.join(', ')} (${cpus().length} cores, load ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')})`,
  );
  const bar = progressBar();
  const stepProgress =
    (index: number, name: string): Progress =>
    (done, total, label) =>
      bar.update(done, total, `[${index + 1}/${steps.length} ${name}] ${label}`);
  const results: Results = {};
  const tables: string[] = [];
  const seconds: Record<string, number> = {};
  let charts: readonly string[] = [];

  const failed: Record<string, string> = {};
  for (const [index, step] of steps.entries()) {
    const progress = stepProgress(index, step);
    const t0 = Date.now();
    try {
      charts = charts.concat(await runStep(step, progress, results, tables));
    } catch (error) {
      // One step failing does not throw away the others' figures: it is reported, and the run exits 1.
      bar.finish();
      console.error(`${step} failed:`, error);
      failed[step] = error instanceof Error ? error.message : String(error);
      tables.push(`## ${step}\n\nFAILED: ${failed[step]}`);
    }
    seconds[step] = Math.round((Date.now() - t0) / 1000);
  }
  bar.finish();

  const wallSeconds = Math.round((Date.now() - started.getTime()) / 1000);
  console.log(`\n${tables.join('\n\n')}\n\nSteps: ${steps.map((s) => `${s} ${seconds[s]} s`).join(', ')}; total ${wallSeconds} s.`);
  const out = values.out;
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(
    out,
    `${JSON.stringify(
      {
        date: started.toISOString(),
        commit: commitOf(),
        command: `npm run bench${values.only ? ` -- --only ${values.only}` : ''}`,
        machine: machine(),
        wallSeconds,
        stepSeconds: seconds,
        failed,
        ...results,
      },
      null,
      2,
    )}\n`,
  );
  console.error(`wrote ${[out, ...charts].join(', ')}`);
  return Object.keys(failed).length === 0 ? 0 : 1;
}

runCli(main, async () => {
  const quiet = (e: unknown) => console.error(`stop failed: ${String(e)}`);
  await Promise.all([stopComparison().catch(quiet), stopActiveStack().catch(quiet), pacingPipeline?.stop().catch(quiet)]);
});
