/**
 * The overhead benchmark's local stack: DynamoDB Local and fauxqs started here (stopped by PID), a
 * counting proxy in front of each (bench/overhead-proxy.ts), local mode's pipeline on those proxies with
 * the built-in Pinterest sandbox (no faults, limits far above what the run sends), and a second copy of
 * the tables and queues (`base-` prefix) on the same emulators for the bare-operation baseline. Every
 * address is 127.0.0.1.
 */
import { readFileSync } from 'node:fs';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import { JOBS_TABLE } from '../definitions/tables.ts';
import { PUBLISH_QUEUE } from '../definitions/queues.ts';
import type { Job } from '../lambdas/api/schemas.ts';
import { startDynamoDbLocal, type RunningEmulator } from '../local/emulators/dynamodb-local.ts';
import { startFauxqs } from '../local/emulators/fauxqs.ts';
import type { PinterestSandbox } from '../local/pinterest-sandbox.ts';
import { startPipeline, type Pipeline } from '../local/pipeline.ts';
import { provision, provisionedQueue, provisionedTable } from '../local/provision.ts';
import { startCountingProxy, type CountingProxy } from './overhead-proxy.ts';

const REGION = 'us-east-1';
const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };
/** Far above anything the run sends: nothing here is paced or refused for rate. */
export const UNLIMITED_PER_MINUTE = 100_000;

export interface StackOptions {
  /** Parallel publish-queue pollers (Lambda's concurrent batches). @default local mode's (4) */
  readonly workerConcurrency?: number;
}

