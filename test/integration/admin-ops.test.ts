/**
 * The operations commands (`npm run admin -- jobs …`, `dlq redrive`, `queues`, `rate`) end to end, through
 * the real CLI as a child process with `--local` against a test pipeline (the state file `npm start` would
 * write): a job failed by the sandbox's 404 code 40 (unknown board) is listed with its remediation, a bulk
 * requeue with a corrected board re-runs it to success; a job message moved by hand from the publish queue
 * to its DLQ (reconciler off, queue consumers stopped) is redriven and its job completes; a job whose message
 * was lost is nudged through the reconciler's use case and completes; `queues` shows the depths all along.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  ChangeMessageVisibilityCommand,
  DeleteMessageCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  type Message,
} from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Job } from '../../lambdas/api/schemas.ts';
import type { FailedJobsReport } from '../../lambdas/use-cases/ops-jobs.ts';
import type { StuckReport } from '../../lambdas/use-cases/ops-stuck-jobs.ts';
import type { QueuesReport, RedriveReport } from '../../lambdas/use-cases/ops-queues.ts';
import type { Pipeline } from '../../local/pipeline.ts';
import { localStateOf } from '../../local/state-file.ts';
import { callerFor, sqsOf, startQueueConsumers, testPipeline, waitFor, waitForJob, type Caller } from './harness.ts';

const run = promisify(execFile);
const ROOT = new URL('../../', import.meta.url).pathname;
const scratch = mkdtempSync(join(tmpdir(), 'pinrelay-ops-'));
const stateFile = join(scratch, 'local.json');

let pipeline: Pipeline;
let api: Caller;
let tenantId: string;
let stopConsumers: (() => Promise<void>) | undefined;
/** What the CLI printed, for the closing note (`[admin-ops]` lines in the test output). */
const transcript: string[] = [];

async function admin(...args: string[]): Promise<{ stdout: string; stderr: string; code: number }> {
  try {
    const out = await run(process.execPath, ['--import', 'tsx', 'bin/admin.ts', ...args, '--local'], {
      cwd: ROOT,
      env: { ...process.env, PINRELAY_STATE_FILE: stateFile },
    });
    transcript.push(`$ npm run admin -- ${args.join(' ')} --local\n${out.stderr}${out.stdout}`);
    return { ...out, code: 0 };
  } catch (error) {
    const e = error as { stdout: string; stderr: string; code: number };
    transcript.push(`$ npm run admin -- ${args.join(' ')} --local   (exit ${e.code})\n${e.stderr}${e.stdout}`);
    return { stdout: e.stdout, stderr: e.stderr, code: e.code };
  }
}
const adminJson = async <T>(...args: string[]): Promise<T> => {
  const out = await admin(...args, '--json');
  expect(out.code, out.stderr).toBe(0);
  return JSON.parse(out.stdout) as T;
};

const depths = async () => Object.fromEntries((await adminJson<QueuesReport>('queues')).queues.map((q) => [q.queue, q.depth]));

async function post(key: string, board: string): Promise<string> {
  const created = await api<Job>('POST', '/v1/pins', {
    body: {
      account_id: 'main',
      board_id: board,
      title: `pin ${key}`,
      media_source: { source_type: 'image_url', url: `https://cdn.example.com/${key}.jpg` },
    },
    headers: { 'Idempotency-Key': key },
  });
  expect(created.status, JSON.stringify(created.body)).toBe(202);
  return created.body.id;
}

/** The job's message on the publish queue, received (hidden for 5 min) once the relay has sent it. */
async function receiveMessageOf(jobId: string): Promise<Message> {
  const sqs = sqsOf(pipeline);
  return waitFor(
    async () => {
      const out = await sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: pipeline.queueUrls.publish,
          MaxNumberOfMessages: 10,
          VisibilityTimeout: 300,
          WaitTimeSeconds: 1,
          MessageSystemAttributeNames: ['All'],
        }),
      );
      return out.Messages?.find((m) => JSON.parse(m.Body!).job_id === jobId);
    },
    { what: `the publish message of ${jobId}`, timeoutMs: 20_000 },
  );
}

/**
 * Stops the queue consumers. A consumer's last long poll (1 s) may still be open at the emulator after its
 * client gave up on it, and would take (and hide) a message sent meanwhile: wait it out.
 */
async function stopQueueConsumers(): Promise<void> {
  await stopConsumers?.();
  stopConsumers = undefined;
  // Nothing shows a poll the emulator still holds: wait out its 1 s, twice over; the tests then wait on what they receive.
  await new Promise((r) => setTimeout(r, 2000));
}

beforeAll(async () => {
  pipeline = await testPipeline({ worker: false, pacing: { accountPerMinute: 600, appPerSecond: 100 } });
  writeFileSync(stateFile, JSON.stringify(localStateOf(pipeline, process.env.EVENT_BUS_NAME!)));
  const tenant = await pipeline.createTenant('ops');
  tenantId = tenant.tenantId;
  api = callerFor(pipeline, tenant.apiKey);
  const tokens = pipeline.sandbox!.addUser({ username: 'ops-user', boards: ['880001'] });
  expect(
    (
      await api('PUT', '/v1/accounts/main', {
        body: { access_token: tokens.accessToken, refresh_token: tokens.refreshToken, rate_limit_per_minute: 60 },
      })
    ).status,
  ).toBe(200);
});

