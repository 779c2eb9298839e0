import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as z from 'zod';
import { FUNCTIONS, type FunctionDefinition, functionEnvironment } from '../definitions/functions.ts';
import { type ResourceValues, type SettingValues, stageSettingFields } from '../definitions/settings.ts';
import { DEFAULT_ENVIRONMENT } from '../lib/constructs/service-function.ts';
import { COLD_START_BUDGETS, COLD_START_TARGETS, KB } from './cold-start-budgets.ts';
import { type Bundle, bundleEntries, type Contributor, type FunctionKind, kindOf, ROOT } from './cold-start-bundle.ts';
import { lambdaNode, lambdaPlatformEnvironment, medianInits } from './cold-start-init.ts';

/**
 * Cold start, per function: the bundle's size (esbuild metafile, the largest contributors by package or
 * directory) and its module init time (median of fresh `node` processes importing it), next to an empty
 * handler bundled and loaded the same way. Bundles are built with the deployed options (lib/bundling.ts)
 * and loaded with the environment the deployed function gets (its access list's variables, the stage's
 * default settings, Powertools' and Lambda's own), so module init runs the code it runs in Lambda.
 *
 *   node --import tsx bench/cold-start.ts [--runs 7] [function …]
 *
 * Init times are wall times on whatever machine runs it: compare them with the empty handler's of the
 * same run, not across machines. test/infra/bundle-budget.test.ts guards the sizes; no test gates on time.
 */

export interface ColdStartOptions {
  /** Fresh processes per bundle (the median is reported). @default 7 */
  readonly runs?: number;
  /** Only these functions. @default every function of definitions/functions.ts */
  readonly functions?: readonly string[];
  /** Contributors listed per function. @default 3 */
  readonly top?: number;
  /** Called after each import measured, with how many are done and how many there are. */
  readonly onProgress?: (done: number, total: number) => void;
}

export interface FunctionColdStart {
  readonly name: string;
  readonly kind: FunctionKind;
  readonly bytes: number;
  readonly topContributors: readonly Contributor[];
  readonly initMs: number;
  /** initMs ÷ the empty handler's. */
  readonly initRatio: number;
  /** Within the issue's target for its kind (size and, for HTTP functions, init ratio); null: no target. */
  readonly withinTarget: boolean | null;
  /** Within the byte budget test/infra/bundle-budget.test.ts enforces. */
  readonly withinBudget: boolean;
}

export interface ColdStartReport {
  readonly functions: readonly FunctionColdStart[];
  readonly emptyInitMs: number;
  readonly emptyBytes: number;
  readonly runs: number;
  /** `node --version` of the processes that imported the bundles. */
  readonly node: string;
  readonly budgets: { readonly targets: typeof COLD_START_TARGETS; readonly enforced: typeof COLD_START_BUDGETS };
}

const EMPTY = 'empty';

/** Every resource variable, with a made-up value of the right shape (nothing reads them remotely at init). */
const BENCH_RESOURCES: Required<ResourceValues> = {
  JOBS_TABLE_NAME: 'pinrelay-bench-jobs',
  TENANTS_TABLE_NAME: 'pinrelay-bench-tenants',
  ACCOUNT_SECRET_PREFIX: 'pinrelay/bench/accounts',
  ACCOUNT_SECRET_KMS_KEY_ID: 'arn:aws:kms:us-east-1:000000000000:key/00000000-0000-0000-0000-000000000000',
  PUBLISH_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/000000000000/pinrelay-bench-publish.fifo',
  DELAY_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/000000000000/pinrelay-bench-delay',
  POISON_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/000000000000/pinrelay-bench-poison',
  EVENT_BUS_NAME: 'pinrelay-bench',
  PINTEREST_APP_SECRET_ARN: 'arn:aws:secretsmanager:us-east-1:000000000000:secret:pinrelay-bench-app-AbCdEf',
  WEBHOOK_NAME_PREFIX: 'pinrelay-bench-wh-',
  WEBHOOK_TARGET_ROLE_ARN: 'arn:aws:iam::000000000000:role/pinrelay-bench-webhook-target',
  WEBHOOK_DLQ_ARN: 'arn:aws:sqs:us-east-1:000000000000:pinrelay-bench-webhook-dlq',
  WEBHOOK_ALLOW_LOOPBACK_HTTP: 'false',
};

/** The environment the deployed function gets (ServiceFunction), over a stage with the default settings. */
function deployedEnvironment(definition: FunctionDefinition, settings: SettingValues, taskRoot: string): Record<string, string> {
  return {
    ...lambdaPlatformEnvironment(definition.name, definition.memorySize ?? 256, taskRoot),
    ...DEFAULT_ENVIRONMENT,
    POWERTOOLS_METRICS_NAMESPACE: 'Pinrelay/bench',
    ...functionEnvironment(definition, { settings, resources: BENCH_RESOURCES }),
  };
}

function withinTarget(kind: FunctionKind, bytes: number, initRatio: number): boolean | null {
  const target = COLD_START_TARGETS[kind];
  if (!target) return null;
  return bytes <= target.bytes && (target.initRatio === undefined || initRatio <= target.initRatio);
}

