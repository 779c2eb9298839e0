/**
 * Sustained throughput of local mode (bench/overhead.ts) and where the time goes: N jobs over K accounts
 * submitted as fast as a client with 20 connections can, the sandbox unlimited (no rate limit, no
 * faults), pinrelay's account limits far above the run; jobs/s from the first 202 to the last terminal
 * event on the bus. The breakdown comes from the same run:
 * - AWS round trips per job by operation, counted at the emulators' proxies, split into the functions'
 *   own calls and the event source mappings' polling (local/stream-poller.ts, local/sqs-poller.ts);
 * - DynamoDB and SQS time per job (the sum of the calls' durations);
 * - CPU seconds per job of each process (this one: API, functions, pollers, sandbox, proxies; DynamoDB
 *   Local; fauxqs) and how busy the machine's cores were;
 * - each job's timeline (bench/overhead-stats.ts STAGES), p50/p99 per stage;
 * - optionally a V8 CPU profile of this process, self time by code area.
 */
import { cpus } from 'node:os';
import { Session } from 'node:inspector/promises';
import { cpuSecondsOf, createTimesByTitle, sleep, type OverheadStack } from './overhead-stack.ts';
import type { ProxiedCall } from './overhead-proxy.ts';
import { perUnit, round, stageBreakdown, type JobTimeline, type StageFigures } from './overhead-stats.ts';
import type { Progress } from './progress.ts';
import { summarizeProfile, type CpuProfile } from './overhead-profile.ts';

export interface ThroughputFigures {
  readonly jobs: number;
  readonly accounts: number;
  readonly succeeded: number;
  readonly workerConcurrency: number | null;
  /** First 202 → last terminal event, seconds. */
  readonly seconds: number;
  readonly jobsPerSecond: number;
  /** How fast the 202s came (the intake side alone). */
  readonly acceptedPerSecond: number;
  readonly stoppedWaiting: 'all ended' | 'timed out';
  /** AWS calls per job by operation: the functions' own, and the local event source mappings' polling. */
  readonly callsPerJob: {
    readonly functions: Record<string, number>;
    readonly polling: Record<string, number>;
    readonly functionsTotal: number;
    /** The functions' calls by operation, table or queue, and kind of item (`DynamoDB.GetItem jobs JOB`). */
    readonly byItem: Record<string, number>;
  };
  /** Milliseconds per job spent waiting on each service (sum of call durations). */
  readonly serviceMsPerJob: Record<string, number>;
  /** CPU seconds per job by process, and the share of the machine's cores the run kept busy. */
  readonly cpu: { readonly secondsPerJob: Record<string, number>; readonly coresBusy: Record<string, number>; readonly cores: number };
  readonly stages: readonly StageFigures[];
  /** Self time of this process by code area (a V8 CPU profile), percent; null without --profile. */
  readonly profile: { readonly byArea: Record<string, number>; readonly topFunctions: readonly string[] } | null;
}

/** Calls made by the local event source mappings, not by the functions (Lambda's pollers do these in AWS). */
const POLLING = new Set([
  'DynamoDBStreams.GetRecords',
  'DynamoDBStreams.DescribeStream',
  'DynamoDBStreams.GetShardIterator',
  'SQS.ReceiveMessage',
  'SQS.DeleteMessageBatch',
  'SQS.DeleteMessage',
]);
const WRITES = new Set(['DynamoDB.PutItem', 'DynamoDB.UpdateItem', 'DynamoDB.DeleteItem', 'DynamoDB.TransactWriteItems']);
const TERMINAL = ['job.succeeded', 'job.failed', 'job.cancelled'];