afterAll(async () => {
  await stopConsumers?.();
  await pipeline?.stop();
  rmSync(scratch, { recursive: true, force: true });
  console.log(`[admin-ops] CLI transcript:\n${transcript.join('\n')}`);
});

describe('admin operations commands against a local pipeline', () => {
  it('a job failed with board 404 is listed with its remediation; a bulk requeue with the corrected board re-runs it to success', async () => {
    stopConsumers = await startQueueConsumers(pipeline);
    const bad = await post('ops-bad-board', '55555');
    const good = await post('ops-good', '880001');
    const failedJob = await waitForJob(api, bad);
    expect(failedJob.failure).toMatchObject({ route: 'ops', reason: 'board_not_found', http_status: 404, error_code: 40 });
    expect((await waitForJob(api, good)).status).toBe('succeeded');

    // Every tenant (listed from the tenants table): only this one has a failed job.
    const all = await adminJson<FailedJobsReport>('jobs', 'failed');
    expect(all.tenants).toContain(tenantId);
    expect(all.jobs).toEqual([
      expect.objectContaining({
        tenant_id: tenantId,
        job_id: bad,
        route: 'ops',
        reason: 'board_not_found',
        board_id: '55555',
        remediation: failedJob.failure!.remediation,
      }),
    ]);
    const text = await admin('jobs', 'failed', '--tenant', tenantId, '--route', 'ops');
    expect(text.stdout).toContain(
      `route ops (1)\n  board_not_found (1)\n    ${bad}  tenant ${tenantId} · account main · board 55555 · HTTP 404 code 40`,
    );
    expect(text.stdout).toContain(`      → ${failedJob.failure!.remediation}`);
    expect((await adminJson<FailedJobsReport>('jobs', 'failed', '--route', 'client')).jobs).toEqual([]);

    // A dry run first: nothing changes.
    const dry = await admin('jobs', 'requeue', '--tenant', tenantId, '--reason', 'board_not_found', '--set', 'board_id=880001');
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain(
      `Dry run: would requeue 1 of 1 failed job in tenant ${tenantId} (reason board_not_found), with board_id=880001; nothing written (add --apply):`,
    );
    expect((await api<Job>('GET', `/v1/jobs/${bad}`)).body.status).toBe('failed');

    const applied = await admin(
      'jobs',
      'requeue',
      '--tenant',
      tenantId,
      '--reason',
      'board_not_found',
      '--set',
      'board_id=880001',
      '--apply',
    );
    expect(applied.code, applied.stderr).toBe(0);
    expect(applied.stderr).toContain('[####################] 1/1 done · 1 requeued');
    expect(applied.stdout).toContain(
      `Requeued 1 of 1 failed job in tenant ${tenantId} (reason board_not_found), with board_id=880001:\n  ${bad}  account main · ops/board_not_found · requeued`,
    );

    const rerun = await waitForJob(api, bad);
    expect(rerun).toMatchObject({ status: 'succeeded', idempotency_key: 'ops-bad-board', pin: { board_id: '880001' }, failure: null });
    expect(rerun.attempts.map((a) => a.outcome)).toEqual(['needs_human', 'succeeded']);
    expect(pipeline.sandbox!.pins({ boardId: '880001' }).filter((p) => p.title === 'pin ops-bad-board')).toHaveLength(1);
    expect((await admin('jobs', 'failed', '--tenant', tenantId)).stdout.trim()).toBe(`No failed jobs in tenant ${tenantId}.`);
  }, 90_000);

  it('a job message moved to the publish DLQ by hand is redriven and its job completes', async () => {
    await stopQueueConsumers();
    const jobId = await post('ops-dead-lettered', '880001');
    const message = await receiveMessageOf(jobId);
    const sqs = sqsOf(pipeline);
    // What SQS does after maxReceiveCount: the same body and group in the FIFO DLQ, the message id as deduplication id.
    const dead = await sqs.send(
      new SendMessageCommand({
        QueueUrl: pipeline.queueUrls.publishDlq,
        MessageBody: message.Body!,
        MessageGroupId: message.Attributes!.MessageGroupId!,
        MessageDeduplicationId: message.MessageId!,
      }),
    );
    await sqs.send(new DeleteMessageCommand({ QueueUrl: pipeline.queueUrls.publish, ReceiptHandle: message.ReceiptHandle! }));

    const before = await depths();
    expect(before.publish_dlq).toEqual({ visible: 1, in_flight: 0, delayed: 0 });
    expect(before.publish).toEqual({ visible: 0, in_flight: 0, delayed: 0 });
    const table = await admin('queues');
    expect(table.stdout).toMatch(/^publish DLQ \(FIFO\) +1 +0 +0 {2}record-dead-letters$/m);
    expect(table.stdout).toContain('publish DLQ: 1 waiting; redrive: npm run admin -- dlq redrive --queue publish');

    // The job waits as queued with no live message: the reconciler would see it once its grace is over.
    const stuck = await adminJson<StuckReport>('jobs', 'stuck', '--grace', '0');
    expect(stuck.jobs).toEqual([expect.objectContaining({ job_id: jobId, tenant_id: tenantId, status: 'queued', planned: 'redispatch' })]);
    expect((await admin('jobs', 'stuck', '--grace', '0')).stdout).toContain(
      `  ${jobId}  tenant ${tenantId} · account main · queued · due `,
    );

    const dry = await admin('dlq', 'redrive', '--queue', 'publish');
    expect(dry.stdout.trim()).toBe(
      'Dry run: would move 1 message from the publish DLQ back to the publish queue (now 0 visible · 0 in flight); nothing moved (add --apply).',
    );
    expect((await depths()).publish_dlq).toEqual({ visible: 1, in_flight: 0, delayed: 0 });

    const redriven = await admin('dlq', 'redrive', '--queue', 'publish', '--apply');
    expect(redriven.code, redriven.stderr).toBe(0);
    expect(redriven.stdout.trim()).toBe(
      'Moved 1 message from the publish DLQ back to the publish queue by receive, send, delete (this SQS has no message move tasks).\n' +
        'Now: publish DLQ 0 visible · 0 in flight; publish 1 visible · 0 in flight.',
    );
    expect(redriven.stderr).toContain('[####################] 1/1 moved');
    // Back in its FIFO group, with the dead-lettered message's id as deduplication id (what SQS gives it).
    const back = await receiveMessageOf(jobId);
    expect(back).toMatchObject({
      Body: message.Body,
      Attributes: { MessageGroupId: message.Attributes!.MessageGroupId, MessageDeduplicationId: dead.MessageId },
    });
    await sqs.send(
      new ChangeMessageVisibilityCommand({
        QueueUrl: pipeline.queueUrls.publish,
        ReceiptHandle: back.ReceiptHandle!,
        VisibilityTimeout: 0,
      }),
    );
    expect((await adminJson<RedriveReport>('dlq', 'redrive', '--queue', 'publish')).before.dead_letter).toEqual({
      visible: 0,
      in_flight: 0,
      delayed: 0,
    });

    stopConsumers = await startQueueConsumers(pipeline);
    const done = await waitForJob(api, jobId);
    expect(done).toMatchObject({ status: 'succeeded', incidents: [] });
    expect(done.attempts).toHaveLength(1);
    expect(pipeline.sandbox!.pins().filter((p) => p.title === 'pin ops-dead-lettered')).toHaveLength(1);
    await waitFor(depths, {
      until: (all) => Object.values(all).every((d) => d!.visible + d!.in_flight === 0),
      what: 'every queue empty',
      timeoutMs: 20_000,
    });
  }, 90_000);

  it('a job whose message was lost is nudged through the reconciler use case and completes', async () => {
    await stopQueueConsumers();
    const jobId = await post('ops-lost', '880001');
    const message = await receiveMessageOf(jobId);
    await sqsOf(pipeline).send(new DeleteMessageCommand({ QueueUrl: pipeline.queueUrls.publish, ReceiptHandle: message.ReceiptHandle! }));

    const dry = await admin('jobs', 'nudge', '--grace', '0');
    expect(dry.stdout).toMatch(
      new RegExp(
        `^Dry run: the reconciliation would take 1 job \\(add --apply\\):\\n  ${jobId}  tenant ${tenantId} · account main · queued · due `,
      ),
    );
    const nudged = await admin('jobs', 'nudge', '--grace', '0', '--apply');
    expect(nudged.code, nudged.stderr).toBe(0);
    expect(nudged.stdout).toContain('Reconciled now: examined 1, re-dispatched 1, leases recovered 0, failed as stranded 0, skipped 0');

    stopConsumers = await startQueueConsumers(pipeline);
    const done = await waitForJob(api, jobId);
    expect(done.status).toBe('succeeded');
    expect(done.incidents.map((i) => i.kind)).toEqual(['redispatched']);
    expect((await adminJson<StuckReport>('jobs', 'stuck', '--grace', '0')).jobs).toEqual([]);
  }, 90_000);

  it('rate: the account rate meter, as GET /v1/accounts/{id}/rate answers it', async () => {
    const fromCli = await adminJson<Record<string, unknown>>('rate', '--tenant', tenantId, '--account', 'main');
    const fromApi = (await api('GET', '/v1/accounts/main/rate')).body as Record<string, unknown>;
    expect(Object.keys(fromCli).sort()).toEqual(Object.keys(fromApi).sort());
    expect(fromCli).toMatchObject({ limit: 60, window_seconds: 60 });
    expect(fromCli.limit).toBe(fromApi.limit);
    const text = await admin('rate', '--tenant', tenantId, '--account', 'main');
    expect(text.stdout).toMatch(/^Account main of tenant \S+: \d+\/min allowed now \(configured 60\/min\)/);
    const unknown = await admin('rate', '--tenant', tenantId, '--account', 'nope');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('account nope not found');
  }, 60_000);
});
