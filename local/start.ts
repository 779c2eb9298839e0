import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { dirname } from 'node:path';
import { parseArgs } from 'node:util';
import { SANDBOX_DEMO_USER, startPipeline, type Pipeline } from './pipeline.ts';
import { pipelineSampler, startLiveSummary } from './live-summary.ts';
import { ensureConsoleBuilt } from './console-build.ts';
import { localStateOf, stateFilePath } from './state-file.ts';

/**
 * `npm start`: the whole pipeline on this machine, no AWS account (docs/adr/0004-local-mode.md).
 *   npm start                      in-memory state
 *   npm start -- --data .pinrelay/data   persist DynamoDB + SQS state across restarts
 *   npm start -- --no-summary      without the live one-line job summary (local/live-summary.ts)
 * The web console is served at <API>/console/ (local/console-assets.ts), built first when console/dist is
 * missing or older than console/src (local/console-build.ts).
 * Environment: PORT (3000), HOST (127.0.0.1), LOCAL_API_KEY (generated), LOG_LEVEL (INFO),
 * PINTEREST_API_BASE_URL (the built-in sandbox), PINTEREST_CLIENT_ID/SECRET (sandbox values),
 * PACING_ACCOUNT_PER_MINUTE (10), PACING_APP_PER_SECOND (10), PACING_READ_PER_MINUTE (100), RETRY_BASE_SECONDS (5),
 * RETRY_MAX_ATTEMPTS (5), PINTEREST_TIMEOUT_MS (10000).
 */
/** Where the admin CLI finds local mode's endpoints (`npm run admin -- --local …`). */
export const STATE_FILE = stateFilePath();

const { values } = parseArgs({
  options: { data: { type: 'string' }, summary: { type: 'boolean', default: true } },
  allowNegative: true,
  strict: true,
});

const host = process.env.HOST ?? '127.0.0.1';
const port = Number(process.env.PORT ?? 3000);
const isLoopback = host === 'localhost' || (isIP(host) === 4 && host.startsWith('127.')) || host === '::1';
if (!isLoopback) {
  console.error(`HOST=${host} is not a loopback address; local mode only listens on 127.0.0.0/8, ::1 or localhost.`);
  process.exit(2);
}
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`PORT=${process.env.PORT} is not a port number.`);
  process.exit(2);
}

const env = process.env;
const num = (name: string): number | undefined => {
  const value = env[name];
  if (value === undefined || value === '') return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) {
    console.error(`${name}=${value} must be a positive number.`);
    process.exit(2);
  }
  return n;
};
/** A real (or other) Pinterest API instead of the built-in sandbox, with the app credentials token refresh needs. */
function externalPinterest(): { baseUrl: string; clientId: string; clientSecret: string } | undefined {
  const baseUrl = env.PINTEREST_API_BASE_URL;
  if (!baseUrl) return undefined;
  const clientId = env.PINTEREST_CLIENT_ID;
  const clientSecret = env.PINTEREST_CLIENT_SECRET;
  if (!clientId || !clientSecret) {
    console.error('PINTEREST_API_BASE_URL needs PINTEREST_CLIENT_ID and PINTEREST_CLIENT_SECRET (your Pinterest app) for token refresh.');
    process.exit(2);
  }
  return { baseUrl, clientId, clientSecret };
}
const pinterest = externalPinterest();

let pipeline: Pipeline | undefined;
let summary: { stop(): Promise<void> } | undefined;
let stopping = false;

async function shutdown(code: number): Promise<never> {
  if (!stopping) {
    stopping = true;
    rmSync(STATE_FILE, { force: true });
    await summary?.stop();
    await pipeline?.stop();
  }
  process.exit(code);
}

process.on('SIGINT', () => void shutdown(0));
process.on('SIGTERM', () => void shutdown(0));

// A failed console build is reported and local mode starts without the console: the API does not depend on it.
const consoleDir = await ensureConsoleBuilt((m) => console.log(m)).catch((error: unknown) => {
  console.error(`The web console could not be built, starting without it: ${error instanceof Error ? error.message : String(error)}`);
  return undefined;
});

const p = await startPipeline({
  ...(consoleDir ? { consoleDir } : {}),
  host,
  port,
  ...(values.data ? { dataDir: values.data } : {}),
  ...(process.env.LOCAL_API_KEY ? { apiKey: process.env.LOCAL_API_KEY } : {}),
  logLevel: process.env.LOG_LEVEL ?? 'INFO',
  ...(pinterest ? { pinterest } : {}),
  pacing: {
    accountPerMinute: num('PACING_ACCOUNT_PER_MINUTE') ?? 10,
    appPerSecond: num('PACING_APP_PER_SECOND') ?? 10,
    readPerMinute: num('PACING_READ_PER_MINUTE') ?? 100,
  },
  retry: { baseSeconds: num('RETRY_BASE_SECONDS') ?? 5, maxAttempts: num('RETRY_MAX_ATTEMPTS') ?? 5 },
  pinterestTimeoutMs: num('PINTEREST_TIMEOUT_MS') ?? 10_000,
}).catch((error: unknown) => {
  console.error(`pinrelay failed to start: ${error instanceof Error ? error.message : String(error)}`);
  return shutdown(1);
});
pipeline = p;

mkdirSync(dirname(STATE_FILE), { recursive: true });
writeFileSync(
  STATE_FILE,
  // The pipeline has set EVENT_BUS_NAME (the functions' environment) to the bus it created.
  JSON.stringify(localStateOf(p, process.env.EVENT_BUS_NAME ?? ''), null, 2),
);

const key = p.apiKey;
console.log(`
API key (tenant ${p.tenantId}): ${key}
${values.data ? `State persists in ${values.data} (tables, queued messages, and account tokens saved on Ctrl-C).` : 'State is in memory: it is gone when you stop.'}

Pinterest: ${p.sandbox ? `the built-in sandbox at ${p.pinterestBaseUrl} (demo user "demo", boards ${SANDBOX_DEMO_USER.boards.join(', ')}; faults: docs/sandbox.md)` : p.pinterestBaseUrl}

Try it:
  curl -s -X PUT ${p.apiUrl}/v1/accounts/demo -H "Authorization: Bearer ${key}" -H 'Content-Type: application/json' \\
    -d '{"access_token":"${SANDBOX_DEMO_USER.accessToken}","refresh_token":"${SANDBOX_DEMO_USER.refreshToken}","rate_limit_per_minute":60}'
  curl -s -X POST ${p.apiUrl}/v1/pins -H "Authorization: Bearer ${key}" -H 'Content-Type: application/json' \\
    -H 'Idempotency-Key: demo-1' \\
    -d '{"account_id":"demo","board_id":"1234567890","title":"Hello","link":"https://example.com/hello","media_source":{"source_type":"image_url","url":"https://example.com/hello.jpg"}}'
  curl -s ${p.apiUrl}/v1/jobs -H "Authorization: Bearer ${key}"

Ctrl-C stops everything.`);
if (consoleDir) console.log(`Console: ${p.apiUrl}/console/`);
console.log(`pinrelay ready on ${p.apiUrl}`);

if (values.summary) {
  // One line every 5 s while jobs move; quiet while nothing changes.
  const sampler = pipelineSampler(p);
  const live = startLiveSummary({ sample: sampler.sample, print: (line) => console.log(line) });
  summary = {
    stop: async () => {
      await live.stop();
      sampler.close();
    },
  };
}