export async function measureThroughput(
  stack: OverheadStack,
  options: {
    readonly jobs?: number;
    readonly accounts?: number;
    readonly timeoutMs?: number;
    readonly profile?: boolean;
    readonly workerConcurrency?: number;
  } = {},
  progress: Progress = () => undefined,
): Promise<ThroughputFigures> {
  const jobCount = options.jobs ?? 300;
  const accountCount = options.accounts ?? 20;
  const accounts: Awaited<ReturnType<OverheadStack['connect']>>[] = [];
  for (let i = 0; i < accountCount; i++) accounts.push(await stack.connect(`tp-${i}`));
  await stack.pipeline.relayDrained(60_000);
  stack.proxies.dynamodb.reset();
  stack.proxies.sqs.reset();
  const pids = { dynamodbLocal: stack.emulators.dynamodbPid, fauxqs: stack.emulators.sqsPid };
  const cpuBefore = { node: process.cpuUsage(), dynamodbLocal: cpuSecondsOf(pids.dynamodbLocal), fauxqs: cpuSecondsOf(pids.fauxqs) };
  const session = options.profile ? new Session() : undefined;
  if (session) {
    session.connect();
    await session.post('Profiler.enable');
    await session.post('Profiler.start');
  }

  const timelines = new Map<string, { key: string; user: string; submitted: number; accepted: number }>();
  let next = 0;
  const label = `throughput: ${jobCount} jobs over ${accountCount} accounts`;
  const client = async () => {
    while (next < jobCount) {
      const i = next++;
      const account = accounts[i % accountCount] as (typeof accounts)[number];
      const key = `tp-${i}`;
      const { job, sentMs, acceptedMs } = await stack.submit(account.accountId, account.boardId, key);
      timelines.set(job.id, { key, user: account.user, submitted: sentMs, accepted: acceptedMs });
    }
  };
  const started = Date.now();
  await Promise.all(Array.from({ length: 20 }, client));
  const lastAccepted = Math.max(...[...timelines.values()].map((t) => t.accepted));
  const terminalOf = (id: string) => {
    const times = stack.eventTimes.get(id);
    return times ? TERMINAL.map((t) => times.get(t)).find((v) => v !== undefined) : undefined;
  };
  const deadline = started + (options.timeoutMs ?? 150_000);
  let ended = 0;
  while (Date.now() < deadline) {
    ended = [...timelines.keys()].filter((id) => terminalOf(id) !== undefined).length;
    progress(ended, jobCount, label);
    if (ended === jobCount) break;
    await sleep(250);
  }
  const cpuAfter = {
    node: process.cpuUsage(cpuBefore.node),
    dynamodbLocal: cpuSecondsOf(pids.dynamodbLocal),
    fauxqs: cpuSecondsOf(pids.fauxqs),
  };
  let profile: ThroughputFigures['profile'] = null;
  if (session) {
    const { profile: p } = await session.post('Profiler.stop');
    session.disconnect();
    profile = summarizeProfile(p as unknown as CpuProfile);
  }

  const firstAccepted = Math.min(...[...timelines.values()].map((t) => t.accepted));
  const terminals = [...timelines.keys()].map(terminalOf).filter((v): v is number => v !== undefined);
  const lastTerminal = terminals.length > 0 ? Math.max(...terminals) : Date.now();
  const seconds = (lastTerminal - firstAccepted) / 1000;
  const succeeded = [...timelines.keys()].filter((id) => stack.eventTimes.get(id)?.has('job.succeeded')).length;

  const calls = [...stack.proxies.dynamodb.calls(), ...stack.proxies.sqs.calls()];
  const fnCounts = new Map<string, number>();
  const pollCounts = new Map<string, number>();
  const serviceMs = new Map<string, number>();
  const byItem = new Map<string, number>();
  for (const c of calls) {
    if (!POLLING.has(c.op)) {
      const what = [c.op, c.resource, c.itemKind].filter(Boolean).join(' ');
      byItem.set(what, (byItem.get(what) ?? 0) + 1);
    }
    const counts = POLLING.has(c.op) ? pollCounts : fnCounts;
    counts.set(c.op, (counts.get(c.op) ?? 0) + 1);
    const service = POLLING.has(c.op) ? `${c.op.split('.')[0]} (polling)` : (c.op.split('.')[0] as string);
    serviceMs.set(service, (serviceMs.get(service) ?? 0) + c.durationMs);
  }
  const functionsTotal = [...fnCounts.values()].reduce((a, b) => a + b, 0);
  const wallSeconds = (Date.now() - started) / 1000;
  const cores = cpus().length;
  const cpuSeconds = {
    'node (API, functions, pollers, sandbox, proxies)': (cpuAfter.node.user + cpuAfter.node.system) / 1e6,
    'DynamoDB Local': cpuAfter.dynamodbLocal - cpuBefore.dynamodbLocal,
    fauxqs: cpuAfter.fauxqs - cpuBefore.fauxqs,
  };
  return {
    jobs: jobCount,
    accounts: accountCount,
    succeeded,
    workerConcurrency: options.workerConcurrency ?? null,
    seconds: round(seconds, 1),
    jobsPerSecond: round(terminals.length / seconds, 2),
    acceptedPerSecond: round(jobCount / ((lastAccepted - firstAccepted) / 1000 || 1), 1),
    stoppedWaiting: ended === jobCount ? 'all ended' : 'timed out',
    callsPerJob: {
      functions: perUnit(fnCounts, jobCount),
      polling: perUnit(pollCounts, jobCount),
      functionsTotal: round(functionsTotal / jobCount, 2),
      byItem: perUnit(byItem, jobCount),
    },
    serviceMsPerJob: Object.fromEntries([...serviceMs.entries()].map(([k, v]) => [k, round(v / jobCount, 1)])),
    cpu: {
      secondsPerJob: Object.fromEntries(Object.entries(cpuSeconds).map(([k, v]) => [k, round(v / jobCount, 4)])),
      coresBusy: Object.fromEntries(Object.entries(cpuSeconds).map(([k, v]) => [k, round(v / wallSeconds, 2)])),
      cores,
    },
    stages: stageBreakdown(timelinesOf(stack, timelines, calls, terminalOf)),
    profile,
  };
}

