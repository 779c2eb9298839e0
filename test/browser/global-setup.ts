import { existsSync } from 'node:fs';
import { consoleBuildState, ensureConsoleBuilt } from '../../local/console-build.ts';
import { CHROMIUM_PATH } from './browser.ts';

/**
 * Before the browser tier: the console is built (as `npm start` builds it: when console/dist is missing or older
 * than console/src) and Debian's chromium is there. The emulators are started and stopped by the integration
 * tier's global setup (test/integration/global-setup.ts), listed next to this one in vitest.config.ts.
 */
export default async function setup() {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(`${CHROMIUM_PATH} is missing: install Debian's chromium (apt-get install chromium; .ci/run does it)`);
  }
  if (consoleBuildState() === 'no-source') throw new Error('console/src is missing: there is no console to test');
  await ensureConsoleBuilt();
}
