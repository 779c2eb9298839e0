import type { Clock } from '../domain/clock.ts';
import { OPS_QUEUES, type MoveTask, type OpsQueue, type QueueAdmin, type QueueDepth } from './ports.ts';

/**
 * Operators' queue commands (`npm run admin -- queues`, `dlq redrive`): every queue's depth, and the
 * publish and delay dead-letter queues sent back to their source queue.
 *
 * A redrive is SQS's own message move task where SQS has one (StartMessageMoveTask, then
 * ListMessageMoveTasks until it ends), and otherwise (local mode's fauxqs answers InvalidAction) the same
 * move by receive, send, delete with the FIFO message group kept. What comes back is what was
 * dead-lettered: job messages carry the job version they were sent for, so one for a job that moved on
 * meanwhile is dropped by the worker, and one for a job still waiting moves it.
 */

export interface QueueInfo {
  readonly label: string;
  readonly fifo: boolean;
  /** What consumes it; null: nothing (a human). */
  readonly consumer: string | null;
  readonly deadLetterOf?: OpsQueue;
}

export const QUEUE_INFO: Readonly<Record<OpsQueue, QueueInfo>> = {
  publish: { label: 'publish', fifo: true, consumer: 'publish-pin' },
  publish_dlq: { label: 'publish DLQ', fifo: true, consumer: 'record-dead-letters', deadLetterOf: 'publish' },
  delay: { label: 'delay', fifo: false, consumer: 'release-due-jobs' },
  delay_dlq: { label: 'delay DLQ', fifo: false, consumer: 'record-dead-letters', deadLetterOf: 'delay' },
  outbox_dlq: { label: 'outbox DLQ', fifo: false, consumer: null },
  poison: { label: 'poison', fifo: false, consumer: null },
  webhook_dlq: { label: 'webhook DLQ', fifo: false, consumer: null },
};

export interface QueueRow {
  readonly queue: OpsQueue;
  readonly label: string;
  readonly fifo: boolean;
  readonly consumer: string | null;
  /** Null when the depth could not be read (`error` says why). */
  readonly depth: QueueDepth | null;
  readonly error?: string;
}

export interface QueuesReport {
  readonly generated_at: string;
  readonly queues: readonly QueueRow[];
  /** Queues the configuration does not name (not shown). */
  readonly not_configured: readonly OpsQueue[];
}

/** The depth of every configured queue (an unreadable one is reported, not fatal). */
export async function queueDepths(deps: { readonly queues: QueueAdmin; readonly clock: Clock }): Promise<QueuesReport> {
  const configured = new Set(deps.queues.configured());
  const shown = OPS_QUEUES.filter((q) => configured.has(q));
  const rows = await Promise.all(
    shown.map(async (queue): Promise<QueueRow> => {
      const info = QUEUE_INFO[queue];
      const base = { queue, label: info.label, fifo: info.fifo, consumer: info.consumer };
      try {
        return { ...base, depth: await deps.queues.depth(queue) };
      } catch (error) {
        return { ...base, depth: null, error: error instanceof Error ? `${error.name}: ${error.message}` : String(error) };
      }
    }),
  );
  return { generated_at: deps.clock.now().toISOString(), queues: rows, not_configured: OPS_QUEUES.filter((q) => !configured.has(q)) };
}

// ---- dead-letter redrive ----

export const REDRIVES = {
  publish: { from: 'publish_dlq', to: 'publish' },
  delay: { from: 'delay_dlq', to: 'delay' },
} as const satisfies Record<string, { from: OpsQueue; to: OpsQueue }>;
export type RedriveQueue = keyof typeof REDRIVES;

export interface RedriveOptions {
  readonly queue: RedriveQueue;
  /** Without it, nothing moves: the report gives the depths and the latest move task. */
  readonly apply: boolean;
  /** How often a move task's progress is read. @default 2000 */
  readonly pollMs?: number;
  /** How long to follow a move task before leaving it running. @default 600000 */
  readonly timeoutMs?: number;
  /** After each batch or poll (and once before the first): messages moved of about `total`. */
  readonly onProgress?: (progress: { readonly moved: number; readonly total: number }) => void;
}

