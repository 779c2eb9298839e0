/**
 * The emulator launchers: each starts a real emulator on a free loopback port, the real SDK talks
 * to it, and stop() — or the death of the process that started it — leaves no process and no
 * listener behind.
 */
import {
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  GetItemCommand,
  ListTablesCommand,
  PutItemCommand,
} from '@aws-sdk/client-dynamodb';
import { DescribeStreamCommand, DynamoDBStreamsClient, GetRecordsCommand, GetShardIteratorCommand } from '@aws-sdk/client-dynamodb-streams';
import {
  CreateQueueCommand,
  DeleteMessageCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  SQSClient,
  type Message,
} from '@aws-sdk/client-sqs';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDynamoDbLocal } from '../../local/emulators/dynamodb-local.ts';
import { startFauxqs } from '../../local/emulators/fauxqs.ts';
import { findOnPath, type RunningEmulator } from '../../local/emulators/supervisor.ts';
import { waitFor } from './wait.ts';

const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };
const clientConfig = (endpoint: string) => ({ endpoint, region: 'us-east-1', credentials, maxAttempts: 1 });

const scratch = mkdtempSync(join(tmpdir(), 'pinrelay-emulators-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function acceptsConnections(port: number): Promise<boolean> {
  return new Promise((resolvePromise) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolvePromise(true);
    });
    socket.once('error', () => resolvePromise(false));
  });
}

/** Waits (5 s at most) for the process to exit. */
function exitOf(pid: number, name: string): Promise<true> {
  return waitFor(() => !isAlive(pid), { what: `${name} (pid ${pid}) to exit`, timeoutMs: 5_000, everyMs: 50 });
}

async function expectGone(emulator: Pick<RunningEmulator, 'pid' | 'port'>): Promise<void> {
  expect(() => process.kill(emulator.pid, 0)).toThrow();
  expect(await acceptsConnections(emulator.port)).toBe(false);
}

describe('DynamoDB Local', () => {
  let ddb: RunningEmulator;
  let client: DynamoDBClient;
  let startupMs = 0;

  beforeAll(async () => {
    const started = Date.now();
    ddb = await startDynamoDbLocal({ port: 0 });
    startupMs = Date.now() - started;
    console.info(`DynamoDB Local ready in ${startupMs} ms (pid ${ddb.pid}, ${ddb.endpoint})`);
    client = new DynamoDBClient(clientConfig(ddb.endpoint));
  });
  afterAll(async () => {
    client?.destroy();
    await ddb?.stop();
  });

  it('answers on a loopback endpoint within the start timeout', async () => {
    expect(ddb.endpoint).toBe(`http://127.0.0.1:${ddb.port}`);
    expect(startupMs).toBeLessThan(20_000);
    expect(isAlive(ddb.pid)).toBe(true);
  });

  it('stores items and emits stream records', async () => {
    const TableName = `jobs-${Date.now()}`;
    await client.send(
      new CreateTableCommand({
        TableName,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
        StreamSpecification: { StreamEnabled: true, StreamViewType: 'NEW_AND_OLD_IMAGES' },
      }),
    );
    await client.send(new PutItemCommand({ TableName, Item: { pk: { S: 'job_1' }, status: { S: 'queued' } } }));

    const item = await client.send(new GetItemCommand({ TableName, Key: { pk: { S: 'job_1' } } }));
    expect(item.Item?.status?.S).toBe('queued');

    const streams = new DynamoDBStreamsClient(clientConfig(ddb.endpoint));
    try {
      const { Table } = await client.send(new DescribeTableCommand({ TableName }));
      const StreamArn = Table?.LatestStreamArn;
      expect(StreamArn).toBeTypeOf('string');
      const { StreamDescription } = await streams.send(new DescribeStreamCommand({ StreamArn }));
      const ShardId = StreamDescription?.Shards?.[0]?.ShardId;
      const { ShardIterator } = await streams.send(new GetShardIteratorCommand({ StreamArn, ShardId, ShardIteratorType: 'TRIM_HORIZON' }));
      const { Records } = await streams.send(new GetRecordsCommand({ ShardIterator }));
      expect(Records?.map((r) => [r.eventName, r.dynamodb?.NewImage?.status?.S])).toEqual([['INSERT', 'queued']]);
    } finally {
      streams.destroy();
    }
  });

  it('persists tables in dataDir across restarts', async () => {
    const dataDir = join(scratch, 'dynamodb');
    const first = await startDynamoDbLocal({ dataDir });
    const firstClient = new DynamoDBClient(clientConfig(first.endpoint));
    await firstClient.send(
      new CreateTableCommand({
        TableName: 'persisted',
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      }),
    );
    firstClient.destroy();
    await first.stop();

    const second = await startDynamoDbLocal({ dataDir });
    const secondClient = new DynamoDBClient(clientConfig(second.endpoint));
    try {
      expect((await secondClient.send(new ListTablesCommand({}))).TableNames).toContain('persisted');
    } finally {
      secondClient.destroy();
      await second.stop();
    }
  });

  it('fails with the JVM output when java exits before answering', async () => {
    const saved = process.env.JAVA_TOOL_OPTIONS;
    process.env.JAVA_TOOL_OPTIONS = '-Xmx1k'; // the JVM refuses to start with a heap this small
    try {
      await expect(startDynamoDbLocal()).rejects.toThrow(/DynamoDB Local \(pid \d+\) exited with code 1 before it was ready[\s\S]*heap/i);
    } finally {
      if (saved === undefined) delete process.env.JAVA_TOOL_OPTIONS;
      else process.env.JAVA_TOOL_OPTIONS = saved;
    }
  });

  it('fails, and never hangs, when its port is already taken on loopback', async () => {
    // Depending on the kernel's bind checks java either fails with BindException or binds *:PORT
    // and is shadowed by the more specific 127.0.0.1:PORT listener, which never answers.
    const blocker = createServer(() => {});
    await new Promise<void>((r) => blocker.listen({ host: '127.0.0.1', port: 0 }, r));
    const { port } = blocker.address() as AddressInfo;
    try {
      await expect(startDynamoDbLocal({ port, startTimeoutMs: 3_000 })).rejects.toThrow(
        /did not answer ListTables on 127\.0\.0\.1:\d+ within 3000 ms|exited with code \d+ before it was ready[\s\S]*BindException/,
      );
    } finally {
      blocker.close();
    }
  });

  it('explains a missing java instead of failing obscurely', async () => {
    const saved = { PATH: process.env.PATH, JAVA_HOME: process.env.JAVA_HOME };
    process.env.PATH = scratch;
    delete process.env.JAVA_HOME;
    try {
      await expect(startDynamoDbLocal()).rejects.toThrow(/needs a Java 17\+ runtime/);
    } finally {
      process.env.PATH = saved.PATH;
      if (saved.JAVA_HOME !== undefined) process.env.JAVA_HOME = saved.JAVA_HOME;
    }
  });

  it('is gone after stop(): no PID, no listener', async () => {
    client.destroy();
    await ddb.stop();
    await ddb.stop(); // idempotent

    await expectGone(ddb);
  });
});

