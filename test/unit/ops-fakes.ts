import type { AccountRate } from '../../lambdas/domain/account.ts';
import type {
  AccountSummary,
  JobCount,
  JobCountQuery,
  JobStatistics,
  MoveTask,
  MoveTaskStart,
  OpsQueue,
  OverdueJob,
  OverdueJobs,
  QueueAdmin,
  QueueDepth,
  RateView,
  TenantDirectory,
} from '../../lambdas/use-cases/ports.ts';
import { InMemoryJobStore, type InMemoryTenantStore } from './fakes.ts';

/**
 * In-memory fakes of the operators' ports (lambdas/use-cases/ports/: jobs, tenants, queues, pacing), over
 * the same rows as the job and tenant store fakes, so a use case's writes show up in its counts.
 */

/** The job store fake, plus counting and the overdue listing, as the DynamoDB adapter answers them. */
export class OpsJobStore extends InMemoryJobStore implements JobStatistics, OverdueJobs {
  /** Items per simulated index page: a count that needs more than `maxPages` pages is incomplete. */
  pageSize = 1000;
  readonly counts: JobCountQuery[] = [];

  async count(tenantId: string, query: JobCountQuery, options: { readonly maxPages?: number } = {}): Promise<JobCount> {
    this.counts.push(query);
    const matching = [...this.rows.values()]
      .map((row) => row.record)
      .filter((r) => r.tenantId === tenantId && r.job.status === query.status)
      .filter((r) => !query.accountId || r.job.account_id === query.accountId)
      .filter((r) => !query.createdSince || r.job.created_at >= query.createdSince.toISOString())
      .filter((r) => !query.changedSince || r.job.updated_at >= query.changedSince.toISOString());
    const budget = (options.maxPages ?? Number.POSITIVE_INFINITY) * this.pageSize;
    return matching.length > budget ? { count: budget, complete: false } : { count: matching.length, complete: true };
  }

  async listOverdue(before: Date, limit: number): Promise<readonly OverdueJob[]> {
    const cutoff = before.toISOString();
    return [...this.rows.values()]
      .filter((row) => row.dueAt !== null && row.dueAt < cutoff)
      .sort((a, b) => (a.dueAt! < b.dueAt! ? -1 : 1))
      .slice(0, limit)
      .map((row) => ({ record: structuredClone(row.record), dueAt: row.dueAt! }));
  }
}

/** Tenants and accounts as the tenant store fake holds them. */
export class InMemoryTenantDirectory implements TenantDirectory {
  constructor(private readonly store: InMemoryTenantStore) {}

  async listTenantIds(): Promise<string[]> {
    return [...this.store.tenants.keys()].sort();
  }

  async listAccounts(tenantId: string, limit: number): Promise<{ accounts: AccountSummary[]; more: boolean }> {
    const all = [...this.store.accounts.values()]
      .filter((a) => a.tenantId === tenantId)
      .sort((a, b) => a.account_id.localeCompare(b.account_id))
      .map((a) => ({ accountId: a.account_id, connectionStatus: a.connection_status, rateLimitPerMinute: a.rate_limit_per_minute }));
    return { accounts: all.slice(0, limit), more: all.length > limit };
  }
}

/** A rate view answering a quiet bucket at the account's limit, recording what it was asked. */
export class FakeRateView implements RateView {
  readonly views: { tenantId: string; accountId: string; limitPerMinute: number }[] = [];

  async view(tenantId: string, accountId: string, limitPerMinute: number): Promise<AccountRate> {
    this.views.push({ tenantId, accountId, limitPerMinute });
    return {
      limit: limitPerMinute,
      effective_limit: limitPerMinute,
      window_seconds: 60,
      capacity: 1,
      refill_per_second: limitPerMinute / 60,
      tokens: 1,
      next_slot_at: '2026-03-01T12:00:00.000Z',
      penalized: false,
      held_until: null,
      sent_last_minute: 0,
      unproven_last_minute: 0,
      adaptive: null,
      read: { limit: 100, capacity: 1, refill_per_second: 100 / 60, tokens: 1, held_until: null },
    };
  }
}

export interface FakeMessage {
  readonly id: string;
  readonly body: string;
  readonly groupId?: string;
  readonly deduplicationId?: string;
}

/**
 * Queues as arrays of messages. `moveTasks`: whether this SQS has message move tasks; with them a started
 * task moves everything after `taskPolls` reads of its state (a task that takes a while).
 */
export class FakeQueueAdmin implements QueueAdmin {
  readonly messages = new Map<OpsQueue, FakeMessage[]>();
  readonly inFlight = new Map<OpsQueue, number>();
  readonly calls: string[] = [];
  moveTasks = false;
  taskPolls = 2;
  /** Messages that fail to send when moved by hand (by id). */
  readonly refuse = new Set<string>();
  private task: (MoveTask & { from: OpsQueue; to: OpsQueue; polls: number }) | null = null;
  private readonly failing = new Set<OpsQueue>();

  constructor(private readonly queues: readonly OpsQueue[]) {
    for (const q of queues) this.messages.set(q, []);
  }

  put(queue: OpsQueue, ...messages: FakeMessage[]): void {
    this.messages.get(queue)!.push(...messages);
  }

  failDepth(queue: OpsQueue): void {
    this.failing.add(queue);
  }

  configured(): readonly OpsQueue[] {
    return this.queues;
  }

  async depth(queue: OpsQueue): Promise<QueueDepth> {
    this.calls.push(`depth ${queue}`);
    if (this.failing.has(queue)) throw Object.assign(new Error('Access denied'), { name: 'AccessDenied' });
    return { visible: this.messages.get(queue)!.length, in_flight: this.inFlight.get(queue) ?? 0, delayed: 0 };
  }

  async startMoveTask(from: OpsQueue, to: OpsQueue): Promise<MoveTaskStart> {
    this.calls.push(`startMoveTask ${from} ${to}`);
    if (!this.moveTasks) return { kind: 'unsupported', reason: 'Unknown action: StartMessageMoveTask' };
    if (this.task?.status === 'RUNNING') return { kind: 'already_running', task: { ...this.task } };
    this.task = {
      handle: 'task-1',
      status: 'RUNNING',
      moved: 0,
      toMove: this.messages.get(from)!.length,
      failureReason: null,
      from,
      to,
      polls: 0,
    };
    return { kind: 'started', handle: 'task-1' };
  }

  async latestMoveTask(from: OpsQueue): Promise<MoveTask | null> {
    this.calls.push(`latestMoveTask ${from}`);
    if (!this.task || this.task.from !== from) return null;
    if (this.task.status === 'RUNNING' && ++this.task.polls >= this.taskPolls) {
      const moving = this.messages.get(this.task.from)!.splice(0);
      this.messages.get(this.task.to)!.push(...moving);
      this.task = { ...this.task, status: 'COMPLETED', moved: this.task.moved + moving.length };
    }
    const { from: _from, to: _to, polls: _polls, ...task } = this.task;
    return task;
  }

  async moveByHand(from: OpsQueue, to: OpsQueue, onBatch?: (moved: number, failed: number) => void) {
    this.calls.push(`moveByHand ${from} ${to}`);
    const source = this.messages.get(from)!;
    let moved = 0;
    let failed = 0;
    for (const message of [...source]) {
      if (this.refuse.has(message.id)) {
        failed++;
        continue;
      }
      source.splice(source.indexOf(message), 1);
      this.messages.get(to)!.push({ ...message, ...(message.groupId ? { deduplicationId: message.id } : {}) });
      moved++;
      onBatch?.(moved, failed);
    }
    return { moved, failed, notDeleted: 0 };
  }
}