export type RedriveMethod = 'message_move_task' | 'receive_send_delete';

export interface RedriveReport {
  readonly queue: RedriveQueue;
  readonly from: OpsQueue;
  readonly to: OpsQueue;
  readonly dry_run: boolean;
  /** How the messages went (null in a dry run). */
  readonly method: RedriveMethod | null;
  readonly before: { readonly dead_letter: QueueDepth; readonly source: QueueDepth };
  /** Depths once the move ended (null in a dry run). */
  readonly after: { readonly dead_letter: QueueDepth; readonly source: QueueDepth } | null;
  /** Messages sent back to the source queue. */
  readonly moved: number;
  /** Messages that could not be sent back (still in the dead-letter queue). */
  readonly failed: number;
  /** Sent back but not deleted from the dead-letter queue (a second copy: harmless for job messages). */
  readonly not_deleted: number;
  /** The move task (SQS): its last reported state; null by hand or when SQS has none. */
  readonly task: MoveTask | null;
  /** The move task was still running when the command stopped following it. */
  readonly still_running: boolean;
}

export interface RedriveDeps {
  readonly queues: QueueAdmin;
  readonly clock: Clock;
  readonly sleep: (ms: number) => Promise<void>;
}

export async function redriveDeadLetters(deps: RedriveDeps, options: RedriveOptions): Promise<RedriveReport> {
  const { from, to } = REDRIVES[options.queue];
  const depths = async () => {
    const [deadLetter, source] = await Promise.all([deps.queues.depth(from), deps.queues.depth(to)]);
    return { dead_letter: deadLetter, source };
  };
  const before = await depths();
  const base = { queue: options.queue, from, to, before };
  const total = before.dead_letter.visible;
  if (!options.apply) {
    return {
      ...base,
      dry_run: true,
      method: null,
      after: null,
      moved: 0,
      failed: 0,
      not_deleted: 0,
      task: await deps.queues.latestMoveTask(from),
      still_running: false,
    };
  }
  options.onProgress?.({ moved: 0, total });

  const start = await deps.queues.startMoveTask(from, to);
  if (start.kind === 'unsupported') {
    const result = await deps.queues.moveByHand(from, to, (moved) => options.onProgress?.({ moved, total: Math.max(total, moved) }));
    return {
      ...base,
      dry_run: false,
      method: 'receive_send_delete',
      after: await depths(),
      moved: result.moved,
      failed: result.failed,
      not_deleted: result.notDeleted,
      task: null,
      still_running: false,
    };
  }

  // SQS moves the messages itself; follow the task until it ends (or for timeoutMs).
  const pollMs = options.pollMs ?? 2000;
  const deadline = deps.clock.now().getTime() + (options.timeoutMs ?? 600_000);
  const handle = start.kind === 'started' ? start.handle : start.task.handle;
  let task: MoveTask | null = start.kind === 'already_running' ? start.task : null;
  for (;;) {
    const latest = await deps.queues.latestMoveTask(from);
    if (latest && (handle === null || handle === '' || latest.handle === handle)) task = latest;
    if (task) options.onProgress?.({ moved: task.moved, total: task.toMove ?? Math.max(total, task.moved) });
    if (task && task.status !== 'RUNNING') break;
    if (deps.clock.now().getTime() >= deadline) break;
    await deps.sleep(pollMs);
  }
  const last = task;
  const moved = last?.moved ?? 0;
  const finished = last !== null && last.status !== 'RUNNING';
  return {
    ...base,
    dry_run: false,
    method: 'message_move_task',
    after: await depths(),
    moved,
    failed: finished && last.status !== 'COMPLETED' && last.toMove !== null ? Math.max(0, last.toMove - moved) : 0,
    not_deleted: 0,
    task,
    still_running: !finished,
  };
}
