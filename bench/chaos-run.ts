/**
 * One chaos run (bench/chaos.ts): local mode's whole pipeline in this process, on the emulators it starts
 * (or the ones it is given), N jobs over K accounts under every fault of bench/chaos-faults.ts at once,
 * the worker pollers killed and restarted along the way (bench/chaos-workers.ts), a webhook receiver
 * subscribed to every terminal event. When every job has ended (or progress stalls), the faults are
 * cleared, the pipeline is given a quiet minute to finish what it owes, and the promise is checked
 * (bench/chaos-invariants.ts).
 */
import { SQSClient } from '@aws-sdk/client-sqs';
import { DELAY_QUEUE, PUBLISH_QUEUE } from '../definitions/queues.ts';
import type { Job } from '../lambdas/api/schemas.ts';
import { startPipeline, type Pipeline } from '../local/pipeline.ts';
import type { PinterestSandbox } from '../local/pinterest-sandbox.ts';
import { startWebhookReceiver } from '../local/webhook-receiver.ts';
import { armFaults, isOpen, planOf, seeded, type ArmedFaults, type ChaosPlan, type Window } from './chaos-faults.ts';
import { checkPromise, isTerminal, violations, type PromiseReport } from './chaos-invariants.ts';
import {
  accepted,
  busEventsOf,
  caller,
  connectAccounts,
  countBy,
  currentAccessToken,
  deliveredAll,
  queueDepths,
  readJobs,
  sleep,
  submitAll,
  waitUntil,
  type ChaosUser,
} from './chaos-driver.ts';
import { hungCalls, killablePinterest, killSwitchOn, startWorkers, type Workers } from './chaos-workers.ts';

export interface ChaosOptions {
  readonly jobs: number;
  readonly accounts: number;
  readonly seed: number;
  /** Creates per rolling minute per account, at pinrelay and at the sandbox. @default 100 */
  readonly limit?: number;
  /** Give up waiting for the jobs after this long. @default 25 minutes */
  readonly timeoutMs?: number;
  /** Or when no job has ended for this long. @default 3 minutes */
  readonly stallMs?: number;
  /** Kill and restart the worker pollers along the way. @default true */
  readonly restarts?: boolean;
  /** Shrinks the fault plan's periods and windows (bench/chaos-faults.ts planOf). @default 1 */
  readonly planScale?: number;
  /**
   * The publish and delay queues' visibility timeout: how long a killed worker's messages stay hidden.
   * The lease is 40 % of it (AWS: 180 s, 60 s and a 60 s lease). @default 20
   */
  readonly visibilitySeconds?: number;
  /** Run on these emulators instead of starting them (the integration test's). */
  readonly emulators?: { readonly dynamodb: string; readonly sqs: string };
  readonly namePrefix?: string;
  /** The functions' log level (their lines go to stdout). @default SILENT */
  readonly logLevel?: string;
  /** How long the end waits for every terminal event to reach the receiver. @default 5 minutes */
  readonly webhookDrainMs?: number;
  /** Where the progress lines go. @default nowhere */
  readonly progress?: (line: string) => void;
}

export interface ChaosResult {
  readonly options: { jobs: number; accounts: number; seed: number; limit: number };
  readonly report: PromiseReport;
  /** The figures that must be 0. */
  readonly violations: Record<string, number>;
  readonly faults: Record<string, number>;
  readonly restarts: number;
  /** Copies of the run's job events on the bus, and how many distinct events they were. */
  readonly busEvents: { readonly copies: number; readonly distinct: number };
  readonly outcomes: Record<string, number>;
  readonly failures: Record<string, number>;
  /** The failed jobs (the first 20), as the API shows them. */
  readonly failed: readonly Pick<Job, 'id' | 'failure' | 'attempts' | 'status_history' | 'incidents'>[];
  readonly wallSeconds: number;
  /** Seconds from the first submission until every job had ended (or the wait gave up). */
  readonly runSeconds: number;
  readonly stoppedWaiting: 'all ended' | 'stalled' | 'timed out';
  /** After the jobs ended: how long the webhook deliveries took to catch up, and how many the bus gave up on. */
  readonly webhooks: { readonly drainSeconds: number; readonly deadLettered: number };
  /** When the wait gave up: each queue's messages, visible/in flight/delayed. */
  readonly queuesAtStop: Record<string, string>;
  /** Jobs whose end the bus had not reported when the wait gave up, as they were then. */
  readonly unfinished: readonly {
    readonly id: string;
    readonly status: string;
    readonly updated_at: string;
    readonly attempts: readonly string[];
    readonly incidents: readonly string[];
  }[];
}

