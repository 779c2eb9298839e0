import { readFileSync } from 'node:fs';
import { metricsTable } from '../definitions/metrics.ts';

/**
 * The metrics table of the docs, generated from definitions/metrics.ts (name, unit, breakdown
 * dimension, emitting functions and meaning of each custom metric).
 *   npx tsx bin/metrics-table.ts                    print it (paste into README.md / docs/runbook.md)
 *   npx tsx bin/metrics-table.ts --check FILE...    exit 1 unless every file given contains it verbatim
 */
const table = metricsTable();
const args = process.argv.slice(2);

if (args[0] === '--check') {
  const files = args.slice(1);
  if (files.length === 0) {
    console.error('usage: npx tsx bin/metrics-table.ts [--check FILE...]');
    process.exit(2);
  }
  const stale = files.filter((file) => !readFileSync(file, 'utf8').includes(table));
  for (const file of stale)
    console.error(`${file}: the metrics table differs from definitions/metrics.ts (print it with npx tsx bin/metrics-table.ts)`);
  process.exit(stale.length > 0 ? 1 : 0);
}
console.log(table);
