/**
 * How a chaos run is reported (bench/chaos.ts and test/integration/chaos.test.ts): the table of figures,
 * the violations in detail, and bench/results/chaos.json.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname } from 'node:path';
import type { ChaosResult } from './chaos-run.ts';

export function table(result: ChaosResult): string {
  const r = result.report;
  const v = result.violations;
  const must = (name: string, value: number) => `| ${name} | ${value} | 0 | ${value === 0 ? 'yes' : 'NO'} |`;
  return [
    `| figure | value | must be | ok |`,
    `|---|---|---|---|`,
    `| jobs | ${r.jobs} | | |`,
    `| terminal | ${r.terminal} (${Object.entries(r.byStatus)
      .map(([s, n]) => `${s} ${n}`)
      .join(', ')}) | | |`,
    must('lost', v.lost ?? 0),
    must('duplicate pins', v.duplicatePins ?? 0),
    must('pins not matching their job', v.mismatchedPins ?? 0),
    `| failed jobs whose pin exists, as their record warns (check the board) | ${r.unconfirmedPins.length} | | |`,
    must('windows over the limit', v.windowsOverLimit ?? 0),
    must("creates refused by the sandbox's limiter", v.limiterRefusals ?? 0),
    must('failures not explained', v.unexplained ?? 0),
    must('webhook events missing', v.webhookEventsMissing ?? 0),
    must('one change under two webhook-ids', v.webhookIdConflicts ?? 0),
    `| job events on the bus: copies (distinct) | ${result.busEvents.copies} (${result.busEvents.distinct}) | | |`,
    `| webhook deliveries accepted (repeats) | ${r.webhookDeliveries} (${r.webhookRepeats}) | | |`,
    `| webhook backlog after the last job ended (dead-lettered) | ${Math.round(result.webhooks.drainSeconds)} s (${result.webhooks.deadLettered}) | | |`,
    `| peak creates in a 60 s window (limit) | ${Math.max(0, ...Object.values(r.peaks).map((p) => p.peak))} (${result.options.limit}) | | |`,
    `| faults injected | ${Object.values(result.faults).reduce((a, b) => a + b, 0)} | | |`,
    `| worker restarts | ${result.restarts} | | |`,
    `| wall time | ${Math.round(result.wallSeconds)} s (jobs ended in ${Math.round(result.runSeconds)} s: ${result.stoppedWaiting}) | | |`,
  ].join('\n');
}

/** What lies behind a non-zero figure (lost job ids, duplicate pins, …). */
export function details(result: ChaosResult, name: string): unknown {
  const r = result.report;
  const byName: Record<string, unknown> = {
    lost: r.lost,
    duplicatePins: r.duplicatePins,
    mismatchedPins: r.mismatchedPins,
    windowsOverLimit: r.windowsOverLimit,
    limiterRefusals: r.limiterRefusals,
    unexplained: r.unexplained,
    webhookEventsMissing: r.webhookEventsMissing,
    webhookIdConflicts: r.webhookIdConflicts,
  };
  return byName[name];
}

function commit(): string | null {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
  } catch {
    return null;
  }
}

/** Writes the result as JSON, with what it ran on. */
export function writeResult(out: string, result: ChaosResult): void {
  mkdirSync(dirname(out), { recursive: true });
  const started = new Date(Date.now() - result.wallSeconds * 1000).toISOString();
  writeFileSync(out, `${JSON.stringify({ started, commit: commit(), cores: cpus().length, node: process.version, ...result }, null, 2)}\n`);
}
