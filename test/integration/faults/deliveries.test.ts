import { DeleteMessageCommand, GetQueueAttributesCommand, type Message } from '@aws-sdk/client-sqs';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dynamoClient } from '../../../lambdas/common/clients.ts';
import { loadHandler } from '../../../local/event-sources.ts';
import { lambdaContext } from '../../../local/http-api.ts';
import type { Pipeline } from '../../../local/pipeline.ts';
import { attributeOf, AWS_ERRORS } from '../../../local/sdk-faults.ts';
import { received, sqsRecordOf } from '../../../local/sqs-poller.ts';
import { faultRig, jobWrite, useFaults, type Account } from '../fault-injection.ts';
import { drainQueue, sqsOf, testPipeline, waitFor } from '../harness.ts';

/**
 * Deliveries SQS may make that the happy path never sees, made by hand: the queue consumers are not
 * running, and the test invokes the functions (one container each, as local mode loads them) with the
 * messages it chooses — the same message to two workers at once, the same message again later, old
 * versions after newer ones, a version the job never had, a delay message twice. The invariant: the
 * conditional write on the job's version lets exactly one of them act, so one attempt per delivery that
 * counts and one pin per job; every other delivery is acknowledged without effect.
 */
type SqsHandler = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>;

let pipeline: Pipeline;
let rig: ReturnType<typeof faultRig>;
let arns: { publish: string; delay: string };
const faults = useFaults();
/** Two containers of each queue consumer: two workers that can hold deliveries at the same time. */
const publish: SqsHandler[] = [];
const release: SqsHandler[] = [];

beforeAll(async () => {
  pipeline = await testPipeline({
    worker: false,
    retry: { baseSeconds: 0.5, maxAttempts: 5 },
    pacing: { accountPerMinute: 600, appPerSecond: 100 },
  });
  rig = faultRig(pipeline, { limit: 600 });
  for (const container of [0, 1]) {
    publish.push(await loadHandler<SqsHandler>('publish-pin', container));
    release.push(await loadHandler<SqsHandler>('release-due-jobs', container));
  }
  const arnOf = async (url: string) =>
    (await sqsOf(pipeline).send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }))).Attributes!.QueueArn!;
  arns = { publish: await arnOf(pipeline.queueUrls.publish), delay: await arnOf(pipeline.queueUrls.delay) };
});

afterAll(async () => {
  await pipeline?.stop();
});

/** Messages received from the queues and not yet handed to a test. */
const pool: Record<'publish' | 'delay', Message[]> = { publish: [], delay: [] };

/**
 * The message the outbox sent for the job's `version`, once it is there. It is taken off the queue (the
 * test delivers it by hand from now on), which also unblocks its FIFO group for the job's next message.
 */
async function messageFor(queue: 'publish' | 'delay', jobId: string, version: number): Promise<Message> {
  const matches = (m: Message) => {
    const body = JSON.parse(m.Body ?? '{}') as { job_id?: string; version?: number };
    return body.job_id === jobId && body.version === version;
  };
  const message = await waitFor(
    async () => {
      pool[queue].push(...(await drainQueue(pipeline, pipeline.queueUrls[queue])));
      return pool[queue].find(matches);
    },
    { what: `the ${queue} message of ${jobId} v${version}` },
  );
  pool[queue] = pool[queue].filter((m) => m !== message);
  await sqsOf(pipeline).send(new DeleteMessageCommand({ QueueUrl: pipeline.queueUrls[queue], ReceiptHandle: message.ReceiptHandle }));
  return message;
}

/** A delivery of `message` (its body rewritten for another version when asked). */
function eventOf(queue: 'publish' | 'delay', message: Message, version?: number): SQSEvent {
  const body = version === undefined ? message.Body : JSON.stringify({ ...JSON.parse(message.Body ?? '{}'), version });
  return { Records: [sqsRecordOf(received({ ...message, Body: body }), arns[queue])] };
}

const invoke = (handler: SqsHandler | undefined, event: SQSEvent) => handler!(event, lambdaContext('test-delivery', 30_000));

async function submitOne(name: string): Promise<{ account: Account; id: string }> {
  const account = await rig.account(name);
  const [id] = await rig.submit(account, [`${name}-1`]);
  return { account, id: id! };
}

