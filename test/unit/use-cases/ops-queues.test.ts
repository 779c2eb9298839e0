import { beforeEach, describe, expect, it } from 'vitest';
import { fixedClock } from '../../../lambdas/domain/clock.ts';
import { queueDepths, redriveDeadLetters, type RedriveDeps } from '../../../lambdas/use-cases/ops-queues.ts';
import { OPS_QUEUES } from '../../../lambdas/use-cases/ports.ts';
import { T0 } from '../builders.ts';
import { FakeQueueAdmin } from '../ops-fakes.ts';

const message = (id: string, groupId?: string) => ({
  id,
  body: JSON.stringify({ job_id: `job_${id}`, tenant_id: 'ten_a', version: 1 }),
  ...(groupId ? { groupId, deduplicationId: `job_${id}-v1` } : {}),
});

let queues: FakeQueueAdmin;
let deps: RedriveDeps & { clock: ReturnType<typeof fixedClock> };
const sleeps: number[] = [];

beforeEach(() => {
  queues = new FakeQueueAdmin(OPS_QUEUES);
  const clock = fixedClock(T0);
  sleeps.length = 0;
  deps = {
    queues,
    clock,
    sleep: async (ms) => {
      sleeps.push(ms);
      clock.advance(ms);
    },
  };
});

describe('queueDepths', () => {
  it('every configured queue with visible, in flight and delayed counts and its consumer; an unreadable one is reported, not fatal', async () => {
    queues.put('publish_dlq', message('m1', 'ten_a#main'));
    queues.inFlight.set('publish', 3);
    queues.failDepth('poison');

    const report = await queueDepths(deps);

    expect(report.queues.map((q) => q.queue)).toEqual(OPS_QUEUES);
    expect(report.queues.find((q) => q.queue === 'publish')).toEqual({
      queue: 'publish',
      label: 'publish',
      fifo: true,
      consumer: 'publish-pin',
      depth: { visible: 0, in_flight: 3, delayed: 0 },
    });
    expect(report.queues.find((q) => q.queue === 'publish_dlq')?.depth).toEqual({ visible: 1, in_flight: 0, delayed: 0 });
    expect(report.queues.find((q) => q.queue === 'poison')).toMatchObject({ depth: null, error: 'AccessDenied: Access denied' });
    expect(report.not_configured).toEqual([]);
  });

  it('only the queues the configuration names', async () => {
    const some = new FakeQueueAdmin(['publish', 'publish_dlq']);
    const report = await queueDepths({ ...deps, queues: some });
    expect(report.queues.map((q) => q.queue)).toEqual(['publish', 'publish_dlq']);
    expect(report.not_configured).toEqual(['delay', 'delay_dlq', 'outbox_dlq', 'poison', 'webhook_dlq']);
  });
});

describe('redriveDeadLetters', () => {
  it('a dry run moves nothing and reports the depths', async () => {
    queues.put('publish_dlq', message('m1', 'ten_a#main'), message('m2', 'ten_a#main'));
    const report = await redriveDeadLetters(deps, { queue: 'publish', apply: false });
    expect(report).toMatchObject({
      dry_run: true,
      from: 'publish_dlq',
      to: 'publish',
      method: null,
      moved: 0,
      before: { dead_letter: { visible: 2 }, source: { visible: 0 } },
      after: null,
      task: null,
    });
    expect(queues.messages.get('publish_dlq')).toHaveLength(2);
    expect(queues.calls).not.toContain('startMoveTask publish_dlq publish');
  });

  it('with message move tasks: starts one from the DLQ to its source queue and follows it until it completes', async () => {
    queues.moveTasks = true;
    queues.taskPolls = 3;
    queues.put('delay_dlq', message('m1'), message('m2'), message('m3'));
    const progress: string[] = [];

    const report = await redriveDeadLetters(deps, {
      queue: 'delay',
      apply: true,
      pollMs: 500,
      onProgress: (p) => progress.push(`${p.moved}/${p.total}`),
    });

    expect(report).toMatchObject({
      dry_run: false,
      method: 'message_move_task',
      moved: 3,
      failed: 0,
      still_running: false,
      task: { handle: 'task-1', status: 'COMPLETED', moved: 3, toMove: 3 },
      before: { dead_letter: { visible: 3 }, source: { visible: 0 } },
      after: { dead_letter: { visible: 0 }, source: { visible: 3 } },
    });
    expect(queues.calls).toContain('startMoveTask delay_dlq delay');
    expect(sleeps).toEqual([500, 500]);
    expect(progress).toEqual(['0/3', '0/3', '0/3', '3/3']);
  });

  it('a task already running is followed, not started twice', async () => {
    queues.moveTasks = true;
    queues.taskPolls = 99;
    queues.put('publish_dlq', message('m1', 'g'));
    await queues.startMoveTask('publish_dlq', 'publish');

    const report = await redriveDeadLetters(deps, { queue: 'publish', apply: true, pollMs: 1000, timeoutMs: 3000 });

    expect(report).toMatchObject({ method: 'message_move_task', still_running: true, task: { status: 'RUNNING' } });
    expect(queues.calls.filter((c) => c.startsWith('startMoveTask'))).toHaveLength(2); // the test's, and the redrive's (answered already_running)
    expect(sleeps).toEqual([1000, 1000, 1000]);
  });

  it('without message move tasks (fauxqs): moves by hand, FIFO group kept, deduplication id the dead-lettered message id', async () => {
    queues.put('publish_dlq', message('m1', 'ten_a#main'), message('m2', 'ten_a#other'));

    const report = await redriveDeadLetters(deps, { queue: 'publish', apply: true });

    expect(report).toMatchObject({
      method: 'receive_send_delete',
      moved: 2,
      failed: 0,
      not_deleted: 0,
      task: null,
      after: { dead_letter: { visible: 0 }, source: { visible: 2 } },
    });
    expect(queues.messages.get('publish')).toEqual([
      { ...message('m1', 'ten_a#main'), deduplicationId: 'm1' },
      { ...message('m2', 'ten_a#other'), deduplicationId: 'm2' },
    ]);
  });

  it('messages that could not be sent stay in the DLQ and are counted as failed', async () => {
    queues.put('delay_dlq', message('m1'), message('m2'));
    queues.refuse.add('m2');
    const report = await redriveDeadLetters(deps, { queue: 'delay', apply: true });
    expect(report).toMatchObject({ moved: 1, failed: 1, after: { dead_letter: { visible: 1 }, source: { visible: 1 } } });
  });
});