describe('fauxqs', () => {
  let fauxqs: RunningEmulator;
  let sqs: SQSClient;

  beforeAll(async () => {
    const started = Date.now();
    fauxqs = await startFauxqs({ port: 0 });
    console.info(`fauxqs ready in ${Date.now() - started} ms (pid ${fauxqs.pid}, ${fauxqs.endpoint})`);
    sqs = new SQSClient(clientConfig(fauxqs.endpoint));
  });
  afterAll(async () => {
    sqs?.destroy();
    await fauxqs?.stop();
  });

  it('serves SQS on a loopback-only listener; queue URLs name a host the SDK ignores', async () => {
    expect(fauxqs.endpoint).toBe(`http://127.0.0.1:${fauxqs.port}`);
    expect((await fetch(`${fauxqs.endpoint}/health`)).ok).toBe(true);

    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: 'plain' }));
    expect(QueueUrl).toBe(`http://sqs.us-east-1.localhost:${fauxqs.port}/000000000000/plain`);
    await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: 'hello' }));
    const { Messages } = await sqs.send(new ReceiveMessageCommand({ QueueUrl, WaitTimeSeconds: 1 }));
    expect(Messages?.map((m) => m.Body)).toEqual(['hello']);
  });

  it('behaves like a FIFO queue: dedup ids, and an in-flight message blocks its group only', async () => {
    const { QueueUrl } = await sqs.send(
      new CreateQueueCommand({ QueueName: 'publish.fifo', Attributes: { FifoQueue: 'true', ContentBasedDeduplication: 'false' } }),
    );
    const send = (body: string, group: string, dedup: string) =>
      sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: body, MessageGroupId: group, MessageDeduplicationId: dedup }));
    const receive = async (visibility = 30): Promise<Message[]> =>
      (await sqs.send(new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10, VisibilityTimeout: visibility, WaitTimeSeconds: 0 })))
        .Messages ?? [];

    await send('A', 'tenant#acct1', 'job_1#v1');
    await send('A-duplicate', 'tenant#acct1', 'job_1#v1');
    await send('B', 'tenant#acct1', 'job_2#v1');
    await send('D', 'tenant#acct2', 'job_3#v1');

    // fauxqs hands out at most one message per group per receive (AWS may return several, in order).
    const first = await receive();
    expect(first.map((m) => m.Body).sort()).toEqual(['A', 'D']);
    // While A is in flight its group is blocked; B waits even though it is available.
    expect(await receive()).toEqual([]);

    for (const message of first) await sqs.send(new DeleteMessageCommand({ QueueUrl, ReceiptHandle: message.ReceiptHandle }));
    const next = await receive(1);
    expect(next.map((m) => m.Body)).toEqual(['B']);
    // A visibility timeout running out unblocks the group the same way (B comes back: never A-duplicate).
    const again = await waitFor(() => receive(), {
      until: (messages) => messages.length > 0,
      what: 'a message to come back after the 1 s visibility timeout',
      timeoutMs: 5_000,
    });
    expect(again.map((m) => m.Body)).toEqual(['B']);
    await sqs.send(new DeleteMessageCommand({ QueueUrl, ReceiptHandle: again[0]?.ReceiptHandle }));
    expect(await receive()).toEqual([]);
  });

  it('requires a deduplication id when content-based deduplication is off', async () => {
    const { QueueUrl } = await sqs.send(
      new CreateQueueCommand({ QueueName: 'strict.fifo', Attributes: { FifoQueue: 'true', ContentBasedDeduplication: 'false' } }),
    );

    await expect(sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: 'x', MessageGroupId: 'g' }))).rejects.toThrow();
  });

  it('persists queues and messages in dataDir across restarts', async () => {
    const dataDir = join(scratch, 'fauxqs');
    const first = await startFauxqs({ dataDir });
    const firstClient = new SQSClient(clientConfig(first.endpoint));
    const { QueueUrl } = await firstClient.send(new CreateQueueCommand({ QueueName: 'durable' }));
    await firstClient.send(new SendMessageCommand({ QueueUrl, MessageBody: 'survives' }));
    firstClient.destroy();
    await first.stop();

    const second = await startFauxqs({ dataDir });
    const secondClient = new SQSClient(clientConfig(second.endpoint));
    try {
      // The stored URL names the old port; fauxqs resolves queues by region + name, and the SDK
      // sends to `endpoint`, so the old URL keeps working.
      const { Messages } = await secondClient.send(new ReceiveMessageCommand({ QueueUrl, WaitTimeSeconds: 1 }));
      expect(Messages?.map((m) => m.Body)).toEqual(['survives']);
    } finally {
      secondClient.destroy();
      await second.stop();
    }
  });

  it('fails with the process output when it cannot listen', async () => {
    await expect(startFauxqs({ port: fauxqs.port })).rejects.toThrow(
      /fauxqs \(pid \d+\) exited with code 1 before it was ready[\s\S]*EADDRINUSE/,
    );
  });

  it('is gone after stop(): no PID, no listener', async () => {
    sqs.destroy();
    await fauxqs.stop();
    await fauxqs.stop(); // idempotent

    await expectGone(fauxqs);
  });
});

