/**
 * `npm run admin -- webhooks replay` end to end: receivers on 127.0.0.1 that answer 404 (not retried), so
 * the EventBridge stand-in dead-letters their events into the webhook DLQ (fauxqs); the receiver is fixed;
 * the replay (lambdas/use-cases/webhook-replay.ts, as a function and through the CLI) puts each event back
 * on the bus as `webhook.redelivery`, and the subscriptions' real rules, targets and input transformer
 * deliver it. A pipeline of its own: its DLQ holds only what these tests put there.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runWebhookReplay, type ReplayTarget } from '../../bin/webhook-replay.ts';
import type { Job } from '../../lambdas/api/schemas.ts';
import type { ReplayReport } from '../../lambdas/use-cases/webhook-replay.ts';
import type { Pipeline } from '../../local/pipeline.ts';
import { localStateOf } from '../../local/state-file.ts';
import { startWebhookReceiver, type ReceivedDelivery, type WebhookReceiver } from '../../local/webhook-receiver.ts';
import { callerFor, sqsOf, testPipeline, waitFor, waitForJob, type Caller } from './harness.ts';
import type { WebhookTestResult } from './webhook-suite.ts';

const run = promisify(execFile);
const ROOT = new URL('../../', import.meta.url).pathname;
const scratch = mkdtempSync(join(tmpdir(), 'pinrelay-replay-'));

let pipeline: Pipeline;
let target: ReplayTarget;
const receivers: WebhookReceiver[] = [];

beforeAll(async () => {
  pipeline = await testPipeline({
    webhookRetry: { firstDelayMs: 200, maxDelayMs: 1500, multiplier: 2, jitter: 0.5 },
    pacing: { accountPerMinute: 600, appPerSecond: 100 },
  });
  target = {
    region: 'us-east-1',
    queueUrl: pipeline.queueUrls.webhookDlq,
    // The pipeline set the functions' environment in this process: EVENT_BUS_NAME is its bus.
    eventBusName: process.env.EVENT_BUS_NAME!,
    namePrefix: pipeline.webhookNamePrefix,
    sqsEndpoint: pipeline.endpoints.sqs,
    eventBridgeEndpoint: pipeline.endpoints.eventBridge,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  };
});

afterAll(async () => {
  await Promise.allSettled(receivers.map((r) => r.stop()));
  await pipeline?.stop();
  rmSync(scratch, { recursive: true, force: true });
});

/** A receiver that answers 404 until `fix()`, then 204. */
async function brokenReceiver() {
  let broken = true;
  const receiver = await startWebhookReceiver({ log: () => undefined, respond: () => (broken ? { status: 404 } : undefined) });
  receivers.push(receiver);
  return Object.assign(receiver, { fix: () => (broken = false) });
}

async function tenant(name: string): Promise<{ tenantId: string; api: Caller }> {
  const created = await pipeline.createTenant(name);
  return { tenantId: created.tenantId, api: callerFor(pipeline, created.apiKey) };
}

async function subscribe(api: Caller, url: string, events: string[]) {
  const created = await api('POST', '/v1/webhooks', { body: { url, events } });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  return created.body as { id: string; secret: string };
}

/** Messages in the webhook DLQ, visible or in flight. */
async function dlqDepth(): Promise<number> {
  const out = await sqsOf(pipeline).send(
    new GetQueueAttributesCommand({
      QueueUrl: pipeline.queueUrls.webhookDlq,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
    }),
  );
  return Number(out.Attributes!.ApproximateNumberOfMessages) + Number(out.Attributes!.ApproximateNumberOfMessagesNotVisible);
}

const deadLettered = (webhookId: string) =>
  pipeline.events.failedDeliveries().filter((f) => f.ruleName.endsWith(webhookId) && f.disposition === 'dead-lettered');
const ok = (r: WebhookReceiver) => r.deliveries().filter((d) => d.status >= 200 && d.status < 300);
const delivery = (d: ReceivedDelivery) => ({
  webhookId: d.webhookId,
  timestamp: d.webhookTimestamp,
  secret: d.headers['x-pinrelay-webhook-secret'],
  body: d.body,
});

