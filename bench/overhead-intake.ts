/**
 * Intake latency and end-to-end latency (bench/overhead.ts).
 *
 * Intake: POST /v1/pins through local mode's API — the same path a client takes: the local API Gateway,
 * the authorizer (its answer cached per key for AUTHORIZER_CACHE_SECONDS, as API Gateway does) and the
 * create-pin handler — next to the bare operations it wraps, issued with the SDK on the SAME emulators
 * in the SAME run, interleaved request by request so both see the same background load (the relay and
 * the worker publishing the jobs just accepted):
 * - `put+send`: a conditional PutItem (attribute_not_exists) of the very item intake wrote (copied from
 *   the proxy, its ids replaced, same size) into a copy of the jobs table (same indexes, stream on), plus
 *   an SQS SendMessage of the relay's message to a copy of the publish FIFO queue. Intake itself sends
 *   nothing to SQS (the outbox relay does, off the request path), so this is the baseline, not
 *   intake's own work;
 * - `get+put`: what create-pin really does on the store — GetItem of the account, then the conditional
 *   PutItem — without HTTP, authorizer, validation or Powertools.
 * Both baselines go through the same counting proxy as the pipeline; `put+send direct` skips it (the
 * proxy's own cost).
 *
 * End to end: one job at a time on idle accounts, from the 202 to the pin at the sandbox, and to the
 * job.succeeded event on the bus.
 */
import { GetItemCommand, PutItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { createTimesByTitle, sleep, type OverheadStack } from './overhead-stack.ts';
import { ratio, summarize, type Summary } from './overhead-stats.ts';
import type { Progress } from './progress.ts';

export interface IntakeFigures {
  readonly requests: number;
  readonly warmup: number;
  /** POST /v1/pins, client-side, ms. */
  readonly intake: Summary;
  /** Conditional PutItem + SendMessage (FIFO) through the proxy, ms. */
  readonly putSend: Summary;
  /** The same without the proxy. */
  readonly putSendDirect: Summary;
  /** GetItem (account) + conditional PutItem through the proxy: intake's own store round trips. */
  readonly getPut: Summary;
  /** intake ÷ put+send, p50 and p99. */
  readonly ratioToPutSend: { readonly p50: number | null; readonly p99: number | null };
  readonly ratioToGetPut: { readonly p50: number | null; readonly p99: number | null };
  /** Bytes of the PutItem request intake sends (the item and its condition). */
  readonly putItemRequestBytes: number;
}

export interface EndToEndFigures {
  readonly jobs: number;
  readonly accounts: number;
  /** 202 at the client → the create request at the sandbox, ms. */
  readonly acceptedToPin: Summary;
  /** 202 → job.succeeded on the bus, ms. */
  readonly acceptedToEvent: Summary;
  /** POST sent → the create at the sandbox, ms. */
  readonly submittedToPin: Summary;
}

/** A fake job id shaped like the real ones (`job_` + 26 lower-case Crockford base32 characters), unique per n. */
function fakeJobId(n: number): string {
  const alphabet = '0123456789abcdefghjkmnpqrstvwxyz';
  let s = '';
  let v = n;
  for (let i = 0; i < 26; i++) {
    s = alphabet[v % 32] + s;
    v = Math.floor(v / 32);
  }
  return `job_${s}`;
}

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
}