describe('duplicate and out-of-order deliveries', () => {
  it('the same message to two workers at once: both reach the claim, the conditional write lets one win (invariant: one attempt, one pin)', async () => {
    const { account, id } = await submitOne('two-workers');
    const message = await messageFor('publish', id, 1);
    let arrived = 0;
    let bothThere: () => void = () => undefined;
    const barrier = new Promise<void>((resolve) => {
      bothThere = resolve;
    });
    const gate = faults.inject(dynamoClient(), {
      commands: ['UpdateItemCommand'],
      where: jobWrite(id, 'running'),
      effect: {
        kind: 'wait',
        until: () => {
          if (++arrived === 2) bothThere();
          return Promise.race([barrier, new Promise((r) => setTimeout(r, 5_000))]);
        },
      },
    });

    const answers = await Promise.all([invoke(publish[0], eventOf('publish', message)), invoke(publish[1], eventOf('publish', message))]);

    expect(gate.hits()).toBe(2); // both claims were sent, conditional on the same version
    expect(answers).toEqual([{ batchItemFailures: [] }, { batchItemFailures: [] }]);
    const [job] = await rig.settle([id]);
    expect(job!.status).toBe('succeeded');
    expect(job!.attempts).toHaveLength(1);
    expect(rig.creates(account.user)).toHaveLength(1);
    await rig.expectPromise([id], [account]);
  });

  it('old versions, the same version again, a version the job never had, stale delay messages: all dropped, the job and Pinterest unchanged', async () => {
    const { account, id } = await submitOne('stale');
    const message = await messageFor('publish', id, 1);
    await invoke(publish[0], eventOf('publish', message));
    const [done] = await rig.settle([id]);
    expect(done!.status).toBe('succeeded'); // version 3: queued 1, running 2, succeeded 3

    const answers = await Promise.all([
      ...[1, 2, 3, 4, 1].map((v, i) => invoke(publish[i % 2], eventOf('publish', message, v))),
      ...[1, 2, 3].map((v, i) => invoke(release[i % 2], eventOf('delay', message, v))),
    ]);

    expect(answers.every((a) => a.batchItemFailures.length === 0)).toBe(true); // acknowledged, nothing to retry
    expect((await rig.jobs([id]))[0]).toEqual(done);
    expect(rig.creates(account.user)).toHaveLength(1);
    await rig.expectPromise([id], [account]);
  });

  it("a retry's delay message delivered twice at once: one release wins, one new queue message, one more attempt (invariant: one pin)", async () => {
    const { account, id } = await submitOne('twice-released');
    rig.sandbox.inject({ kind: 'status', status: 503 }, { match: { user: account.user } });
    await invoke(publish[0], eventOf('publish', await messageFor('publish', id, 1)));
    const delayed = await messageFor('delay', id, 3); // running 2 → retry_scheduled 3

    const answers = await Promise.all([invoke(release[0], eventOf('delay', delayed)), invoke(release[1], eventOf('delay', delayed))]);
    expect(answers).toEqual([{ batchItemFailures: [] }, { batchItemFailures: [] }]);
    const again = await messageFor('publish', id, 4); // queued 4: one message, whichever release won
    await Promise.all([invoke(publish[0], eventOf('publish', again)), invoke(publish[1], eventOf('publish', again))]);

    const [job] = await rig.settle([id]);
    expect(job!.status).toBe('succeeded');
    expect(job!.attempts.map((a) => [a.outcome, a.http_status])).toEqual([
      ['retry_now', 503],
      ['succeeded', null],
    ]);
    expect(job!.status_history.map((h) => h.status)).toEqual(['queued', 'running', 'retry_scheduled', 'queued', 'running', 'succeeded']);
    pool.publish.push(...(await drainQueue(pipeline, pipeline.queueUrls.publish)));
    expect(pool.publish.filter((m) => JSON.parse(m.Body ?? '{}').job_id === id)).toEqual([]); // no second v4 message (FIFO dedup id <job>-v4)
    await rig.expectPromise([id], [account]);
  });
});

describe('local mode runs one batch per container', () => {
  // Powertools' batch processor is module state: in Lambda a container runs one batch at a time. When two
  // batches shared one module, the second batch's start wiped the first one's failures, so a record that
  // failed was reported done and its message deleted — a job left queued with no message.
  it('a record that failed stays failed in its own batch while another worker runs a batch (invariant: its message comes back)', async () => {
    const [a, b, c] = [await submitOne('container-a'), await submitOne('container-b'), await submitOne('container-c')];
    const [ma, mb, mc] = [await messageFor('publish', a.id, 1), await messageFor('publish', b.id, 1), await messageFor('publish', c.id, 1)];
    const jobRead = (jobId: string) => (input: Record<string, unknown>) => String(attributeOf(input, ['Key', 'pk'])).endsWith(jobId);
    faults.inject(dynamoClient(), {
      commands: ['GetItemCommand'],
      where: jobRead(a.id),
      effect: { kind: 'fail', error: AWS_ERRORS.throttling },
      step: 'initialize',
      times: 1,
    });
    const slow = faults.inject(dynamoClient(), {
      commands: ['GetItemCommand'],
      where: jobRead(b.id),
      effect: { kind: 'delay', ms: 800 },
      step: 'initialize',
      times: 1,
    });

    const first = invoke(publish[0], { Records: [...eventOf('publish', ma).Records, ...eventOf('publish', mb).Records] });
    // The second worker starts once the first has failed a and is busy with b.
    await waitFor(() => slow.hits() === 1, { what: 'the first batch to reach its second record', everyMs: 10 });
    const second = invoke(publish[1], eventOf('publish', mc));

    expect(await first).toEqual({ batchItemFailures: [{ itemIdentifier: ma.MessageId }] });
    expect(await second).toEqual({ batchItemFailures: [] });
  });
});