const REGION = 'us-east-1';
const TERMINAL_EVENTS = ['job.succeeded', 'job.failed', 'job.cancelled'];

type Stop = () => Promise<void> | void;
/** What the run in progress must undo, last first: servers, emulators, pollers, faults. */
let active: Stop[] = [];

/** Stops everything the run in progress started (Ctrl-C); the run itself then fails. */
export async function stopRun(): Promise<void> {
  const stops = active;
  active = [];
  for (const stop of stops.reverse()) await Promise.resolve(stop()).catch(() => undefined);
}

export async function runChaos(options: ChaosOptions): Promise<ChaosResult> {
  const started = Date.now();
  const limit = options.limit ?? 100;
  const progress = options.progress ?? (() => undefined);
  const stops: Stop[] = [];
  active = stops;
  try {
    const pipeline = await startPipeline({
      port: 0,
      worker: false,
      retry: { baseSeconds: 0.5, maxAttempts: 5 },
      pacing: { accountPerMinute: limit, appPerSecond: 100 },
      pinterestTimeoutMs: 1_500,
      // Both queues a killed worker may hold messages of (AWS: 180 s and 60 s).
      queueVisibilityOverrides: {
        [PUBLISH_QUEUE.logicalName]: options.visibilitySeconds ?? 20,
        [DELAY_QUEUE.logicalName]: options.visibilitySeconds ?? 20,
      },
      workerLeaseSeconds: Math.max(1, Math.round(0.4 * (options.visibilitySeconds ?? 20))),
      // The sweeper acts on what the relay left owed for 15 s (local mode: 30 s, a stage: 60 s by default).
      sweeper: { intervalMs: 5_000, graceSeconds: 15 },
      reconciler: { intervalMs: 30_000 },
      relayRetryAttempts: 5,
      webhookRetry: { firstDelayMs: 200, maxDelayMs: 2_000, multiplier: 2, jitter: 0.5 },
      logLevel: options.logLevel ?? 'SILENT',
      // The run reads every job back through the API: it is not about the per-tenant throttle.
      api: { tenantLimits: false },
      log: () => undefined,
      wrapPinterest: killablePinterest,
      ...(options.emulators ? { emulators: options.emulators, namePrefix: options.namePrefix ?? 'chaos-' } : {}),
    });
    stops.push(() => pipeline.stop());
    const sandbox = pipeline.sandbox;
    if (!sandbox) throw new Error('the chaos run needs the built-in Pinterest sandbox');
    // Imported once the pipeline has set the functions' environment (Powertools reads it when first loaded).
    const { dynamoClient, eventsClient, secretsClient, sqsClient } = await import('../lambdas/common/clients.ts');
    const { resetDepsForTests } = await import('../lambdas/common/deps/publish.ts');
    const clients = { dynamo: dynamoClient(), sqs: sqsClient(), secrets: secretsClient(), events: eventsClient() };
    stops.push(killSwitchOn(Object.values(clients)));

    const call = caller(pipeline);
    let receiverDown = false;
    const receiver = await startWebhookReceiver({ log: () => undefined, respond: () => (receiverDown ? { status: 503 } : undefined) });
    stops.push(() => receiver.stop());
    const subscribed = await call('POST', '/v1/webhooks', { url: receiver.url, events: TERMINAL_EVENTS, description: 'chaos run' });
    if (subscribed.status !== 201) throw new Error(`subscribing the receiver answered ${subscribed.status}`);

    const users = await connectAccounts(call, sandbox, options.accounts, limit);
    const pollerSqs = new SQSClient({
      endpoint: pipeline.endpoints.sqs,
      region: REGION,
      credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
    });
    const workers = await startWorkers(pipeline, pollerSqs, { publishConcurrency: 4, coldStart: resetDepsForTests });
    stops.push(() => workers.stop());

    // Terminal jobs as the bus reports them: the progress line and the end of the wait.
    const ended = new Map<string, string>();
    stops.push(
      pipeline.events.onEvent(({ event }) => {
        const detail = event.detail as { type?: string; data?: { job?: { id?: string } } };
        if (TERMINAL_EVENTS.includes(detail.type ?? '') && detail.data?.job?.id) ended.set(detail.data.job.id, detail.type ?? '');
      }),
    );

    const runStarted = Date.now();
    const plan = planOf(options.seed, options.planScale ?? 1);
    const faults = armFaults({
      seed: options.seed,
      sandbox,
      clients,
      users: users.map((u) => u.user),
      plan,
      elapsed: () => Date.now() - runStarted,
    });
    stops.push(() => faults.clear());
    const ticks = startTicks({
      plan,
      faults,
      sandbox,
      pipeline,
      users,
      workers,
      restarts: options.restarts ?? true,
      runStarted,
      seed: options.seed,
    });
    stops.push(() => ticks.stop());
    ticks.onReceiver((down) => {
      receiverDown = down;
    });

    const ids: string[] = [];
    const submitting = submitAll(call, users, options.jobs, options.seed, ids);
    const line = () =>
      `chaos ${clock(Date.now() - started)} | submitted ${ids.length}/${options.jobs} | ended ${ended.size} ` +
      `(succeeded ${[...ended.values()].filter((t) => t === 'job.succeeded').length}) | pins ${sandbox.pins().length} | ` +
      `restarts ${workers.generations() - 1} | faults ${Object.values(faults.counts()).reduce((a, b) => a + b, 0)}`;
    const printer = setInterval(() => progress(line()), 5_000);
    stops.push(() => clearInterval(printer));
    await submitting;

    const stoppedWaiting = await waitForEnd(
      () => ended.size,
      options.jobs,
      options.timeoutMs ?? 25 * 60_000,
      options.stallMs ?? 3 * 60_000,
    );
    const runSeconds = (Date.now() - runStarted) / 1000;
    // What was still open when the wait gave up, before the quiet end lets it finish: the run's findings.
    const unfinished =
      stoppedWaiting === 'all ended'
        ? []
        : (
            await readJobs(
              call,
              ids.filter((id) => !ended.has(id)),
            )
          ).map((j) => ({
            id: j.id,
            status: j.status,
            updated_at: j.updated_at,
            attempts: j.attempts.map((a) => `${a.outcome ?? 'open'}${a.http_status ? ` ${a.http_status}` : ''}`),
            incidents: j.incidents.map((i) => i.kind),
          }));
    progress(`${line()} | ${stoppedWaiting}; faults cleared, letting the pipeline finish`);
    for (const job of unfinished.slice(0, 10)) progress(`  not ended: ${JSON.stringify(job)}`);
    const queuesAtStop = stoppedWaiting === 'all ended' ? {} : await queueDepths(pollerSqs, pipeline);
    if (stoppedWaiting !== 'all ended')
      progress(`  queues (visible/in flight/delayed): ${JSON.stringify(queuesAtStop)}; killed calls hung: ${hungCalls()}`);

    // The quiet end: no fault, the receiver up; the pipeline finishes what it owes.
    ticks.stop();
    faults.clear();
    receiverDown = false;
    let jobs = await readJobs(call, ids);
    const quietUntil = Date.now() + 90_000;
    while (jobs.some((j) => !isTerminal(j)) && Date.now() < quietUntil) {
      await sleep(3_000);
      jobs = await readJobs(call, ids);
    }
    // Webhook deliveries queue behind each subscription's rate limit (10/s): let them drain, within reason.
    const draining = Date.now();
    await waitUntil(() => deliveredAll(receiver, jobs), options.webhookDrainMs ?? 5 * 60_000);
    const webhookDrainSeconds = (Date.now() - draining) / 1000;
    progress(`${line()} | checked`);

    const names = new Set(users.map((u) => u.user));
    const report = checkPromise({
      jobs,
      pins: sandbox.pins().filter((p) => names.has(p.user)),
      requests: sandbox.requests(),
      limits: new Map(users.map((u) => [u.user, limit])),
      deliveries: accepted(receiver),
    });
    return {
      options: { jobs: options.jobs, accounts: options.accounts, seed: options.seed, limit },
      report,
      violations: violations(report),
      faults: { ...faults.counts(), 'worker restarts': workers.generations() - 1, 'tokens expired': ticks.expired() },
      restarts: workers.generations() - 1,
      busEvents: busEventsOf(pipeline, new Set(ids)),
      outcomes: countBy(jobs.flatMap((j) => j.attempts.map((a) => a.outcome ?? 'open'))),
      failures: countBy(jobs.filter((j) => j.status === 'failed').map((j) => `${j.failure?.route}/${j.failure?.reason}`)),
      failed: jobs
        .filter((j) => j.status === 'failed')
        .slice(0, 20)
        .map((j) => ({ id: j.id, failure: j.failure, attempts: j.attempts, status_history: j.status_history, incidents: j.incidents })),
      wallSeconds: (Date.now() - started) / 1000,
      runSeconds,
      stoppedWaiting,
      unfinished,
      queuesAtStop,
      webhooks: { drainSeconds: webhookDrainSeconds, deadLettered: pipeline.events.failedDeliveries().length },
    };
  } finally {
    if (active === stops) await stopRun();
  }
}