describe('when the process that started the emulators dies', () => {
  const repoRoot = resolve(import.meta.dirname, '../..');
  const moduleUrl = (path: string) => pathToFileURL(join(repoRoot, path)).href;
  const script = join(scratch, 'parent.mts');
  writeFileSync(
    script,
    [
      `import { startDynamoDbLocal } from ${JSON.stringify(moduleUrl('local/emulators/dynamodb-local.ts'))};`,
      `import { startFauxqs } from ${JSON.stringify(moduleUrl('local/emulators/fauxqs.ts'))};`,
      "const wanted = process.argv[2].split(',');",
      'const start = { ddb: startDynamoDbLocal, fauxqs: startFauxqs };',
      'const running = await Promise.all(wanted.map(async (name) => [name, await start[name]()]));',
      'console.log(JSON.stringify(Object.fromEntries(running.map(([name, e]) => [name, { pid: e.pid, port: e.port }]))));',
      'setInterval(() => {}, 1000);',
    ].join('\n'),
  );

  type Emulator = 'ddb' | 'fauxqs';
  type Started<E extends Emulator> = Record<E, { pid: number; port: number }>;

  async function startParent<E extends Emulator>(
    ...emulators: E[]
  ): Promise<{ pid: number; children: Started<E>; exited: Promise<unknown> }> {
    const parent = spawn(process.execPath, ['--import', 'tsx', script, emulators.join(',')], {
      cwd: repoRoot,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = new Promise((r) => parent.once('exit', r));
    let output = '';
    parent.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const children = await new Promise<Started<E>>((resolvePromise, reject) => {
      parent.stdout.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        const line = output.split('\n').find((l) => l.startsWith('{'));
        if (line) resolvePromise(JSON.parse(line) as Started<E>);
      });
      void exited.then(() => reject(new Error(`parent exited early:\n${output}`)));
    });
    return { pid: parent.pid as number, children, exited };
  }

  // The signal path is the same for every child, so one (fast) emulator is enough here.
  it('kills them when it is terminated by a signal', async () => {
    const { pid, children, exited } = await startParent('fauxqs');
    expect(isAlive(children.fauxqs.pid)).toBe(true);

    process.kill(pid, 'SIGTERM');
    await exited;

    await exitOf(children.fauxqs.pid, 'fauxqs');
    await expectGone(children.fauxqs);
  });

  it('kills them even when it is SIGKILLed (stdin EOF for fauxqs, pdeathsig for java on Linux)', async () => {
    const { pid, children, exited } = await startParent('ddb', 'fauxqs');

    process.kill(pid, 'SIGKILL');
    await exited;

    await exitOf(children.fauxqs.pid, 'fauxqs');
    await expectGone(children.fauxqs);
    if (process.platform === 'linux' && findOnPath('setpriv')) {
      await exitOf(children.ddb.pid, 'DynamoDB Local');
      await expectGone(children.ddb);
    } else {
      process.kill(children.ddb.pid, 'SIGKILL'); // no pdeathsig here: clean up after ourselves
    }
  });
});
