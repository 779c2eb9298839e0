/**
 * pinrelay's side of the comparison (bench/compare.ts): the workload through local mode's public API
 * (POST /v1/pins with each intent's Idempotency-Key; a repeated submission reuses the key), a webhook
 * receiver subscribed to every job event, and a wait until every job is terminal. DynamoDB Local and
 * fauxqs run behind counting proxies and the stand-ins and the API are counted on the server side
 * (bench/request-count.ts): every AWS request of the run, by service and operation. The counts cover the
 * run only — from the first submission until every job is terminal and the relay has drained — not the
 * set-up (accounts, the subscription) nor the read-back of the jobs afterwards.
 */
import type { Job } from '../lambdas/api/schemas.ts';
import { JOB_EVENT_TYPES } from '../definitions/webhooks.ts';
import { startDynamoDbLocal } from '../local/emulators/dynamodb-local.ts';
import { startFauxqs } from '../local/emulators/fauxqs.ts';
import { startPipeline } from '../local/pipeline.ts';
import { startWebhookReceiver } from '../local/webhook-receiver.ts';
import { isTerminal, checkPromise, violations } from './chaos-invariants.ts';
import { caller, readJobs, sleep, type Call } from './chaos-driver.ts';
import { createTimelines, figuresOf, type SystemFigures } from './compare-figures.ts';
import { boardOf } from './compare-naive.ts';
import { armFaults, type FaultPlan, type Workload } from './compare-workload.ts';
import { countServerRequests, RequestCounter, startCountingProxy, type RequestRow, type Service } from './request-count.ts';

export interface PinrelayOptions {
  readonly workload: Workload;
  readonly faults: FaultPlan;
  readonly limitPerMinute: number;
  /** Parallel POST /v1/pins, like a client's. @default 8 */
  readonly submitConcurrency?: number;
  /** Give up waiting for the jobs after this long. @default 10 minutes */
  readonly timeoutMs?: number;
  readonly progress?: (done: number, total: number, label: string) => void;
}

export interface PinrelayResult {
  readonly figures: SystemFigures;
  /** Every figure of the chaos run's promise check that must be 0, for this run. */
  readonly violations: Record<string, number>;
  readonly byStatus: Record<string, number>;
  readonly failures: Record<string, number>;
  /** POST /v1/pins answers: 202 new job, 200 replay. */
  readonly intake: Record<string, number>;
  readonly stoppedWaiting: 'all ended' | 'timed out';
  /** Seconds from the first submission until every job had ended. */
  readonly runSeconds: number;
  readonly requests: readonly RequestRow[];
  /** Job events put on the bus during the run, and the API-destination invocations they caused. */
  readonly events: {
    readonly putEntries: number;
    readonly entryChunks: number;
    readonly webhookInvocations: number;
    readonly webhookDrained: boolean;
  };
  readonly timelines: Record<string, number[]>;
}

type Stop = () => Promise<void> | void;
let active: Stop[] = [];

/** Stops every server the run in progress started (Ctrl-C), last started first. */
export async function stopPinrelayRun(): Promise<void> {
  const stops = active;
  active = [];
  for (const stop of stops.reverse()) await Promise.resolve(stop()).catch(() => undefined);
}

const TERMINAL_EVENTS = new Set(['job.succeeded', 'job.failed', 'job.cancelled']);

