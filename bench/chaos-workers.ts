/**
 * The chaos run's queue consumers, restartable the hard way. Each start is a generation of fresh
 * containers (publish-pin and release-due-jobs, each container its own handler module, as local mode
 * loads them). Killing a generation is `kill -9` for the functions: every AWS or Pinterest call one of its
 * invocations makes from then on never returns — a call in flight reaches the service, its caller never
 * hears back — so nothing the dead workers would do next happens, and their messages come back after
 * the visibility timeout. A new generation is started in the same moment, as Lambda would.
 *
 * The generation of the running code is carried by AsyncLocalStorage: the kill switch is one middleware
 * on each SDK client of the functions and a wrapper around their Pinterest client.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import type { PinterestApi } from '../lambdas/use-cases/ports.ts';
import { loadHandler } from '../local/event-sources.ts';
import type { Pipeline } from '../local/pipeline.ts';
import { addSdkMiddleware, type FaultableClient } from '../local/sdk-faults.ts';
import { startSqsPoller, type SqsPoller } from '../local/sqs-poller.ts';

type SqsHandler = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>;

const generation = new AsyncLocalStorage<number>();
/** Killed generations: their hung calls (rejected, and later calls refused, once released). Numbers are never reused. */
const killed = new Map<number, { released: boolean; hung: Set<(error: Error) => void> }>();
let generations = 0;
const dead = () => new Error('this worker was killed');

/** Never settles for code of a killed generation (until it is released); at once otherwise. */
function gate(): Promise<void> {
  const current = generation.getStore();
  const state = current === undefined ? undefined : killed.get(current);
  if (!state) return Promise.resolve();
  if (state.released) return Promise.reject(dead());
  return new Promise<void>((_, reject) => {
    state.hung.add(reject);
  });
}

/** Lets every call of these killed generations fail, so their pollers can end. */
function release(numbers: readonly number[]): void {
  for (const number of numbers) {
    const state = killed.get(number);
    if (!state) continue;
    state.released = true;
    for (const reject of state.hung) reject(dead());
    state.hung.clear();
  }
}

/** Calls hung in killed generations right now. */
export const hungCalls = () => [...killed.values()].reduce((sum, s) => sum + s.hung.size, 0);

/** Puts the kill switch on the functions' SDK clients; returns its removal. */
export function killSwitchOn(clients: readonly FaultableClient[]): () => void {
  const removals = clients.map((client) =>
    addSdkMiddleware(
      client,
      (next) => async (args) => {
        await gate();
        const answer = await next(args);
        await gate();
        return answer;
      },
      'initialize',
    ),
  );
  return () => {
    for (const remove of removals) remove();
  };
}

/** The worker's Pinterest client behind the kill switch (PipelineOptions.wrapPinterest). */
export function killablePinterest(api: PinterestApi): PinterestApi {
  const around =
    <A extends unknown[], R>(call: (...args: A) => Promise<R>) =>
    async (...args: A): Promise<R> => {
      await gate();
      const answer = await call(...args);
      await gate();
      return answer;
    };
  return {
    createPin: around((token, pin) => api.createPin(token, pin)),
    listBoardPins: around((token, boardId, page) => api.listBoardPins(token, boardId, page)),
    refreshAccessToken: around((token) => api.refreshAccessToken(token)),
  };
}

export interface Workers {
  /** Generations started so far (restarts + 1). */
  readonly generations: () => number;
  /** Kills the running generation mid-flight and starts a new one. */
  restart(): Promise<void>;
  /** Stops the running generation; the killed ones end once released. */
  stop(): Promise<void>;
}

export async function startWorkers(
  pipeline: Pipeline,
  sqs: SQSClient,
  options: {
    readonly publishConcurrency: number;
    /** Called before each new generation starts (the run makes the worker's dependencies cold again). */
    readonly coldStart: () => void;
  },
): Promise<Workers> {
  const arnOf = async (url: string) =>
    (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }))).Attributes?.QueueArn ?? '';
  const consumers = [
    {
      name: 'publish-pin',
      url: pipeline.queueUrls.publish,
      arn: await arnOf(pipeline.queueUrls.publish),
      concurrency: options.publishConcurrency,
    },
    { name: 'release-due-jobs', url: pipeline.queueUrls.delay, arn: await arnOf(pipeline.queueUrls.delay), concurrency: 2 },
  ];
  let current = 0;
  let started = 0;
  let running: SqsPoller[] = [];
  const stopping: Promise<void>[] = [];
  const mine: number[] = [];

  async function start(): Promise<void> {
    started++;
    current = ++generations;
    mine.push(current);
    const number = current;
    const pollers: SqsPoller[] = [];
    for (const consumer of consumers) {
      // New containers: fresh module state, numbered apart from every earlier generation's.
      const containers = await Promise.all(
        Array.from({ length: consumer.concurrency }, async (_, i) => {
          const handler = await loadHandler<SqsHandler>(consumer.name, number * 100 + i);
          return (event: SQSEvent, context: Context) => generation.run(number, () => handler(event, context));
        }),
      );
      pollers.push(
        startSqsPoller({
          sqs,
          queueUrl: consumer.url,
          queueArn: consumer.arn,
          functionName: consumer.name,
          handler: { containers },
          concurrency: consumer.concurrency,
        }),
      );
    }
    running = pollers;
  }

  await start();
  return {
    generations: () => started,
    restart: async () => {
      killed.set(current, { released: false, hung: new Set() });
      // Their receive loops stop at once; an invocation in flight stays hung (its messages come back).
      stopping.push(...running.map((p) => p.stop()));
      // The new containers start cold: the worker's token cache and connection pool are built again.
      options.coldStart();
      await start();
    },
    stop: async () => {
      await Promise.all(running.map((p) => p.stop()));
      release(mine);
      await Promise.allSettled(stopping);
    },
  };
}