describe('webhooks replay', () => {
  it('job events and a test event that a receiver refused (404) reach it once each, as they were; a sibling subscription gets nothing; the DLQ is empty', async () => {
    const { api } = await tenant('replay');
    const hook = await brokenReceiver();
    const sibling = await brokenReceiver();
    sibling.fix(); // healthy from the start
    const sub = await subscribe(api, hook.url, ['job.succeeded', 'job.failed']);
    const siblingSub = await subscribe(api, `${sibling.url}/sibling`, ['job.succeeded', 'job.failed']);

    // Two jobs that succeed and one that fails (a board the user does not have).
    const tokens = pipeline.sandbox!.addUser({ username: 'replay-user', boards: ['880001'] });
    expect(
      (await api('PUT', '/v1/accounts/main', { body: { access_token: tokens.accessToken, refresh_token: tokens.refreshToken } })).status,
    ).toBe(200);
    const jobIds: string[] = [];
    for (const [i, board] of ['880001', '880001', '55555'].entries()) {
      const created = await api<Job>('POST', '/v1/pins', {
        body: {
          account_id: 'main',
          board_id: board,
          title: `pin ${i}`,
          media_source: { source_type: 'image_url', url: `https://cdn.example.com/${i}.jpg` },
        },
        headers: { 'Idempotency-Key': `replay-${i}` },
      });
      expect(created.status).toBe(202);
      jobIds.push(created.body.id);
    }
    for (const id of jobIds) await waitForJob(api, id);
    const testEventId = (await api<WebhookTestResult>('POST', `/v1/webhooks/${sub.id}/test`)).body.event_id;

    await waitFor(() => deadLettered(sub.id).length, { until: (n) => n >= 4, what: 'four dead-lettered events', timeoutMs: 20_000 });
    await pipeline.events.idle();
    expect(await dlqDepth()).toBe(4);
    const refused = hook.deliveries();
    expect(refused.map((d) => d.status)).toEqual([404, 404, 404, 404]); // not retried
    const siblingBefore = sibling.deliveries().length;
    expect(siblingBefore).toBe(3); // the job events, delivered the first time

    hook.fix();
    const progress: string[] = [];
    const report = await runWebhookReplay(target, { onProgress: (p) => progress.push(`${p.replayed}/${p.total}`) });
    await pipeline.events.idle();

    expect(report).toMatchObject({ dry_run: false, seen: 4, replayed: 4, left: 0, failed: 0, not_deleted: 0 });
    expect(new Set(report.messages.map((m) => m.webhook_id))).toEqual(new Set([sub.id]));
    expect(report.messages.map((m) => m.type).sort()).toEqual(['job.failed', 'job.succeeded', 'job.succeeded', 'webhook.test']);
    expect(progress.at(0)).toBe('0/4');
    expect(progress.at(-1)).toBe('4/4');

    // Each event once, with its original webhook-id, timestamp and body (byte for byte what was refused).
    const redelivered = ok(hook);
    expect(redelivered).toHaveLength(4);
    expect(redelivered.every((d) => !d.duplicate)).toBe(true);
    expect(redelivered.map(delivery).sort((a, b) => a.webhookId!.localeCompare(b.webhookId!))).toEqual(
      refused.map(delivery).sort((a, b) => a.webhookId!.localeCompare(b.webhookId!)),
    );
    expect(redelivered.map((d) => d.webhookId)).toContain(testEventId);
    for (const d of redelivered) {
      const body = d.json as { id: string; type: string };
      expect(Object.keys(body)).toEqual(['id', 'type', 'created_at', 'data']);
      expect(body.id).toBe(d.webhookId);
      expect(body.type).not.toBe('webhook.redelivery');
      expect(d.headers['x-pinrelay-webhook-secret']).toBe(sub.secret);
    }
    // What the bus carried: webhook.redelivery events addressed to this subscription only.
    const onBus = pipeline.events.events().filter((e) => e.event['detail-type'] === 'webhook.redelivery');
    expect(onBus).toHaveLength(4);
    expect(new Set(onBus.map((e) => e.event.detail.webhook_id))).toEqual(new Set([sub.id]));

    // The sibling subscription (same tenant, same event types) got nothing from the replay.
    expect(sibling.deliveries()).toHaveLength(siblingBefore);
    expect(deadLettered(siblingSub.id)).toEqual([]);
    expect(await dlqDepth()).toBe(0);
  }, 60_000);

  it('through the CLI against a local pipeline: --dry-run sends nothing, --subscription only that one, then the rest', async () => {
    const { api } = await tenant('replay-cli');
    const first = await brokenReceiver();
    const second = await brokenReceiver();
    const one = await subscribe(api, first.url, ['job.failed']);
    const two = await subscribe(api, second.url, ['job.failed']);
    for (const sub of [one, two, one]) expect((await api('POST', `/v1/webhooks/${sub.id}/test`)).status).toBe(202);
    await waitFor(() => [deadLettered(one.id).length, deadLettered(two.id).length], {
      until: ([a, b]) => a === 2 && b === 1,
      what: 'three dead-lettered test events (2 + 1)',
    });
    await pipeline.events.idle();
    expect(await dlqDepth()).toBe(3);
    first.fix();
    second.fix();

    // The state file `npm start` writes for this pipeline.
    const stateFile = join(scratch, 'local.json');
    writeFileSync(stateFile, JSON.stringify(localStateOf(pipeline, target.eventBusName)));
    const admin = (...args: string[]) =>
      run(process.execPath, ['--import', 'tsx', 'bin/admin.ts', 'webhooks', 'replay', '--local', ...args], {
        cwd: ROOT,
        env: { ...process.env, PINRELAY_STATE_FILE: stateFile },
      });

    const dry = await admin('--dry-run', '--json');
    const dryReport = JSON.parse(dry.stdout) as ReplayReport;
    expect(dryReport).toMatchObject({ dry_run: true, seen: 3, would_replay: 3, replayed: 0 });
    expect(dry.stderr).toContain('read 3/3');
    await pipeline.events.idle();
    expect(ok(first)).toEqual([]);
    expect(ok(second)).toEqual([]);
    expect(await dlqDepth()).toBe(3);

    const only = await admin('--subscription', one.id);
    expect(only.stdout).toContain(
      `Replayed 2 events of 3 read (only ${one.id}), each to its own subscription:\n  ${one.id}: 2 (webhook.test 2)`,
    );
    expect(only.stdout).toContain('Left in the queue: 1\n  1 × another subscription');
    expect(only.stderr).toContain('replayed 2/3 (1 not replayed)');
    await pipeline.events.idle();
    expect(ok(first)).toHaveLength(2);
    expect(ok(second)).toEqual([]);
    expect(await dlqDepth()).toBe(1);

    const rest = await admin();
    console.log(`[webhook-replay] CLI output of the last run:\n${rest.stderr}${rest.stdout}`);
    expect(rest.stdout).toContain(`Replayed 1 event of 1 read, each to its own subscription:\n  ${two.id}: 1 (webhook.test 1)`);
    await pipeline.events.idle();
    expect(ok(second)).toHaveLength(1);
    expect(ok(first)).toHaveLength(2);
    expect(await dlqDepth()).toBe(0);

    const empty = await admin();
    expect(empty.stdout.trim()).toBe('The webhook dead-letter queue is empty: nothing to replay.');
  }, 90_000);
});
