import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PUBLISH_QUEUE } from '../../../definitions/queues.ts';
import { dynamoClient } from '../../../lambdas/common/clients.ts';
import { jobIdFor } from '../../../lambdas/domain/ids.ts';
import type { Pipeline } from '../../../local/pipeline.ts';
import { AWS_ERRORS } from '../../../local/sdk-faults.ts';
import { faultRig, jobWrite, useFaults } from '../fault-injection.ts';
import { testPipeline, waitForPipelineIdle } from '../harness.ts';

/**
 * A worker killed mid-attempt, at each step of an attempt (lambdas/use-cases/publish.ts): after its claim
 * landed, after its create reached Pinterest (the result write never leaves), while the result write is
 * being sent, and after the result write landed but before its answer came back. A killed worker is a
 * DynamoDB call of its that never returns (the invocation is abandoned: nothing it would do next
 * happens) or that is cut off, injected on the functions' own DynamoDB client. Its message comes back
 * after the visibility timeout (3 s here, 180 s in AWS) and the lease (2 s here, 60 s in AWS) tells the
 * next worker what happened.
 *
 * The invariant each time: the job still ends succeeded with exactly one pin (verified on the board
 * when the create had left), the attempt the dead worker left is explained on the record, and when the
 * killed worker "wakes up" nothing it does changes the job or Pinterest.
 */
let pipeline: Pipeline;
let rig: ReturnType<typeof faultRig>;
const faults = useFaults();

beforeAll(async () => {
  pipeline = await testPipeline({
    retry: { baseSeconds: 0.5, maxAttempts: 5 },
    pacing: { accountPerMinute: 600, appPerSecond: 100 },
    pinterestTimeoutMs: 1_500,
    queueVisibilityOverrides: { [PUBLISH_QUEUE.logicalName]: 3 },
    workerLeaseSeconds: 2,
  });
  rig = faultRig(pipeline, { limit: 600 });
});

afterAll(async () => {
  await pipeline?.stop();
});

/** Submits one job on a fresh account and returns it with the id the intake will give it. */
async function oneJob(name: string) {
  const account = await rig.account(name);
  const key = `${name}-1`;
  return { account, key, jobId: jobIdFor(pipeline.tenantId, key) };
}

/** The job as it is once the pipeline has nothing left to do: what a woken zombie must not change. */
async function afterZombieWakes(jobId: string, release: () => void) {
  const before = (await rig.jobs([jobId]))[0]!;
  release();
  await waitForPipelineIdle(pipeline);
  const after = (await rig.jobs([jobId]))[0]!;
  expect(after).toEqual(before);
}

describe('a worker killed mid-attempt', () => {
  it('after its claim landed: the redelivery recovers the lease as unknown, finds no pin, creates one (invariant: one pin, attempt explained)', async () => {
    const { account, key, jobId } = await oneJob('kill-after-claim');
    const kill = faults.inject(dynamoClient(), {
      commands: ['UpdateItemCommand'],
      where: jobWrite(jobId, 'running'),
      effect: { kind: 'hang_after' },
      times: 1,
    });
    const [id] = await rig.submit(account, [key]);

    const [job] = await rig.settle([id!]);
    expect(kill.hits()).toBe(1);
    expect(job!.status).toBe('succeeded');
    expect(job!.result?.verified).toBe(false); // nothing had been created: the board was checked, then one create
    expect(job!.attempts.map((a) => a.outcome)).toEqual(['unknown', 'succeeded']);
    expect(job!.attempts[0]!.error_message).toContain('lease expired');
    expect(rig.creates(account.user)).toHaveLength(1);
    await rig.expectPromise([id!], [account]);
    await afterZombieWakes(id!, kill.release);
    expect(rig.sandbox.pins({ user: account.user })).toHaveLength(1);
  });

  it('after its create reached Pinterest (the result write never left): the redelivery verifies on the board, no second create (invariant: one pin)', async () => {
    const { account, key, jobId } = await oneJob('kill-after-create');
    const kill = faults.inject(dynamoClient(), {
      commands: ['UpdateItemCommand'],
      where: jobWrite(jobId, 'succeeded'),
      effect: { kind: 'hang' },
      times: 1,
    });
    const [id] = await rig.submit(account, [key]);

    const [job] = await rig.settle([id!]);
    expect(kill.hits()).toBe(1);
    expect(job!.status).toBe('succeeded');
    expect(job!.result).toMatchObject({ pin_id: rig.sandbox.pins({ user: account.user })[0]!.id, verified: true });
    expect(job!.attempts.map((a) => a.outcome)).toEqual(['unknown', 'succeeded']);
    expect(rig.creates(account.user)).toHaveLength(1);
    await rig.expectPromise([id!], [account]);
    await afterZombieWakes(id!, kill.release);
  });

  it('while its result write was being sent (the call cut off, the invocation failed): redelivered, verified, one pin', async () => {
    const { account, key, jobId } = await oneJob('kill-in-result-write');
    const cut = faults.inject(dynamoClient(), {
      commands: ['UpdateItemCommand'],
      where: jobWrite(jobId, 'succeeded'),
      effect: { kind: 'fail', error: AWS_ERRORS.aborted },
      step: 'initialize',
      times: 1,
    });
    const [id] = await rig.submit(account, [key]);

    const [job] = await rig.settle([id!]);
    expect(cut.hits()).toBe(1);
    expect(job!.status).toBe('succeeded');
    expect(job!.result?.verified).toBe(true);
    expect(rig.creates(account.user)).toHaveLength(1);
    await rig.expectPromise([id!], [account]);
  });

  it('after its result write landed, before the answer came back: the redelivery finds the job finished and changes nothing', async () => {
    const { account, key, jobId } = await oneJob('kill-after-result');
    const cut = faults.inject(dynamoClient(), {
      commands: ['UpdateItemCommand'],
      where: jobWrite(jobId, 'succeeded'),
      effect: { kind: 'fail_after', error: AWS_ERRORS.aborted },
      step: 'initialize',
      times: 1,
    });
    const [id] = await rig.submit(account, [key]);

    const [job] = await rig.settle([id!]);
    await waitForPipelineIdle(pipeline); // the message came back after its visibility timeout and was dropped
    expect(cut.hits()).toBe(1);
    expect(job!.status).toBe('succeeded');
    expect(job!.attempts.map((a) => a.outcome)).toEqual(['succeeded']);
    expect((await rig.jobs([id!]))[0]).toEqual(job);
    expect(rig.creates(account.user)).toHaveLength(1);
    await rig.expectPromise([id!], [account]);
  });
});
