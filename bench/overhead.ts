/**
 * Pipeline overhead on local mode: intake latency next to the bare operations it wraps, end-to-end
 * latency on an idle queue, and sustained throughput with where the time goes (bench/overhead-intake.ts,
 * bench/overhead-throughput.ts). `npm run bench` calls runOverhead(); run alone it prints a table:
 *
 *   node --import tsx bench/overhead.ts [--jobs 300] [--accounts 20] [--requests 300] [--e2e 50]
 *                                       [--workers N] [--profile] [--out file.json]
 *
 * It starts DynamoDB Local, fauxqs, counting proxies and local mode itself, all on 127.0.0.1, and stops
 * every server by PID at the end, on failure and on Ctrl-C. A benchmark, not a test: nothing gates on it.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { measureEndToEnd, measureIntake, type EndToEndFigures, type IntakeFigures } from './overhead-intake.ts';
import { startOverheadStack, stopActiveStack } from './overhead-stack.ts';
import { measureThroughput, type ThroughputFigures } from './overhead-throughput.ts';
import { progressBar, type Progress } from './progress.ts';
import { runCli } from './cli.ts';

export interface OverheadOptions {
  /** Intake requests measured (after `warmup`). @default 300 */
  readonly requests?: number;
  /** @default 30 */
  readonly warmup?: number;
  /** End-to-end jobs, one at a time. @default 50 */
  readonly e2eJobs?: number;
  /** Throughput jobs and accounts. @default 300 over 20 */
  readonly jobs?: number;
  readonly accounts?: number;
  /** Publish-queue pollers. @default local mode's */
  readonly workerConcurrency?: number;
  /** Take a V8 CPU profile of the throughput step. @default false */
  readonly profile?: boolean;
}

export interface OverheadFigures {
  readonly intake: IntakeFigures;
  readonly endToEnd: EndToEndFigures;
  readonly throughput: ThroughputFigures;
  /** The throughput target of the issue, jobs/s. */
  readonly targetJobsPerSecond: number;
  readonly wallSeconds: number;
}

export const TARGET_JOBS_PER_SECOND = 5;

/** Runs the three measures on one local stack of its own, stopped before it returns (or throws). */
export async function runOverhead(options: OverheadOptions = {}, progress: Progress = () => undefined): Promise<OverheadFigures> {
  const started = Date.now();
  const stack = await startOverheadStack(options.workerConcurrency ? { workerConcurrency: options.workerConcurrency } : {});
  try {
    const intake = await measureIntake(stack, { requests: options.requests ?? 300, warmup: options.warmup ?? 30 }, progress);
    const endToEnd = await measureEndToEnd(stack, { jobs: options.e2eJobs ?? 50 }, progress);
    const throughput = await measureThroughput(
      stack,
      {
        jobs: options.jobs ?? 300,
        accounts: options.accounts ?? 20,
        profile: options.profile ?? false,
        ...(options.workerConcurrency ? { workerConcurrency: options.workerConcurrency } : {}),
      },
      progress,
    );
    return {
      intake,
      endToEnd,
      throughput,
      targetJobsPerSecond: TARGET_JOBS_PER_SECOND,
      wallSeconds: Math.round((Date.now() - started) / 1000),
    };
  } finally {
    await stack.stop();
  }
}

const ms = (v: number | null) => (v === null ? '–' : `${v.toFixed(1)} ms`);

/** The figures as Markdown tables (stdout). */
export function overheadTable(f: OverheadFigures): string {
  const { intake: i, endToEnd: e, throughput: t } = f;
  const lines = [
    '| measure | p50 | p99 | note |',
    '|---|---|---|---|',
    `| POST /v1/pins (authorizer + create-pin) | ${ms(i.intake.p50)} | ${ms(i.intake.p99)} | ${i.requests} sequential requests after ${i.warmup} warm-up |`,
    `| bare conditional PutItem + SQS SendMessage (FIFO) | ${ms(i.putSend.p50)} | ${ms(i.putSend.p99)} | ratio ${i.ratioToPutSend.p50 ?? '–'}× / ${i.ratioToPutSend.p99 ?? '–'}× (same proxy; direct: ${ms(i.putSendDirect.p50)} / ${ms(i.putSendDirect.p99)}) |`,
    `| bare GetItem (account) + conditional PutItem | ${ms(i.getPut.p50)} | ${ms(i.getPut.p99)} | intake's own store calls; ratio ${i.ratioToGetPut.p50 ?? '–'}× / ${i.ratioToGetPut.p99 ?? '–'}× |`,
    `| end to end: 202 → pin created | ${ms(e.acceptedToPin.p50)} | ${ms(e.acceptedToPin.p99)} | ${e.jobs} jobs one at a time over ${e.accounts} idle accounts |`,
    `| end to end: 202 → job.succeeded on the bus | ${ms(e.acceptedToEvent.p50)} | ${ms(e.acceptedToEvent.p99)} | |`,
    '',
    `Sustained: **${t.jobsPerSecond} jobs/s** (target ≥ ${f.targetJobsPerSecond}) — ${t.succeeded}/${t.jobs} jobs over ${t.accounts} accounts in ${t.seconds} s (${t.stoppedWaiting}); intake alone ${t.acceptedPerSecond}/s.`,
    '',
    '| stage | p50 | p99 | jobs |',
    '|---|---|---|---|',
    ...t.stages.map((s) => `| ${s.stage} | ${ms(s.p50)} | ${ms(s.p99)} | ${s.jobs} |`),
    '',
    `AWS calls per job by the functions (${t.callsPerJob.functionsTotal}): ${fmt(t.callsPerJob.functions)}`,
    `  by item: ${fmt(t.callsPerJob.byItem)}`,
    `Local event-source polling per job: ${fmt(t.callsPerJob.polling)}`,
    `Service time per job (ms): ${fmt(t.serviceMsPerJob)}`,
    `CPU s per job: ${fmt(t.cpu.secondsPerJob)}; cores busy (of ${t.cpu.cores}): ${fmt(t.cpu.coresBusy)}`,
    ...(t.profile
      ? [`Profile (self time, % of this process): ${fmt(t.profile.byArea)}`, ...t.profile.topFunctions.map((l) => `  ${l}`)]
      : []),
  ];
  return lines.join('\n');
}

const fmt = (r: Record<string, number>) =>
  Object.entries(r)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      jobs: { type: 'string' },
      accounts: { type: 'string' },
      requests: { type: 'string' },
      e2e: { type: 'string' },
      workers: { type: 'string' },
      profile: { type: 'boolean', default: false },
      out: { type: 'string' },
    },
    strict: true,
  });
  const num = (v: string | undefined) => (v === undefined ? undefined : Number(v));
  console.error(
    `pinrelay overhead benchmark (${cpus().length} cores, load ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')})`,
  );
  const bar = progressBar();
  const options: OverheadOptions = Object.fromEntries(
    Object.entries({
      jobs: num(values.jobs),
      accounts: num(values.accounts),
      requests: num(values.requests),
      e2eJobs: num(values.e2e),
      workerConcurrency: num(values.workers),
      profile: values.profile,
    }).filter(([, v]) => v !== undefined),
  );
  const figures = await runOverhead(options, bar.update);
  bar.finish();
  console.log(`\n${overheadTable(figures)}`);
  if (values.out) {
    mkdirSync(dirname(values.out), { recursive: true });
    writeFileSync(values.out, `${JSON.stringify(figures, null, 2)}\n`);
    console.error(`wrote ${values.out}`);
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) runCli(main, stopActiveStack);
