/**
 * `npm run fuzz`: the API fuzzers of test/integration/fuzz (one seeded fast-check property per route of
 * definitions/functions.ts, against local mode on the real emulators), with more cases than `npm test` runs.
 *
 *   npm run fuzz                              the default: as many cases as npm test, the fixed seed
 *   npm run fuzz -- --runs 2000               2000 cases per property
 *   npm run fuzz -- --seed 42 --runs 500      another seed (a failure prints its seed and counterexample)
 *   npm run fuzz -- --only create-pin         only the properties whose name contains this text
 *
 * Runs vitest (the integration project: it starts DynamoDB Local and fauxqs and stops them by PID) with
 * PINRELAY_FUZZ_RUNS and FC_SEED set, streams its output and exits with its code. Traffic stays on 127.0.0.1.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';

const USAGE = 'usage: npm run fuzz -- [--runs N] [--seed S] [--only TEXT]';

function fail(message: string): never {
  console.error(`${message}\n${USAGE}`);
  process.exit(2);
}

function integer(name: string, text: string | undefined, min: number): string | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!/^-?\d+$/.test(text) || !Number.isSafeInteger(value) || value < min) fail(`--${name} must be an integer ≥ ${min}, got ${text}`);
  return String(value);
}

const OPTIONS = {
  runs: { type: 'string' },
  seed: { type: 'string' },
  only: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

function options() {
  try {
    return parseArgs({ options: OPTIONS, strict: true }).values;
  } catch (error) {
    return fail((error as Error).message);
  }
}

const values = options();
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}
const runs = integer('runs', values.runs, 1);
const seed = integer('seed', values.seed, -(2 ** 31));

/** vitest's command-line entry, as its package declares it (its exports do not list the file itself). */
function vitestBin(): string {
  const manifest = createRequire(import.meta.url).resolve('vitest/package.json');
  const { bin } = JSON.parse(readFileSync(manifest, 'utf8')) as { bin: string | Record<string, string> };
  return join(dirname(manifest), typeof bin === 'string' ? bin : (bin.vitest as string));
}

const vitest = vitestBin();
const args = [vitest, 'run', '--project', 'integration', 'test/integration/fuzz', ...(values.only ? ['-t', values.only] : [])];
console.error(`fuzz: ${runs ?? 'default'} runs per property, seed ${seed ?? 'default'}${values.only ? `, only "${values.only}"` : ''}`);
const child = spawn(process.execPath, args, {
  stdio: 'inherit',
  env: { ...process.env, ...(runs ? { PINRELAY_FUZZ_RUNS: runs } : {}), ...(seed ? { FC_SEED: seed } : {}) },
});
// Ctrl-C reaches vitest as well (same process group): wait while it stops its emulators. A SIGTERM sent to
// this process alone is passed on. Either way, leave with vitest's own code.
process.on('SIGINT', () => undefined);
process.on('SIGTERM', () => child.kill('SIGTERM'));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
