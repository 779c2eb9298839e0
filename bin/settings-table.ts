import { readFileSync } from 'node:fs';
import { settingsTable } from '../definitions/settings.ts';

/**
 * The settings table of the docs, generated from the settings catalogue, definitions/settings.ts (meaning, unit, range and
 * default of each setting, its cdk.json key and its variable).
 *   npx tsx bin/settings-table.ts                    print it (paste into README.md / docs/deploy.md)
 *   npx tsx bin/settings-table.ts --check README.md  exit 1 unless every file given contains it verbatim
 */
const table = settingsTable();
const args = process.argv.slice(2);

if (args[0] === '--check') {
  const files = args.slice(1);
  if (files.length === 0) {
    console.error('usage: npx tsx bin/settings-table.ts [--check FILE...]');
    process.exit(2);
  }
  const stale = files.filter((file) => !readFileSync(file, 'utf8').includes(table));
  for (const file of stale)
    console.error(`${file}: the settings table differs from definitions/settings.ts (print it with npx tsx bin/settings-table.ts)`);
  process.exit(stale.length === 0 ? 0 : 1);
}
console.log(table);