export async function runPinrelay(options: PinrelayOptions): Promise<PinrelayResult> {
  const { workload, limitPerMinute: limit } = options;
  const progress = options.progress ?? (() => undefined);
  const stops: Stop[] = [];
  active = stops;
  try {
    const counter = new RequestCounter();
    const [dynamo, sqs] = await Promise.all([startDynamoDbLocal(), startFauxqs()]);
    stops.push(dynamo.stop, sqs.stop);
    const dynamoProxy = await startCountingProxy({ target: dynamo.endpoint, kind: 'dynamodb', counter });
    const sqsProxy = await startCountingProxy({ target: sqs.endpoint, kind: 'sqs', counter });
    stops.push(dynamoProxy.stop, sqsProxy.stop);
    const pipeline = await startPipeline({
      port: 0,
      emulators: { dynamodb: dynamoProxy.endpoint, sqs: sqsProxy.endpoint },
      pacing: { accountPerMinute: limit, appPerSecond: 100 },
      // A 1 s backoff base (a stage's default is 5 s): a job met by three faults in a row waits seconds, not
      // minutes, so the run's tail fits the benchmark's time; the retry caps are the defaults.
      retry: { baseSeconds: 1 },
      // The receiver is subscribed to every event: let its deliveries keep up (AWS's maximum).
      webhooks: { invocationRateLimitPerSecond: 300 },
      logLevel: 'SILENT',
      api: { tenantLimits: false },
      log: () => undefined,
    });
    stops.push(() => pipeline.stop());
    const sandbox = pipeline.sandbox;
    if (!sandbox) throw new Error('the comparison needs the built-in Pinterest sandbox');
    stops.push(
      countServerRequests(
        new Map<number, Service>([
          [portOf(pipeline.endpoints.secretsManager), 'secretsmanager'],
          [portOf(pipeline.endpoints.eventBridge), 'eventbridge'],
          [portOf(pipeline.apiUrl), 'api'],
        ]),
        counter,
      ),
    );
    const call = caller(pipeline);
    const receiver = await startWebhookReceiver({ log: () => undefined });
    stops.push(() => receiver.stop());
    const subscribed = await call('POST', '/v1/webhooks', { url: receiver.url, events: [...JOB_EVENT_TYPES], description: 'compare' });
    if (subscribed.status !== 201) throw new Error(`subscribing the receiver answered ${subscribed.status}`);
    const users = await connect(call, sandbox, workload.options.accounts, limit);

    const ended = new Set<string>();
    stops.push(
      pipeline.events.onEvent(({ event }) => {
        const detail = event.detail as { type?: string; data?: { job?: { id?: string } } };
        if (TERMINAL_EVENTS.has(detail.type ?? '') && detail.data?.job?.id) ended.add(detail.data.job.id);
      }),
    );
    armFaults(sandbox, options.faults);
    const eventsBefore = pipeline.events.events().length;
    const deliveriesBefore = pipeline.events.deliveries().length;
    counter.reset();
    const started = Date.now();

    const intake: Record<string, number> = {};
    const ids = new Set<string>();
    const total = workload.submissions.length;
    let next = 0;
    let submitted = 0;
    const submitter = async () => {
      for (let index = next++; index < total; index = next++) {
        const intent = workload.intents[workload.submissions[index]?.intent ?? -1];
        if (!intent) continue;
        const id = await submit(call, intent.key, intent.account);
        intake[id.status] = (intake[id.status] ?? 0) + 1;
        ids.add(id.jobId);
        progress(++submitted + ended.size, total + workload.intents.length, 'pinrelay: submitted + ended');
      }
    };
    await Promise.all(Array.from({ length: options.submitConcurrency ?? 8 }, submitter));

    const deadline = started + (options.timeoutMs ?? 10 * 60_000);
    while (ended.size < ids.size && Date.now() < deadline) {
      progress(submitted + ended.size, total + workload.intents.length, 'pinrelay: submitted + ended');
      await sleep(500);
    }
    const stoppedWaiting = ended.size >= ids.size ? 'all ended' : 'timed out';
    const runSeconds = (Date.now() - started) / 1000;
    await pipeline.relayDrained(30_000).catch(() => undefined);
    const requests = counter.snapshot();
    const runEvents = pipeline.events.events().slice(eventsBefore);

    // The webhook's share: let the deliveries of the run's events finish (bounded), then count them.
    const drainUntil = Date.now() + 60_000;
    const idle = pipeline.events.idle().then(() => true);
    const webhookDrained = await Promise.race([idle, sleep(Math.max(0, drainUntil - Date.now())).then(() => false)]);
    const webhookInvocations = pipeline.events.deliveries().length - deliveriesBefore;

    const jobs = await readJobs(call, [...ids]);
    const pins = sandbox.pins();
    const usernames = users.map((u) => u.user);
    const report = checkPromise({
      jobs,
      pins: pins.filter((p) => usernames.includes(p.user)),
      requests: sandbox.requests(),
      limits: new Map(usernames.map((u) => [u, limit])),
    });
    return {
      figures: figuresOf({
        system: 'pinrelay',
        intents: workload.intents,
        submissions: total,
        users: usernames,
        pins,
        requests: sandbox.requests(),
        limitPerMinute: limit,
        explainedFailures: new Set(jobs.filter(explained).map((j) => j.idempotency_key)),
        wallSeconds: runSeconds,
      }),
      violations: violations(report),
      byStatus: { ...report.byStatus },
      failures: countBy(jobs.filter((j) => j.status === 'failed').map((j) => `${j.failure?.route}/${j.failure?.reason}`)),
      intake,
      stoppedWaiting,
      runSeconds,
      requests,
      events: {
        putEntries: runEvents.length,
        entryChunks: runEvents.reduce((sum, e) => sum + Math.max(1, Math.ceil(Buffer.byteLength(JSON.stringify(e.event)) / 65_536)), 0),
        webhookInvocations,
        webhookDrained,
      },
      timelines: createTimelines(pins, usernames, started),
    };
  } finally {
    if (active === stops) await stopPinrelayRun();
  }
}

