import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { CustomMonitoring, GraphWidgetType, SqsQueueMonitoring } from 'cdk-monitoring-constructs';
import { METRICS } from '../../../../definitions/metrics.ts';
import { ALARMS, alarmDescription } from '../alarm-catalogue.ts';
import { FIVE_MINUTES, FULL, type SectionKit } from '../section-kit.ts';

/** The queues the dashboard shows (the stateful stack's). */
export interface ObservedQueues {
  readonly publish: sqs.IQueue;
  readonly publishDeadLetter: sqs.IQueue;
  readonly delay: sqs.IQueue;
  readonly delayDeadLetter: sqs.IQueue;
  readonly outboxDeadLetter: sqs.IQueue;
  readonly poison: sqs.IQueue;
  readonly webhookDeadLetter: sqs.IQueue;
}

export interface QueueSections {
  readonly publishQueue: SqsQueueMonitoring;
  readonly delayQueue: SqsQueueMonitoring;
  readonly deadLetters: CustomMonitoring;
}

/**
 * The publish and delay queues (alarms on their oldest message) and the dead-letter queues (an alarm on each
 * but the webhook DLQ's, which the stateful stack makes).
 */
export function queueSections(kit: SectionKit, queues: ObservedQueues): QueueSections {
  const { facade, prefix, thresholds: t, alarm, perValue } = kit;
  const ageAlarm = (key: 'publishQueueAge' | 'delayQueueAge', seconds: number) => ({
    Critical: {
      maxAgeInSeconds: seconds,
      alarmNameOverride: `${prefix}-${ALARMS[key].name}`,
      alarmDescriptionOverride: alarmDescription(ALARMS[key]),
      treatMissingDataOverride: cloudwatch.TreatMissingData.NOT_BREACHING,
    },
  });
  const publishQueue = new SqsQueueMonitoring(facade, {
    queue: queues.publish,
    humanReadableName: 'Publish queue (FIFO, one message group per account)',
    alarmFriendlyName: 'publish-queue',
    addQueueMaxMessageAgeAlarm: ageAlarm('publishQueueAge', t.publishQueueOldestMessageSeconds),
  });
  const delayQueue = new SqsQueueMonitoring(facade, {
    queue: queues.delay,
    humanReadableName: 'Delay queue (retries, schedules, pacing holds)',
    alarmFriendlyName: 'delay-queue',
    addQueueMaxMessageAgeAlarm: ageAlarm('delayQueueAge', t.delayQueueOldestMessageSeconds),
  });

  // record-dead-letters drains the publish and delay DLQs within seconds, so their depth alone would
  // miss most arrivals: "not empty" there is the visible messages plus the messages received in the period.
  const drainedDlq = (queue: sqs.IQueue, id: string, label: string) =>
    new cloudwatch.MathExpression({
      expression: `FILL(v${id}, 0) + FILL(r${id}, 0)`,
      usingMetrics: {
        [`v${id}`]: queue.metricApproximateNumberOfMessagesVisible({ statistic: 'Maximum', period: FIVE_MINUTES }),
        [`r${id}`]: queue.metricNumberOfMessagesReceived({ statistic: 'Sum', period: FIVE_MINUTES }),
      },
      label,
      period: FIVE_MINUTES,
    });
  const depth = (queue: sqs.IQueue, label: string) =>
    queue.metricApproximateNumberOfMessagesVisible({ statistic: 'Maximum', period: FIVE_MINUTES, label });
  // One annotation for the four alarms of the graph (each alarms above 0), and the webhook DLQ's own.
  const hidden = { overrideAnnotationVisibility: false };
  const deadLetters = new CustomMonitoring(facade, {
    humanReadableName: 'Dead-letter queues',
    alarmFriendlyName: 'dead-letters',
    metricGroups: [
      {
        title: 'Dead-letter queues: messages (each alarms above 0)',
        graphWidgetWidth: (2 * FULL) / 3,
        horizontalAnnotations: [{ value: 0, label: 'alarm: any message', color: '#d62728' }],
        metrics: [
          {
            metric: drainedDlq(queues.publishDeadLetter, 'p', 'publish DLQ (visible + received)'),
            alarmFriendlyName: 'publish-dlq',
            addAlarm: alarm('publishDlq', 0, hidden),
          },
          {
            metric: drainedDlq(queues.delayDeadLetter, 'd', 'delay DLQ (visible + received)'),
            alarmFriendlyName: 'delay-dlq',
            addAlarm: alarm('delayDlq', 0, hidden),
          },
          {
            metric: depth(queues.outboxDeadLetter, 'outbox DLQ'),
            alarmFriendlyName: 'outbox-dlq',
            addAlarm: alarm('outboxDlq', 0, hidden),
          },
          { metric: depth(queues.poison, 'poison queue'), alarmFriendlyName: 'poison-queue', addAlarm: alarm('poisonQueue', 0, hidden) },
          depth(queues.webhookDeadLetter, 'webhook DLQ'),
        ],
      },
      {
        title: 'Dead letters handled by record-dead-letters',
        graphWidgetWidth: FULL / 3,
        graphWidgetType: GraphWidgetType.STACKED_AREA,
        metrics: perValue(METRICS.DeadLettersRecorded),
      },
    ],
  });
  return { publishQueue, delayQueue, deadLetters };
}
