/**
 * fauxqs (SQS/SNS/S3 emulator, npm package) as a supervised child process.
 *
 * Why not `fauxqs/dist/cli.js`: in fauxqs 2.4.1 the CLI hard-codes `logger: true` (FAUXQS_LOGGER is
 * ignored), never reads FAUXQS_DATA_DIR / FAUXQS_PERSISTENCE (only the Docker entry point
 * `dist/server.js` does), and `startFauxqs` always listens on 0.0.0.0. So the child runs a tiny
 * bootstrap (below) that calls fauxqs's own `startFauxqs` with explicit options after pinning
 * listeners to 127.0.0.1, reports the port it got (so port 0 has no pick-then-bind race), and exits
 * when its stdin closes — i.e. when this process dies, however it dies.
 *
 * Queue URLs look like `http://sqs.us-east-1.localhost:PORT/000000000000/<name>`; SQS clients
 * must set `endpoint` (this module's `endpoint`) so the SDK sends requests there instead of to the
 * queue URL's host (fauxqs resolves queues by the region + name in the URL, not its host).
 */
import { existsSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describeExit, sleep, superviseChild, type RunningEmulator, type SupervisedProcess } from './supervisor.ts';

export type { RunningEmulator } from './supervisor.ts';

export interface FauxqsOptions {
  /** Port to listen on; 0 (the default) lets the OS pick a free loopback port. */
  port?: number;
  /** Persist queues and messages in SQLite under this directory; omitted = in memory. */
  dataDir?: string;
  /** How long to wait until `GET /health` answers. @default 10000 */
  startTimeoutMs?: number;
}

const DEFAULT_START_TIMEOUT_MS = 10_000;
const READY_PREFIX = 'pinrelay-fauxqs-ready ';

/**
 * Runs inside the child (`node --input-type=module --eval`). Plain JS on purpose: the child has no
 * TypeScript loader. Configuration arrives through the environment.
 */
const BOOTSTRAP = `
import net from 'node:net';
const listen = net.Server.prototype.listen;
// fauxqs passes host "0.0.0.0" to fastify; local mode only ever binds loopback.
net.Server.prototype.listen = function (...args) {
  const first = args[0];
  if (first && typeof first === 'object' && (first.host === '0.0.0.0' || first.host === '::')) {
    args[0] = { ...first, host: '127.0.0.1' };
  }
  return listen.apply(this, args);
};
const env = process.env;
const { startFauxqs } = await import(env.PINRELAY_FAUXQS_MODULE);
const server = await startFauxqs({
  port: Number(env.FAUXQS_PORT),
  logger: false,
  ...(env.FAUXQS_PERSISTENCE === 'true' && env.FAUXQS_DATA_DIR ? { dataDir: env.FAUXQS_DATA_DIR } : {}),
});
let closing = false;
const shutdown = async () => {
  if (closing) return;
  closing = true;
  try { await server.stop(); } finally { process.exit(0); }
};
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
process.stdin.on('end', shutdown);
process.stdin.on('close', shutdown);
process.stdin.resume();
process.stdout.write(${JSON.stringify(READY_PREFIX)} + server.port + '\\n');
`;

function fauxqsModuleUrl(): string {
  // The package's "exports" only has an "import" condition (and no "./package.json"), so
  // require.resolve can't find it; walk the node_modules lookup paths instead.
  const require = createRequire(import.meta.url);
  for (const dir of require.resolve.paths('fauxqs') ?? []) {
    const entry = join(dir, 'fauxqs', 'dist', 'app.js');
    if (existsSync(entry)) return pathToFileURL(entry).href;
  }
  throw new Error('fauxqs is not installed (npm install)');
}

function assertNodeSupportsFauxqs(): void {
  const [major = 0, minor = 0] = process.versions.node.split('.').map(Number);
  if (major < 22 || (major === 22 && minor < 5)) {
    throw new Error(
      `fauxqs 2.x needs Node.js >= 22.5 (node:sqlite), but this is ${process.version}. ` +
        'Run through npm (`npm start`, `npm test`) so node_modules/.bin/node is used.',
    );
  }
}

/** Start fauxqs and resolve once `GET /health` answers. */
export async function startFauxqs(options: FauxqsOptions = {}): Promise<RunningEmulator> {
  assertNodeSupportsFauxqs();
  const dataDir = options.dataDir === undefined ? undefined : resolve(options.dataDir);
  if (dataDir) mkdirSync(dataDir, { recursive: true });

  let announce: (port: number) => void = () => {};
  const announced = new Promise<number>((resolvePort) => {
    announce = resolvePort;
  });
  let stdoutBuffer = '';
  const child = await superviseChild({
    name: 'fauxqs',
    command: process.execPath,
    args: ['--disable-warning=ExperimentalWarning', '--input-type=module', '--eval', BOOTSTRAP],
    env: {
      ...process.env,
      PINRELAY_FAUXQS_MODULE: fauxqsModuleUrl(),
      FAUXQS_PORT: String(options.port ?? 0),
      FAUXQS_HOST: 'localhost',
      FAUXQS_LOGGER: 'false',
      ...(dataDir ? { FAUXQS_DATA_DIR: dataDir, FAUXQS_PERSISTENCE: 'true' } : {}),
    },
    stdinPipe: true,
    onOutput: (chunk) => {
      stdoutBuffer = (stdoutBuffer + chunk).slice(-4_096);
      const match = new RegExp(`${READY_PREFIX}(\\d+)`).exec(stdoutBuffer);
      if (match?.[1]) announce(Number(match[1]));
    },
  });

  const timeoutMs = options.startTimeoutMs ?? DEFAULT_START_TIMEOUT_MS;
  const deadline = Date.now() + timeoutMs;
  let timer: NodeJS.Timeout | undefined;
  try {
    const port = await Promise.race([
      announced,
      child.exited.then((exit) => Promise.reject(new Error(describeExit(child, exit)))),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(notReady(child, timeoutMs, 'it never reported its port')), timeoutMs);
      }),
    ]);
    await waitForHealth(child, port, deadline, timeoutMs);
    return { endpoint: `http://127.0.0.1:${port}`, port, pid: child.pid, stop: child.stop };
  } catch (error) {
    await child.stop();
    throw error;
  } finally {
    clearTimeout(timer);
  }
}

async function waitForHealth(child: SupervisedProcess, port: number, deadline: number, timeoutMs: number): Promise<void> {
  let lastError: unknown;
  while (Date.now() < deadline) {
    if (child.hasExited()) throw new Error(describeExit(child, await child.exited));
    try {
      const response = await fetch(`http://127.0.0.1:${port}/health`, { signal: AbortSignal.timeout(1_000) });
      if (response.ok) return;
      lastError = new Error(`GET /health answered ${response.status}`);
    } catch (error) {
      lastError = error;
    }
    await sleep(50);
  }
  throw notReady(child, timeoutMs, `GET /health failed: ${lastError instanceof Error ? lastError.message : String(lastError)}`);
}

function notReady(child: SupervisedProcess, timeoutMs: number, why: string): Error {
  const output = child.outputTail();
  return new Error(
    `fauxqs (pid ${child.pid}) was not ready within ${timeoutMs} ms: ${why}.${output ? `\n--- output (tail) ---\n${output}` : ''}`,
  );
}
