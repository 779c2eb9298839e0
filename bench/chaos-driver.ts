/**
 * The chaos run's hands on local mode (bench/chaos-run.ts): the public API over HTTP (accounts, submissions
 * retried like a client, jobs read back), the vault's current access token (to expire it at the sandbox),
 * the webhook receiver's accepted deliveries, queue depths and the bus's copies of the run's events.
 */
import { GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { Job } from '../lambdas/api/schemas.ts';
import type { PinterestSandbox } from '../local/pinterest-sandbox.ts';
import type { Pipeline } from '../local/pipeline.ts';
import type { WebhookReceiver } from '../local/webhook-receiver.ts';
import { isTerminal } from './chaos-invariants.ts';

export type Call = (
  method: string,
  path: string,
  body?: unknown,
  headers?: Record<string, string>,
) => Promise<{ status: number; body: unknown }>;

export function caller(pipeline: Pipeline): Call {
  return async (method, path, body, headers = {}) => {
    const response = await fetch(`${pipeline.apiUrl}${path}`, {
      method,
      headers: {
        Authorization: `Bearer ${pipeline.apiKey}`,
        ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
        ...headers,
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    return { status: response.status, body: text ? (JSON.parse(text) as unknown) : undefined };
  };
}

export interface ChaosUser {
  readonly user: string;
  readonly accountId: string;
  readonly boardId: string;
}

export async function connectAccounts(call: Call, sandbox: PinterestSandbox, count: number, limit: number): Promise<ChaosUser[]> {
  const users: ChaosUser[] = [];
  for (let i = 0; i < count; i++) {
    const user = `chaos${i}`;
    const boardId = `${880000 + i}`;
    const tokens = sandbox.addUser({ username: user, boards: [boardId], ratePerMinute: limit });
    const put = await call('PUT', `/v1/accounts/${user}`, {
      access_token: tokens.accessToken,
      refresh_token: tokens.refreshToken,
      rate_limit_per_minute: limit,
    });
    if (put.status !== 200) throw new Error(`PUT /v1/accounts/${user} answered ${put.status}`);
    users.push({ user, accountId: user, boardId });
  }
  return users;
}

/** Submits every job (20 at a time), retrying what the faults made fail, like a client; `ids` fills as they are accepted. */
export async function submitAll(call: Call, users: readonly ChaosUser[], jobs: number, seed: number, ids: string[]): Promise<void> {
  for (let i = 0; i < jobs; i += 20) {
    const batch = Array.from({ length: Math.min(20, jobs - i) }, (_, k) => i + k);
    ids.push(
      ...(await Promise.all(
        batch.map(async (n) => {
          const u = users[n % users.length] as ChaosUser;
          const key = `chaos-${seed}-${n}`;
          const body = {
            account_id: u.accountId,
            board_id: u.boardId,
            title: key,
            link: `https://shop.example.com/${key}`,
            media_source: { source_type: 'image_url', url: `https://cdn.example.com/${key}.jpg` },
          };
          for (let attempt = 1; ; attempt++) {
            const answer = await call('POST', '/v1/pins', body, { 'Idempotency-Key': key }).catch(() => ({ status: 0, body: undefined }));
            if (answer.status === 200 || answer.status === 202) return (answer.body as Job).id;
            // 5xx, a dropped connection, the API's throttle (429): a client sends the same key again.
            if (answer.status !== 0 && answer.status !== 429 && answer.status < 500)
              throw new Error(`POST /v1/pins answered ${answer.status}: ${JSON.stringify(answer.body)}`);
            if (attempt >= 20) throw new Error(`POST /v1/pins kept failing (${answer.status})`);
            await sleep(250 * attempt);
          }
        }),
      )),
    );
  }
}

/** The run's clock: storms, token expiry, receiver outages and restarts as the plan opens their windows. */
export function currentAccessToken(pipeline: Pipeline, accountId: string): string | undefined {
  const secret = pipeline.secrets.secrets().find((s) => s.name.endsWith(`/${pipeline.tenantId}/${accountId}`));
  const current = secret?.versions.find((v) => v.stages.includes('AWSCURRENT'));
  return current?.secretString ? (JSON.parse(current.secretString) as { access_token?: string }).access_token : undefined;
}

export async function readJobs(call: Call, ids: readonly string[]): Promise<Job[]> {
  const jobs: Job[] = [];
  for (let i = 0; i < ids.length; i += 25) {
    jobs.push(...(await Promise.all(ids.slice(i, i + 25).map(async (id) => (await call('GET', `/v1/jobs/${id}`)).body as Job))));
  }
  return jobs;
}

export const accepted = (receiver: WebhookReceiver) =>
  receiver
    .deliveries()
    .filter((d) => d.status >= 200 && d.status < 300)
    .map((d) => ({ webhookId: d.webhookId, body: d.body }));

export function deliveredAll(receiver: WebhookReceiver, jobs: readonly Job[]): boolean {
  const delivered = new Set(accepted(receiver).map((d) => (JSON.parse(d.body) as { data?: { job?: { id?: string } } }).data?.job?.id));
  return jobs.every((j) => !isTerminal(j) || delivered.has(j.id));
}

export async function waitUntil(done: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done() && Date.now() < deadline) await sleep(500);
}

export async function queueDepths(sqs: SQSClient, pipeline: Pipeline): Promise<Record<string, string>> {
  const depths: Record<string, string> = {};
  for (const [name, url] of Object.entries(pipeline.queueUrls)) {
    const attributes = (
      await sqs.send(
        new GetQueueAttributesCommand({
          QueueUrl: url,
          AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible', 'ApproximateNumberOfMessagesDelayed'],
        }),
      )
    ).Attributes;
    depths[name] =
      `${attributes?.ApproximateNumberOfMessages}/${attributes?.ApproximateNumberOfMessagesNotVisible}/${attributes?.ApproximateNumberOfMessagesDelayed}`;
  }
  return depths;
}

export function busEventsOf(pipeline: Pipeline, ids: ReadonlySet<string>): { copies: number; distinct: number } {
  const ofRun = pipeline.events
    .events()
    .filter(({ event }) => ids.has(String((event.detail as { data?: { job?: { id?: string } } }).data?.job?.id)));
  return { copies: ofRun.length, distinct: new Set(ofRun.map(({ event }) => String((event.detail as { id?: string }).id))).size };
}

export function countBy(values: readonly string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const v of values) counts[v] = (counts[v] ?? 0) + 1;
  return counts;
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