export async function measureColdStart(options: ColdStartOptions = {}): Promise<ColdStartReport> {
  const runs = options.runs ?? 7;
  const definitions = options.functions ? options.functions.map(definitionOf) : FUNCTIONS;
  const settings = z.object(stageSettingFields()).parse({}) as unknown as SettingValues;
  const dir = mkdtempSync(path.join(tmpdir(), 'pinrelay-cold-start-'));
  try {
    // One esbuild run for all (a function named `empty` cannot exist: folders are <verb>-<noun>).
    const bundled = await bundleEntries(
      {
        [EMPTY]: path.join(ROOT, 'bench', 'cold-start-empty.ts'),
        ...Object.fromEntries(definitions.map((d) => [d.name, path.join(ROOT, 'lambdas', d.name, 'handler.ts')])),
      },
      dir,
    );
    const bundleOf = (name: string) => bundled.get(name) as Bundle & { readonly file: string };
    const targets = [
      { key: EMPTY, file: bundleOf(EMPTY).file, environment: { ...lambdaPlatformEnvironment(EMPTY, 256, dir), ...DEFAULT_ENVIRONMENT } },
      ...definitions.map((d) => ({ key: d.name, file: bundleOf(d.name).file, environment: deployedEnvironment(d, settings, dir) })),
    ];
    let done = 0;
    const total = targets.length * runs;
    const inits = await medianInits(lambdaNode(ROOT), targets, runs, () => {
      done += 1;
      options.onProgress?.(done, total);
    });
    const emptyInitMs = inits.get(EMPTY) as number;
    const functions = definitions.map((d): FunctionColdStart => {
      const bundle = bundleOf(d.name);
      const kind = kindOf(d);
      const initMs = inits.get(d.name) as number;
      const initRatio = initMs / emptyInitMs;
      return {
        name: d.name,
        kind,
        bytes: bundle.bytes,
        topContributors: bundle.contributors.slice(0, options.top ?? 3),
        initMs,
        initRatio,
        withinTarget: withinTarget(kind, bundle.bytes, initRatio),
        withinBudget: bundle.bytes <= COLD_START_BUDGETS[kind],
      };
    });
    return {
      functions,
      emptyInitMs,
      emptyBytes: bundleOf(EMPTY).bytes,
      runs,
      node: nodeVersion(lambdaNode(ROOT)),
      budgets: { targets: COLD_START_TARGETS, enforced: COLD_START_BUDGETS },
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function nodeVersion(node: string): string {
  return execFileSync(node, ['--version'], { encoding: 'utf8' }).trim();
}

function definitionOf(name: string): FunctionDefinition {
  const definition = FUNCTIONS.find((d) => d.name === name);
  if (!definition) throw new Error(`no function ${name} in definitions/functions.ts`);
  return definition;
}

const kb = (bytes: number) => (bytes / KB).toFixed(bytes < 10 * KB ? 1 : 0);
const yesNo = (value: boolean | null) => (value === null ? '–' : value ? 'yes' : 'NO');

/** The report as a Markdown table (docs/benchmarks.md takes it as is). */
export function coldStartTable(report: ColdStartReport): string {
  const rows = report.functions.map(
    (f) =>
      `| ${f.name} | ${f.kind} | ${kb(f.bytes)} | ${f.initMs.toFixed(0)} | ${f.initRatio.toFixed(2)} | ` +
      `${f.topContributors.map((c) => `${c.path} ${kb(c.bytes)}`).join(', ')} | ${yesNo(f.withinTarget)} | ${yesNo(f.withinBudget)} |`,
  );
  return [
    `| function | kind | KB | init ms | × empty | top contributors (KB) | target | budget |`,
    '|---|---|---:|---:|---:|---|---|---|',
    `| (empty handler) | – | ${kb(report.emptyBytes)} | ${report.emptyInitMs.toFixed(0)} | 1.00 | – | – | – |`,
    ...rows,
  ].join('\n');
}

function parseArgs(argv: readonly string[]): ColdStartOptions {
  const functions: string[] = [];
  let runs: number | undefined;
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i] as string;
    if (arg === '--runs') {
      i += 1;
      runs = Number(argv[i]);
      if (!Number.isInteger(runs) || runs < 1) throw new Error('--runs takes a positive integer');
    } else functions.push(arg);
  }
  return { ...(runs ? { runs } : {}), ...(functions.length > 0 ? { functions } : {}) };
}

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  const report = await measureColdStart({
    ...options,
    ...(process.stderr.isTTY ? { onProgress: (done, total) => process.stderr.write(`\rcold start: ${done}/${total} imports`) } : {}),
  });
  if (process.stderr.isTTY) process.stderr.write('\n');
  console.log(coldStartTable(report));
  console.log(
    `\nKB = 1,024 bytes. Targets: HTTP ≤ ${kb(COLD_START_TARGETS.http?.bytes ?? 0)} KB and ≤ ${COLD_START_TARGETS.http?.initRatio} × empty; ` +
      `worker ≤ ${kb(COLD_START_TARGETS.worker?.bytes ?? 0)} KB. Budgets enforced by test/infra/bundle-budget.test.ts: ` +
      `HTTP ${kb(COLD_START_BUDGETS.http)}, worker ${kb(COLD_START_BUDGETS.worker)}, other ${kb(COLD_START_BUDGETS.other)} KB. ` +
      `Init: median of ${report.runs} fresh node ${report.node} processes.`,
  );
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}