function startTicks(input: {
  plan: ChaosPlan;
  faults: ArmedFaults;
  sandbox: PinterestSandbox;
  pipeline: Pipeline;
  users: readonly ChaosUser[];
  workers: Workers;
  restarts: boolean;
  runStarted: number;
  seed: number;
}) {
  const random = seeded(input.seed + 99);
  const pick = () => input.users[Math.floor(random() * input.users.length)] as ChaosUser;
  const seen = new Map<keyof ChaosPlan, number>();
  /** The window's occurrence number when it has just opened, once each. */
  const opened = (name: keyof ChaosPlan, w: Window, elapsed: number): boolean => {
    if (!isOpen(w, elapsed)) return false;
    const occurrence = Math.floor((elapsed - w.offsetMs) / w.periodMs);
    if (seen.get(name) === occurrence) return false;
    seen.set(name, occurrence);
    return true;
  };
  let onReceiver: (down: boolean) => void = () => undefined;
  let expired = 0;
  let busy = false;
  const timer = setInterval(() => {
    if (busy) return;
    busy = true;
    const elapsed = Date.now() - input.runStarted;
    const { plan } = input;
    onReceiver(isOpen(plan.receiverDown, elapsed));
    if (!isOpen(plan.storm5xx, elapsed) && !isOpen(plan.storm429, elapsed)) input.faults.endStorms();
    if (opened('storm5xx', plan.storm5xx, elapsed)) input.faults.storm('5xx', pick().user);
    if (opened('storm429', plan.storm429, elapsed)) input.faults.storm('429', pick().user);
    // Also as Secrets Manager goes down: the refresh that follows must not lose the rotated pair.
    if (opened('tokenExpiry', plan.tokenExpiry, elapsed) || opened('secretsDown', plan.secretsDown, elapsed)) {
      const token = currentAccessToken(input.pipeline, pick().accountId);
      if (token) {
        input.sandbox.expireAccessToken(token);
        expired++;
      }
    }
    const restart = input.restarts && opened('restart', plan.restart, elapsed) ? input.workers.restart() : Promise.resolve();
    restart.finally(() => {
      busy = false;
    });
  }, 250);
  return {
    onReceiver: (listener: (down: boolean) => void) => {
      onReceiver = listener;
    },
    expired: () => expired,
    stop: () => {
      clearInterval(timer);
      input.faults.endStorms();
    },
  };
}

/** The access token the vault holds for the account now (what the next job will use). */
async function waitForEnd(ended: () => number, total: number, timeoutMs: number, stallMs: number): Promise<ChaosResult['stoppedWaiting']> {
  const deadline = Date.now() + timeoutMs;
  let last = -1;
  let lastChange = Date.now();
  for (;;) {
    const now = ended();
    if (now >= total) return 'all ended';
    if (now !== last) {
      last = now;
      lastChange = Date.now();
    }
    if (Date.now() - lastChange > stallMs) return 'stalled';
    if (Date.now() > deadline) return 'timed out';
    await sleep(1_000);
  }
}

const clock = (ms: number) => `${Math.floor(ms / 60_000)}m${String(Math.floor((ms % 60_000) / 1000)).padStart(2, '0')}s`;
