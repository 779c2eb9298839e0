import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { JobRecord } from '../domain/job.ts';
import type { JobMessage, JobQueue } from '../use-cases/ports.ts';

/** SQS allows at most 15 minutes of per-message delay; longer waits re-delay when they come back. */
export const MAX_DELAY_SECONDS = 900;

export function messageGroupOf(record: JobRecord): string {
  return `${record.tenantId}#${record.job.account_id}`;
}

/** One message per (job, version): re-sends of the same state collapse in SQS's 5-minute dedup window. */
export function deduplicationIdOf(record: JobRecord): string {
  return `${record.job.id}-v${record.version}`;
}

function body(record: JobRecord, hold?: JobMessage['hold'], slotMs?: number): string {
  const message: JobMessage = {
    job_id: record.job.id,
    tenant_id: record.tenantId,
    version: record.version,
    ...(hold ? { hold } : {}),
    ...(slotMs !== undefined ? { slot_ms: slotMs } : {}),
  };
  return JSON.stringify(message);
}

export class SqsJobQueue implements JobQueue {
  /** `publishQueueUrl` is undefined for the worker, which may only park jobs in the delay queue. */
  constructor(
    private readonly client: SQSClient,
    private readonly publishQueueUrlOrNone: string | undefined,
    private readonly delayQueueUrl: string,
  ) {}

  private get publishQueueUrl(): string {
    if (!this.publishQueueUrlOrNone) throw new Error('this function may not send to the publish queue');
    return this.publishQueueUrlOrNone;
  }

  async enqueue(record: JobRecord): Promise<void> {
    await this.client.send(
      new SendMessageCommand({
        QueueUrl: this.publishQueueUrl,
        MessageBody: body(record),
        MessageGroupId: messageGroupOf(record),
        MessageDeduplicationId: deduplicationIdOf(record),
      }),
    );
  }

  async holdForPacing(record: JobRecord, waitMs: number, slotMs?: number): Promise<void> {
    // Whole seconds, rounded down: the job comes back at most a second early and the worker sleeps the rest.
    const delay = Math.min(MAX_DELAY_SECONDS, Math.max(0, Math.floor(waitMs / 1000)));
    await this.client.send(
      new SendMessageCommand({ QueueUrl: this.delayQueueUrl, MessageBody: body(record, 'pacing', slotMs), DelaySeconds: delay }),
    );
  }

  async releaseHold(record: JobRecord, holdId: string, slotMs?: number): Promise<void> {
    await this.client.send(
      new SendMessageCommand({
        QueueUrl: this.publishQueueUrl,
        MessageBody: body(record, undefined, slotMs),
        MessageGroupId: messageGroupOf(record),
        // The hold's own id: the job's first message (same job + version) may still be in the dedup window.
        MessageDeduplicationId: `${deduplicationIdOf(record)}-h${holdId}`.slice(0, 128),
      }),
    );
  }

  async hold(record: JobRecord, now: Date): Promise<void> {
    const due = record.job.next_attempt_at ? new Date(record.job.next_attempt_at).getTime() : now.getTime();
    const delay = Math.min(MAX_DELAY_SECONDS, Math.max(0, Math.ceil((due - now.getTime()) / 1000)));
    await this.client.send(new SendMessageCommand({ QueueUrl: this.delayQueueUrl, MessageBody: body(record), DelaySeconds: delay }));
  }
}