export async function measureIntake(
  stack: OverheadStack,
  options: { readonly requests?: number; readonly warmup?: number } = {},
  progress: Progress = () => undefined,
): Promise<IntakeFigures> {
  const requests = options.requests ?? 300;
  const warmup = options.warmup ?? 30;
  const account = await stack.connect('intake');
  const total = warmup + requests;
  const label = 'intake latency vs bare operations';
  for (let i = 0; i < warmup; i++) {
    await stack.submit(account.accountId, account.boardId, `intake-warm-${i}`);
    progress(i + 1, total, label);
  }

  // The item intake writes, as it sent it: the last PutItem naming a warm-up job.
  const first = await stack.submit(account.accountId, account.boardId, 'intake-template');
  const put = [...stack.proxies.dynamodb.calls()].reverse().find((c) => c.putBody && c.requestJobs.includes(first.job.id));
  if (!put?.putBody) throw new Error('the proxy saw no PutItem of the intake template job');
  const template = JSON.parse(put.putBody) as { Item: Record<string, unknown> };
  const templateItem = JSON.stringify(template.Item);
  const accountKey = { pk: { S: `TENANT#${stack.pipeline.tenantId}` }, sk: { S: `ACCOUNT#${account.accountId}` } };

  const viaProxy = { dynamo: stack.dynamo(stack.proxies.dynamodb.url), sqs: stack.sqs(stack.proxies.sqs.url) };
  const direct = { dynamo: stack.dynamo(stack.emulators.dynamodb), sqs: stack.sqs(stack.emulators.sqs) };
  let fakes = 0;
  const putItem = (dynamo: DynamoDBClient) => {
    const id = fakeJobId(++fakes);
    return dynamo.send(
      new PutItemCommand({
        TableName: stack.baseline.jobsTable,
        Item: JSON.parse(templateItem.replaceAll(first.job.id, id)),
        ConditionExpression: 'attribute_not_exists(pk)',
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      }),
    );
  };
  const send = (sqs: SQSClient) => {
    const id = fakeJobId(++fakes);
    return sqs.send(
      new SendMessageCommand({
        QueueUrl: stack.baseline.publishQueueUrl,
        MessageBody: JSON.stringify({ job_id: id, tenant_id: stack.pipeline.tenantId, version: 1 }),
        MessageGroupId: `${stack.pipeline.tenantId}#${account.accountId}`,
        MessageDeduplicationId: `${id}-v1`,
      }),
    );
  };
  const getAccount = (dynamo: DynamoDBClient) =>
    dynamo.send(new GetItemCommand({ TableName: stack.pipeline.tableNames.tenants, Key: accountKey }));

  // The account's key must name a real item, or the GetItem baseline would be an empty read.
  const probe = await direct.dynamo.send(new GetItemCommand({ TableName: stack.pipeline.tableNames.tenants, Key: accountKey }));
  if (!probe.Item) throw new Error(`the account item is not at ${JSON.stringify(accountKey)}: the tenants table's key layout changed`);

  const intake: number[] = [];
  const putSend: number[] = [];
  const putSendDirect: number[] = [];
  const getPut: number[] = [];
  for (let i = 0; i < requests; i++) {
    const t0 = performance.now();
    await stack.submit(account.accountId, account.boardId, `intake-${i}`);
    intake.push(performance.now() - t0);
    putSend.push(
      await timed(async () => {
        await putItem(viaProxy.dynamo);
        await send(viaProxy.sqs);
      }),
    );
    getPut.push(
      await timed(async () => {
        await getAccount(viaProxy.dynamo);
        await putItem(viaProxy.dynamo);
      }),
    );
    putSendDirect.push(
      await timed(async () => {
        await putItem(direct.dynamo);
        await send(direct.sqs);
      }),
    );
    progress(warmup + i + 1, total, label);
  }
  const s = { intake: summarize(intake), putSend: summarize(putSend), putSendDirect: summarize(putSendDirect), getPut: summarize(getPut) };
  return {
    requests,
    warmup,
    ...s,
    ratioToPutSend: { p50: ratio(s.intake.p50, s.putSend.p50), p99: ratio(s.intake.p99, s.putSend.p99) },
    ratioToGetPut: { p50: ratio(s.intake.p50, s.getPut.p50), p99: ratio(s.intake.p99, s.getPut.p99) },
    putItemRequestBytes: put.requestBytes,
  };
}

export async function measureEndToEnd(
  stack: OverheadStack,
  options: { readonly jobs?: number; readonly accounts?: number; readonly timeoutMs?: number } = {},
  progress: Progress = () => undefined,
): Promise<EndToEndFigures> {
  const jobs = options.jobs ?? 50;
  const accountCount = options.accounts ?? 10;
  const accounts: Awaited<ReturnType<OverheadStack['connect']>>[] = [];
  for (let i = 0; i < accountCount; i++) accounts.push(await stack.connect(`e2e-${i}`));
  // Start from an idle pipeline: whatever earlier steps left in flight is done.
  await stack.pipeline.relayDrained(60_000);
  const acceptedToPin: number[] = [];
  const acceptedToEvent: number[] = [];
  const submittedToPin: number[] = [];
  for (let i = 0; i < jobs; i++) {
    const account = accounts[i % accountCount] as (typeof accounts)[number];
    const key = `e2e-${i}`;
    const { job, sentMs: sent, acceptedMs: accepted } = await stack.submit(account.accountId, account.boardId, key);
    const deadline = Date.now() + (options.timeoutMs ?? 30_000);
    let pinAt: number | undefined;
    let eventAt: number | undefined;
    while (pinAt === undefined || eventAt === undefined) {
      if (Date.now() > deadline) throw new Error(`job ${job.id} (${key}) did not reach the sandbox and the bus within the timeout`);
      pinAt = createTimesByTitle(stack.sandbox).get(key);
      eventAt = stack.eventTimes.get(job.id)?.get('job.succeeded');
      await sleep(2);
    }
    acceptedToPin.push(pinAt - accepted);
    acceptedToEvent.push(eventAt - accepted);
    submittedToPin.push(pinAt - sent);
    progress(i + 1, jobs, 'end-to-end latency, idle queue');
  }
  return {
    jobs,
    accounts: accountCount,
    acceptedToPin: summarize(acceptedToPin),
    acceptedToEvent: summarize(acceptedToEvent),
    submittedToPin: summarize(submittedToPin),
  };
}
