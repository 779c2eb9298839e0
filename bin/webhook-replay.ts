import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SQSClient } from '@aws-sdk/client-sqs';
import { EventBridgePublisher } from '../lambdas/adapters/eventbridge-publisher.ts';
import { EventBridgeWebhookRules } from '../lambdas/adapters/eventbridge-webhook-rules.ts';
import { SqsWebhookDeadLetterQueue } from '../lambdas/adapters/sqs-webhook-dead-letters.ts';
import { replayWebhookDeadLetters, type ReplayOptions, type ReplayReport } from '../lambdas/use-cases/webhook-replay.ts';

/**
 * `npm run admin -- webhooks replay`: the replay use case (lambdas/use-cases/webhook-replay.ts) wired to SQS
 * and EventBridge, and its output. No side effects on import: bin/admin.ts and the integration tests call
 * runWebhookReplay().
 */

/** Where the webhook DLQ and the bus are: stack outputs (AWS) or the running `npm start` (local mode). */
export interface ReplayTarget {
  readonly region: string;
  /** WebhookDeadLetterQueueUrl */
  readonly queueUrl: string;
  /** EventBusName */
  readonly eventBusName: string;
  /** WebhookNamePrefix (`pinrelay-<stage>-wh-`) */
  readonly namePrefix: string;
  readonly sqsEndpoint?: string;
  readonly eventBridgeEndpoint?: string;
  readonly credentials?: { readonly accessKeyId: string; readonly secretAccessKey: string };
}

export type RunReplayOptions = Omit<ReplayOptions, 'namePrefix' | 'eventBusName'>;

export async function runWebhookReplay(target: ReplayTarget, options: RunReplayOptions = {}): Promise<ReplayReport> {
  const common = { region: target.region, ...(target.credentials ? { credentials: { ...target.credentials } } : {}) };
  const sqs = new SQSClient({ ...common, ...(target.sqsEndpoint ? { endpoint: target.sqsEndpoint } : {}) });
  const events = new EventBridgeClient({ ...common, ...(target.eventBridgeEndpoint ? { endpoint: target.eventBridgeEndpoint } : {}) });
  try {
    return await replayWebhookDeadLetters(
      {
        deadLetters: new SqsWebhookDeadLetterQueue(sqs, target.queueUrl),
        publisher: new EventBridgePublisher(events, target.eventBusName),
        rules: new EventBridgeWebhookRules(events),
      },
      { ...options, namePrefix: target.namePrefix, eventBusName: target.eventBusName },
    );
  } finally {
    sqs.destroy();
    events.destroy();
  }
}

/** The progress line: `replayed 12/40` (a dry run: `read 12/40`), and how many stay in the queue. */
export function progressText(
  progress: { readonly done: number; readonly total: number; readonly replayed: number },
  dryRun: boolean,
): string {
  if (dryRun) return `read ${progress.done}/${progress.total}`;
  const other = progress.done - progress.replayed;
  return `replayed ${progress.replayed}/${progress.total}${other > 0 ? ` (${other} not replayed)` : ''}`;
}

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

function countBy<T>(items: readonly T[], key: (item: T) => string): [string, number][] {
  const counts = new Map<string, number>();
  for (const item of items) counts.set(key(item), (counts.get(key(item)) ?? 0) + 1);
  return [...counts.entries()].sort(([a], [b]) => a.localeCompare(b));
}

/** The summary a person reads (`--json` prints the report itself). */
export function formatReplayReport(report: ReplayReport): string {
  const lines: string[] = [];
  const scope = report.subscription ? ` (only ${report.subscription})` : '';
  if (report.seen === 0) return 'The webhook dead-letter queue is empty: nothing to replay.';
  if (report.dry_run) {
    const would = report.messages.filter((m) => m.outcome === 'would_replay');
    lines.push(
      `Dry run: would replay ${plural(would.length, 'event')} of ${report.seen} read${scope}; nothing sent, nothing deleted${would.length > 0 ? ':' : '.'}`,
    );
    for (const m of would) {
      lines.push(
        `  ${m.event_id} ${m.type ?? '?'} → ${m.webhook_id} (tenant ${m.tenant_id}; failed with ${m.error_code ?? '?'}${m.error_message ? `: ${m.error_message}` : ''})`,
      );
    }
  } else {
    lines.push(
      `Replayed ${plural(report.replayed, 'event')} of ${report.seen} read${scope}${report.replayed > 0 ? ', each to its own subscription:' : '.'}`,
    );
    const replayed = report.messages.filter((m) => m.outcome === 'replayed');
    for (const [webhookId, n] of countBy(replayed, (m) => m.webhook_id ?? '?')) {
      const types = countBy(
        replayed.filter((m) => m.webhook_id === webhookId),
        (m) => m.type ?? '?',
      ).map(([type, k]) => `${type} ${k}`);
      lines.push(`  ${webhookId}: ${n} (${types.join(', ')})`);
    }
  }
  const left = report.messages.filter((m) => m.outcome === 'left');
  if (left.length > 0) {
    lines.push(`Left in the queue: ${left.length}`);
    for (const [reason, n] of countBy(left, (m) => m.reason ?? '?')) lines.push(`  ${n} × ${reason}`);
  }
  const failed = report.messages.filter((m) => m.outcome === 'failed');
  if (failed.length > 0) {
    lines.push(`Failed (still in the queue, run again): ${failed.length}`);
    for (const m of failed) lines.push(`  ${m.event_id ?? m.message_id} → ${m.webhook_id}: ${m.reason}`);
  }
  if (report.not_deleted > 0) {
    lines.push(`Sent but not deleted (a next replay sends them again; receivers drop the repeat by webhook-id): ${report.not_deleted}`);
  }
  return lines.join('\n');
}