/** Each job's timeline from the client's times, the proxies' log, the sandbox's pins and the bus. */
function timelinesOf(
  stack: OverheadStack,
  jobs: ReadonlyMap<string, { key: string; user: string; submitted: number; accepted: number }>,
  calls: readonly ProxiedCall[],
  terminalOf: (id: string) => number | undefined,
): JobTimeline[] {
  const url = stack.pipeline.queueUrls.publish;
  const publishQueue = url.slice(url.lastIndexOf('/') + 1);
  const dispatched = new Map<string, number>();
  const received = new Map<string, number>();
  const writesEnd = new Map<string, number[]>();
  for (const c of calls) {
    if (c.op === 'SQS.SendMessage' && c.resource === publishQueue) {
      for (const id of c.requestJobs) if (!dispatched.has(id)) dispatched.set(id, c.startMs);
    } else if (c.op === 'SQS.ReceiveMessage' && c.resource === publishQueue) {
      for (const id of c.responseJobs) if (!received.has(id)) received.set(id, c.startMs + c.durationMs);
    } else if (WRITES.has(c.op)) {
      for (const id of c.requestJobs) writesEnd.set(id, [...(writesEnd.get(id) ?? []), c.startMs + c.durationMs]);
    }
  }
  const pinAt = createTimesByTitle(stack.sandbox);
  return [...jobs.entries()].map(([id, t]) => {
    const created = pinAt.get(t.key);
    const resultWritten =
      created === undefined ? undefined : (writesEnd.get(id) ?? []).filter((end) => end >= created).sort((a, b) => a - b)[0];
    const optional = {
      dispatched: dispatched.get(id),
      received: received.get(id),
      createArrived: created,
      resultWritten,
      terminalEvent: terminalOf(id),
    };
    return {
      submitted: t.submitted,
      accepted: t.accepted,
      ...Object.fromEntries(Object.entries(optional).filter(([, v]) => v !== undefined)),
    } as JobTimeline;
  });
}
