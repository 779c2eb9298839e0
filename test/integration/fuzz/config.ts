/**
 * How many cases each fuzz property runs and from which seed, read once from the environment that
 * `npm run fuzz` (bin/fuzz.ts) sets; the defaults keep the whole folder inside `npm test`'s budget.
 *
 *   PINRELAY_FUZZ_RUNS   cases per property            default DEFAULT_RUNS
 *   FC_SEED              fast-check seed (an integer)  default DEFAULT_SEED
 *
 * The seed fixes every generated request, so a failure reproduces with the same seed and runs; fast-check
 * prints the seed, the path of the failing case and the shrunk counterexample.
 */
export const DEFAULT_RUNS = 100;
export const DEFAULT_SEED = 20261124;

function integerFrom(name: string, fallback: number, min: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value < min) throw new Error(`${name} must be an integer ≥ ${min}, got ${JSON.stringify(raw)}`);
  return value;
}

export const FUZZ_RUNS = integerFrom('PINRELAY_FUZZ_RUNS', DEFAULT_RUNS, 1);
export const FUZZ_SEED = integerFrom('FC_SEED', DEFAULT_SEED, -(2 ** 31));

/** A property's time budget: generous per case (a shrink re-runs cases), never below vitest's usual minute. */
export const propertyTimeoutMs = (runs: number = FUZZ_RUNS) => 60_000 + runs * 400;

/** The fast-check options of one property, announced first so every run's log names its seed. */
export function fuzzOptions(property: string): { seed: number; numRuns: number } {
  console.info(
    `fuzz ${property}: seed ${FUZZ_SEED}, ${FUZZ_RUNS} runs (again: npm run fuzz -- --seed ${FUZZ_SEED} --runs ${FUZZ_RUNS} --only "${property}")`,
  );
  return { seed: FUZZ_SEED, numRuns: FUZZ_RUNS };
}