export interface OverheadStack {
  readonly pipeline: Pipeline;
  readonly sandbox: PinterestSandbox;
  readonly proxies: { readonly dynamodb: CountingProxy; readonly sqs: CountingProxy };
  /** The emulators' own endpoints (no proxy) and their PIDs (CPU accounting). */
  readonly emulators: { readonly dynamodb: string; readonly sqs: string; readonly dynamodbPid: number; readonly sqsPid: number };
  /** The `base-` copy of the jobs table and publish queue: the baseline writes there. */
  readonly baseline: { readonly jobsTable: string; readonly publishQueueUrl: string };
  /** When each job's events reached the bus (ms), by job id and event type. */
  readonly eventTimes: Map<string, Map<string, number>>;
  /** A raw client on an endpoint (the emulator's own, or its proxy). */
  dynamo(endpoint: string): DynamoDBClient;
  sqs(endpoint: string): SQSClient;
  call(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<{ status: number; body: unknown }>;
  /** A fresh sandbox user with a board, connected as an account without a pacing limit worth the name. */
  connect(name: string): Promise<{ readonly accountId: string; readonly boardId: string; readonly user: string }>;
  submit(
    accountId: string,
    boardId: string,
    key: string,
  ): Promise<{ readonly job: Job; readonly sentMs: number; readonly acceptedMs: number }>;
  stop(): Promise<void>;
}

type Stop = () => Promise<void>;
let active: Stop[] = [];

/** Stops what the stack being built or run has started, last first (Ctrl-C, or a failure). */
export async function stopActiveStack(): Promise<void> {
  const stops = active;
  active = [];
  for (const stop of stops.reverse()) await stop().catch(() => undefined);
}

export const nowMs = (): number => performance.timeOrigin + performance.now();

export async function startOverheadStack(options: StackOptions = {}): Promise<OverheadStack> {
  const stops: Stop[] = [];
  active = stops;
  const started = await Promise.allSettled([startDynamoDbLocal(), startFauxqs()]);
  for (const s of started) if (s.status === 'fulfilled') stops.push(s.value.stop);
  const [dynamoLocal, fauxqs] = started.map((s) => {
    if (s.status === 'rejected') throw s.reason;
    return s.value;
  }) as [RunningEmulator, RunningEmulator];
  const proxies = { dynamodb: await startCountingProxy(dynamoLocal.endpoint), sqs: await startCountingProxy(fauxqs.endpoint) };
  stops.push(proxies.dynamodb.stop, proxies.sqs.stop);
  const diagnostics: string[] = [];
  const pipeline = await startPipeline({
    port: 0,
    emulators: { dynamodb: proxies.dynamodb.url, sqs: proxies.sqs.url },
    reconciler: false,
    pacing: { accountPerMinute: UNLIMITED_PER_MINUTE, appPerSecond: 10_000 },
    // The run measures the pipeline, not the per-tenant usage plan (20/s by default would refuse the intake loop).
    api: { tenantLimits: false },
    logLevel: 'SILENT',
    log: (m) => diagnostics.push(m),
    ...(options.workerConcurrency ? { workerConcurrency: options.workerConcurrency } : {}),
  });
  stops.push(() => pipeline.stop());
  const sandbox = pipeline.sandbox;
  if (!sandbox) throw new Error('the overhead benchmark needs the built-in Pinterest sandbox');

  const dynamo = (endpoint: string) => new DynamoDBClient({ endpoint, region: REGION, credentials });
  const sqs = (endpoint: string) => new SQSClient({ endpoint, region: REGION, credentials });
  const base = await provision(dynamo(dynamoLocal.endpoint), sqs(fauxqs.endpoint), 'base-');

  const eventTimes = new Map<string, Map<string, number>>();
  const unsubscribe = pipeline.events.onEvent(({ event }) => {
    const id = (event.detail as { data?: { job?: { id?: string } } }).data?.job?.id;
    if (!id) return;
    const times = eventTimes.get(id) ?? new Map<string, number>();
    if (!times.has(event['detail-type'])) times.set(event['detail-type'], nowMs());
    eventTimes.set(id, times);
  });
  stops.push(async () => unsubscribe());

  const call: OverheadStack['call'] = async (method, path, body, headers = {}) => {
    const response = await fetch(`${pipeline.apiUrl}${path}`, {
      method,
      headers: {
        Authorization: `Bearer ${pipeline.apiKey}`,
        ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}),
        ...headers,
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await response.text();
    return { status: response.status, body: text ? (JSON.parse(text) as unknown) : undefined };
  };

  let boards = 0;
  return {
    pipeline,
    sandbox,
    proxies,
    emulators: { dynamodb: dynamoLocal.endpoint, sqs: fauxqs.endpoint, dynamodbPid: dynamoLocal.pid, sqsPid: fauxqs.pid },
    baseline: { jobsTable: provisionedTable(base, JOBS_TABLE).name, publishQueueUrl: provisionedQueue(base, PUBLISH_QUEUE).url },
    eventTimes,
    dynamo,
    sqs,
    call,
    async connect(name) {
      const boardId = String(700_000 + ++boards);
      const tokens = sandbox.addUser({ username: name, boards: [boardId], ratePerMinute: UNLIMITED_PER_MINUTE });
      const put = await call('PUT', `/v1/accounts/${name}`, {
        access_token: tokens.accessToken,
        refresh_token: tokens.refreshToken,
        rate_limit_per_minute: UNLIMITED_PER_MINUTE,
      });
      if (put.status !== 200) throw new Error(`PUT /v1/accounts/${name} answered ${put.status}: ${JSON.stringify(put.body)}`);
      return { accountId: name, boardId, user: name };
    },
    async submit(accountId, boardId, key) {
      const sentMs = Date.now();
      const answer = await call(
        'POST',
        '/v1/pins',
        {
          account_id: accountId,
          board_id: boardId,
          title: key,
          link: `https://shop.example.com/${key}`,
          media_source: { source_type: 'image_url', url: `https://cdn.example.com/${key}.jpg` },
        },
        { 'Idempotency-Key': key },
      );
      const acceptedMs = Date.now();
      if (answer.status !== 202) {
        throw new Error(`POST /v1/pins answered ${answer.status}: ${JSON.stringify(answer.body)}\n${diagnostics.slice(-5).join('\n')}`);
      }
      return { job: answer.body as Job, sentMs, acceptedMs };
    },
    stop: async () => {
      await stopActiveStack();
    },
  };
}

/**
 * When each pin's create request reached the sandbox (ms), by pin title. A pin's `created_at` has whole
 * seconds only (as Pinterest's), so the time comes from the request log: without faults a user's
 * successful creates and its pins are in the same order.
 */
export function createTimesByTitle(sandbox: PinterestSandbox): Map<string, number> {
  const out = new Map<string, number>();
  const creates = sandbox.requests().filter((r) => r.method === 'POST' && r.path === '/v5/pins' && r.status === 201);
  const byUser = new Map<string, number[]>();
  for (const r of creates) if (r.user) byUser.set(r.user, [...(byUser.get(r.user) ?? []), r.at]);
  for (const [user, times] of byUser) {
    const pins = sandbox.pins({ user });
    if (pins.length !== times.length) throw new Error(`${user}: ${pins.length} pins but ${times.length} successful creates`);
    pins.forEach((pin, i) => {
      if (pin.title) out.set(pin.title, times[i] as number);
    });
  }
  return out;
}

/** CPU seconds a process has used so far (user + system, from /proc; 0 where there is no /proc). */
export function cpuSecondsOf(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the parenthesised command: state is field 3, utime 14, stime 15 (1-based).
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return 0;
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