/** A failed job whose record says who must act, why and what to do. */
const explained = (job: Job) =>
  isTerminal(job) && job.status !== 'succeeded' && Boolean(job.failure?.route && job.failure.reason && job.failure.remediation);

async function connect(
  call: Call,
  sandbox: NonNullable<Awaited<ReturnType<typeof startPipeline>>['sandbox']>,
  count: number,
  limit: number,
) {
  const users: { user: string }[] = [];
  for (let i = 0; i < count; i++) {
    const user = `relay${i}`;
    const tokens = sandbox.addUser({ username: user, boards: [boardOf(i)], ratePerMinute: limit });
    const put = await call('PUT', `/v1/accounts/${user}`, {
      access_token: tokens.accessToken,
      refresh_token: tokens.refreshToken,
      rate_limit_per_minute: limit,
    });
    if (put.status !== 200) throw new Error(`PUT /v1/accounts/${user} answered ${put.status}`);
    users.push({ user });
  }
  return users;
}

/** One submission, sent again (same key) on a 5xx, a 429 or a dropped connection, as a client would. */
async function submit(call: Call, key: string, account: number): Promise<{ status: number; jobId: string }> {
  const body = {
    account_id: `relay${account}`,
    board_id: boardOf(account),
    title: key,
    link: `https://shop.example.com/${key}`,
    media_source: { source_type: 'image_url', url: `https://cdn.example.com/${key}.jpg` },
  };
  for (let attempt = 1; ; attempt++) {
    const answer = await call('POST', '/v1/pins', body, { 'Idempotency-Key': key }).catch(() => ({ status: 0, body: undefined }));
    if (answer.status === 200 || answer.status === 202) return { status: answer.status, jobId: (answer.body as Job).id };
    if (answer.status !== 0 && answer.status !== 429 && answer.status < 500)
      throw new Error(`POST /v1/pins answered ${answer.status}: ${JSON.stringify(answer.body)}`);
    if (attempt >= 10) throw new Error(`POST /v1/pins kept failing (${answer.status})`);
    await sleep(250 * attempt);
  }
}

const portOf = (url: string) => Number(new URL(url).port);

function countBy(values: readonly string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const v of values) counts[v] = (counts[v] ?? 0) + 1;
  return counts;
}
