/**
 * The alarms pinrelay makes and the runbook lines they carry: each alarm's name, the docs/runbook.md section
 * that expands it, and its description ("what it means — what to do first — docs/runbook.md#anchor").
 * Plain data: the construct (./observability.ts), its dashboard sections and the runbook test read it.
 */

/** Where every alarm description points. */
export const RUNBOOK = 'docs/runbook.md';

export interface AlarmEntry {
  /** The alarm's name after `pinrelay-<stage>-`. */
  readonly name: string;
  /** The section of docs/runbook.md that expands it. */
  readonly anchor: string;
  /** What it means, in one clause. */
  readonly means: string;
  /** What to do first, in one clause. */
  readonly first: string;
}

/**
 * Every alarm the Observability construct makes. The runbook has one section per entry (a heading whose anchor is
 * `anchor`; test/infra/runbook.test.ts checks both directions). The webhook DLQ alarm is made by the
 * stateful stack (lib/constructs/webhooks.ts) and only shown here.
 */
export const ALARMS = {
  publishDlq: {
    name: 'publish-dlq-not-empty',
    anchor: 'publish-dlq-not-empty',
    means:
      'A publish message was dead-lettered: publish-pin failed on it 5 times (record-dead-letters records it on its job, which the reconciler re-dispatches)',
    first: 'read the publish-pin errors (runbook log query), then `npm run admin -- jobs stuck`',
  },
  delayDlq: {
    name: 'delay-dlq-not-empty',
    anchor: 'delay-dlq-not-empty',
    means:
      'A delay-queue message was dead-lettered: release-due-jobs failed on it 10 times (recorded on its job, which the reconciler picks up)',
    first: 'read the release-due-jobs errors (runbook log query), then `npm run admin -- jobs stuck`',
  },
  outboxDlq: {
    name: 'outbox-dlq-not-empty',
    anchor: 'outbox-dlq-not-empty',
    means:
      'The outbox relay gave up on a jobs-stream batch: those job changes were neither enqueued nor announced by the relay (the sweeper and the reconciler catch up)',
    first: 'read the relay-outbox errors (runbook log query), then `npm run admin -- jobs stuck`',
  },
  poisonQueue: {
    name: 'poison-queue-not-empty',
    anchor: 'poison-queue-not-empty',
    means: 'A dead-lettered message that is not a pinrelay job message was parked in the poison queue; nothing consumes it',
    first: 'see it with `npm run admin -- queues` and the record-dead-letters log, find its sender, then delete it',
  },
  publishQueueAge: {
    name: 'publish-queue-oldest-message',
    anchor: 'publish-queue-oldest-message',
    means:
      'The oldest message in the FIFO publish queue is older than the threshold: publish-pin is not draining it (errors, throttling, or a message group blocked by a failing message)',
    first: 'check the publish-pin error, throttle and concurrency graphs, then `npm run admin -- queues`',
  },
  delayQueueAge: {
    name: 'delay-queue-oldest-message',
    anchor: 'delay-queue-oldest-message',
    means: 'The oldest message in the delay queue is older than the threshold: release-due-jobs is not draining it',
    first: 'check the release-due-jobs error and throttle graphs, then `npm run admin -- queues`',
  },
  failedJobs: {
    name: 'failed-jobs',
    anchor: 'failed-jobs',
    means: 'Too many jobs failed for ops or engineering in 15 minutes (their share of finished jobs is over the threshold)',
    first:
      'list them with `npm run admin -- jobs failed --route ops` (and `--route engineering`), fix the cause, then `npm run admin -- jobs requeue --tenant <id> … --apply`',
  },
  lambdaErrors: {
    name: 'lambda-errors',
    anchor: 'lambda-errors',
    means:
      'At least one function ends too many invocations in an error (a per-function alarm pinrelay-<stage>-lambda-errors-<function> is in ALARM)',
    first: 'find the function in the error % graphs, then read its errors (runbook log query)',
  },
  apiServerErrors: {
    name: 'api-5xx',
    anchor: 'api-5xx',
    means: 'The API answers too many requests with 5xx',
    first: "read the API functions' unhandled errors (runbook log query) and check API Gateway throttling",
  },
  rateLimited: {
    name: 'pinterest-429s',
    anchor: 'pinterest-429s',
    means: 'Pinterest answered too many requests with HTTP 429 in 15 minutes: pacing asks for more than Pinterest allows',
    first:
      'find the accounts (runbook log query), check each with `npm run admin -- rate --tenant <id> --account <id>`; lower pacing if it is app-wide',
  },
  tokenRefreshFailures: {
    name: 'token-refresh-failures',
    anchor: 'token-refresh-failures',
    means: 'Account token refreshes are failing: jobs of those accounts fail (reauthorization_required or app_credentials_missing)',
    first: 'see the reasons on the dashboard, check the Pinterest app credentials secret, then `npm run admin -- jobs failed --route ops`',
  },
  tokenRotationNotStored: {
    name: 'token-rotation-not-stored',
    anchor: 'token-rotation-not-stored',
    means:
      'A refreshed token pair could not be stored in Secrets Manager: only a running worker holds it, and the account needs reconnecting if that worker goes away',
    first: 'find the account (runbook log query), fix Secrets Manager or KMS access for publish-pin',
  },
  webhookFailures: {
    name: 'webhook-delivery-failures',
    anchor: 'webhook-delivery-failures',
    means: 'Many webhook deliveries failed for good in 15 minutes (EventBridge FailedInvocations on the job events bus)',
    first: 'find the subscriptions in the failed-deliveries graph, check their endpoints, then `npm run admin -- webhooks replay`',
  },
  webhookEventsLost: {
    name: 'webhook-events-lost',
    anchor: 'webhook-events-lost',
    means: 'EventBridge could not put failed webhook deliveries into the webhook DLQ: those events are lost',
    first: 'check the webhook DLQ and its queue policy (EventBridge must be allowed to send to it)',
  },
} as const satisfies Record<string, AlarmEntry>;

export type AlarmKey = keyof typeof ALARMS;

/** "what it means — what to do first — docs/runbook.md#anchor" */
export function alarmDescription(entry: AlarmEntry): string {
  return `${entry.means} — ${entry.first} — ${RUNBOOK}#${entry.anchor}`;
}

/** The dashboard's log widget query (docs/runbook.md starts from it). */
export const RECENT_PROBLEMS_QUERY = [
  'fields @timestamp, function_name, level, message, job_id, tenant_id, account_id, outcome, reason',
  'filter level in ["WARN", "ERROR", "CRITICAL"]',
  'sort @timestamp desc',
  'limit 100',
] as const;

/** The section of docs/runbook.md about the webhook DLQ alarm (made in lib/constructs/webhooks.ts). */
export const WEBHOOK_DLQ_RUNBOOK_ANCHOR = 'webhook-dlq-not-empty';

/** The alarm name of a per-function error-rate alarm (children of the `lambda-errors` composite alarm). */
export function lambdaErrorAlarmName(stage: string, functionName: string): string {
  return `pinrelay-${stage}-lambda-errors-${functionName}`;
}
