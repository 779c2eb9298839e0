/**
 * What becomes of an event a target will not get: it goes to the target's DeadLetterConfig queue (the
 * original event JSON as the body, attributes ERROR_CODE, ERROR_MESSAGE, EXHAUSTED_RETRY_CONDITION when
 * retries ran out, RETRY_ATTEMPTS, RULE_ARN, TARGET_ARN), or is dropped when there is none (or sending
 * fails); either way a FailedDelivery records it.
 */
import type { AttemptFailure, SqsSender } from './invoke-target.ts';
import type { RuleMatch, StoredTarget } from './rules.ts';
import type { BusEvent } from './types.ts';

export type ExhaustedRetryCondition = 'MaximumRetryAttempts' | 'MaximumEventAgeInSeconds';

/** An event a target did not get, and what became of it. */
export interface FailedDelivery {
  readonly eventId: string;
  readonly eventBusName: string;
  readonly ruleName: string;
  readonly ruleArn: string;
  readonly targetId: string;
  readonly targetArn: string;
  readonly errorCode: string;
  readonly errorMessage: string;
  /** Retries made (attempts − 1). */
  readonly retryAttempts: number;
  readonly exhaustedRetryCondition?: ExhaustedRetryCondition;
  readonly disposition: 'dead-lettered' | 'dropped';
  readonly deadLetterQueueArn?: string;
  readonly deadLetterMessageId?: string;
  readonly dropReason?: string;
  readonly at: Date;
}

/** One event on its way to one rule target. */
export interface Delivery {
  readonly busEvent: BusEvent;
  readonly rule: RuleMatch['rule'];
  readonly target: StoredTarget;
  /** Attempts made so far. */
  readonly attempts: number;
}

/** The ids every record of a delivery carries. */
export function deliveryIds(delivery: Delivery) {
  return {
    eventId: delivery.busEvent.event.id,
    eventBusName: delivery.busEvent.eventBusName,
    ruleName: delivery.rule.name,
    ruleArn: delivery.rule.arn,
    targetId: delivery.target.Id,
    targetArn: delivery.target.Arn,
  };
}

/** Dead-letters or drops an event the target will not get; resolves to the record of it. */
export async function deadLetter(
  delivery: Delivery,
  failure: AttemptFailure,
  exhausted: ExhaustedRetryCondition | undefined,
  sqs: SqsSender,
): Promise<FailedDelivery> {
  const queueArn = delivery.target.DeadLetterConfig?.Arn;
  if (!queueArn) return failureRecord(delivery, failure, exhausted, 'dropped', { dropReason: 'The target has no dead-letter queue.' });
  const attributes: Record<string, string> = {
    ERROR_CODE: failure.code,
    ERROR_MESSAGE: failure.message,
    ...(exhausted ? { EXHAUSTED_RETRY_CONDITION: exhausted } : {}),
    RETRY_ATTEMPTS: String(Math.max(0, delivery.attempts - 1)),
    RULE_ARN: delivery.rule.arn,
    TARGET_ARN: delivery.target.Arn,
  };
  try {
    const messageId = await sqs.send(queueArn, JSON.stringify(delivery.busEvent.event), attributes);
    return failureRecord(delivery, failure, exhausted, 'dead-lettered', {
      deadLetterQueueArn: queueArn,
      ...(messageId ? { deadLetterMessageId: messageId } : {}),
    });
  } catch (error) {
    return failureRecord(delivery, failure, exhausted, 'dropped', {
      deadLetterQueueArn: queueArn,
      dropReason: `Sending to the dead-letter queue failed: ${error instanceof Error ? error.message : String(error)}`,
    });
  }
}

export function failureRecord(
  delivery: Delivery,
  failure: AttemptFailure,
  exhausted: ExhaustedRetryCondition | undefined,
  disposition: FailedDelivery['disposition'],
  extra: Partial<FailedDelivery>,
): FailedDelivery {
  return {
    ...deliveryIds(delivery),
    errorCode: failure.code,
    errorMessage: failure.message,
    retryAttempts: Math.max(0, delivery.attempts - 1),
    ...(exhausted ? { exhaustedRetryCondition: exhausted } : {}),
    disposition,
    ...extra,
    at: new Date(),
  };
}
