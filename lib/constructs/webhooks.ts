import { ArnFormat, Duration, Stack, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct, type IConstruct } from 'constructs';
// cdk-nag's own renderer of CloudFormation references in finding ids (see ./nag.ts).
import { flattenCfnReference } from 'cdk-nag/lib/utils/flatten-cfn-reference.js';
import type { GrantResource } from '../../definitions/access-grants.ts';
import { webhookNamePrefix } from '../../definitions/webhooks.ts';

/**
 * What self-service webhook subscriptions (docs/adr/0011-webhooks.md) need from the stateful stack. The
 * subscriptions' own connections, API destinations and rules are created at runtime by the webhook
 * functions (`webhooks:manage`), under one name prefix per deployment; this construct makes what they
 * share:
 * - the webhook DLQ's queue policy: EventBridge may send to it, for rules under the prefix only (and, with
 *   the stage key, the key policy statement that lets EventBridge encrypt those messages, same condition);
 * - an alarm on the DLQ's depth (> 0), with a runbook line, notifying the alarm topic;
 * - the target role EventBridge assumes to call the subscribers (`events:InvokeApiDestination` on the
 *   prefix's API destinations only), passed by the functions with PutTargets.
 */
export interface WebhooksProps {
  readonly stage: string;
  readonly eventBus: events.IEventBus;
  /** WebhookDeadLetterQueue (definitions/queues.ts), built with the other queues. */
  readonly deadLetterQueue: sqs.Queue;
  /** Where the DLQ alarm notifies. */
  readonly alarmTopic: sns.ITopic;
  /**
   * The stage key, when it encrypts the queues (`encryption.customerManagedKey`): EventBridge then needs it,
   * through the key policy, to put failed deliveries into the DLQ.
   * @default - SQS-managed encryption: nothing to grant
   */
  readonly encryptionKey?: kms.IKey;
}

/** What a webhook function's access (`webhooks:manage`) reaches. */
export interface WebhookFunctionResources {
  /** `pinrelay-<stage>-wh-` */
  readonly namePrefix: string;
  readonly targetRole: iam.IRole;
  readonly deadLetterQueue: sqs.IQueue;
}

export const WEBHOOK_DLQ_ALARM_DESCRIPTION =
  'Webhook deliveries failed for good: WebhookDeadLetterQueue holds events a subscriber did not accept within 24 h ' +
  '(or answered with a status that is not retried, such as 400, 403 or 404). Each message is the original event with ' +
  'ERROR_CODE, ERROR_MESSAGE and TARGET_ARN (the API destination, named after the webhook id). Check the subscriber ' +
  'endpoint, then replay with `npm run admin -- webhooks replay` — docs/runbook.md#webhook-dlq-not-empty';

export class Webhooks extends Construct implements WebhookFunctionResources {
  public readonly namePrefix: string;
  public readonly targetRole: iam.Role;
  public readonly deadLetterQueue: sqs.Queue;
  public readonly deadLetterAlarm: cloudwatch.Alarm;

  constructor(scope: Construct, id: string, props: WebhooksProps) {
    super(scope, id);
    this.namePrefix = webhookNamePrefix(props.stage);
    this.deadLetterQueue = props.deadLetterQueue;
    const arns = webhookArns(this, this.namePrefix, props.eventBus.eventBusName);

    this.deadLetterQueue.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'WebhookTargetsDeadLetter',
        principals: [new iam.ServicePrincipal('events.amazonaws.com')],
        actions: ['sqs:SendMessage'],
        resources: [this.deadLetterQueue.queueArn],
        conditions: { ArnLike: { 'aws:SourceArn': arns.rules } },
      }),
    );
    // SSE-KMS: EventBridge needs the key to send to the queue (as the EventBridge DLQ documentation has it:
    // the service principal, conditioned on the sending rule), for this deployment's rules only.
    props.encryptionKey?.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'WebhookTargetsDeadLetter',
        principals: [new iam.ServicePrincipal('events.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
        resources: ['*'],
        conditions: {
          // Any bus: the key policy may not refer to the bus, which refers to the key (a cycle); the prefix names this deployment's rules.
          ArnLike: { 'aws:SourceArn': webhookArns(this, this.namePrefix).rules },
          StringEquals: { 'aws:SourceAccount': Stack.of(this).account },
        },
      }),
    );
    Validations.of(this.deadLetterQueue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason:
        'This queue is itself a dead-letter queue: the DeadLetterConfig of every webhook rule target, set at runtime with PutTargets, ' +
        'which cdk-nag cannot see as a redrive source. Its depth is alarmed (WebhookDeadLetterAlarm).',
    });

    this.deadLetterAlarm = new cloudwatch.Alarm(this, 'DeadLetterAlarm', {
      alarmDescription: WEBHOOK_DLQ_ALARM_DESCRIPTION,
      metric: this.deadLetterQueue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(5), statistic: 'Maximum' }),
      threshold: 0,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    this.deadLetterAlarm.addAlarmAction(new cloudwatchActions.SnsAction(props.alarmTopic));

    this.targetRole = new iam.Role(this, 'TargetRole', {
      description: `pinrelay ${props.stage}: EventBridge invokes the webhook API destinations (${this.namePrefix}*)`,
      assumedBy: new iam.ServicePrincipal('events.amazonaws.com').withConditions({
        StringEquals: { 'aws:SourceAccount': Stack.of(this).account },
      }),
    });
    this.targetRole.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ['events:InvokeApiDestination'], resources: [arns.apiDestinations] }),
    );
    Validations.of(this.targetRole).acknowledge({
      id: wildcardFinding(this, arns.apiDestinations),
      reason:
        'API destinations are created at runtime, one per webhook subscription, named <prefix><webhook id>; the prefix is the only ' +
        'thing known at deploy time, so the role may invoke exactly the destinations under it.',
    });
  }
}

/**
 * ARN patterns of everything the subscriptions of one deployment create (all under `namePrefix`). Rules
 * are `…:rule/<bus>/<name>`; without `eventBusName` the pattern takes any bus (`rule/*\/<prefix>*`): the
 * functions' stack sees the bus name only as a cross-stack reference, and the prefix alone already names
 * this deployment's rules.
 */
export function webhookArns(scope: IConstruct, namePrefix: string, eventBusName = '*') {
  const stack = Stack.of(scope);
  const events = (resource: string, resourceName: string) =>
    stack.formatArn({ service: 'events', resource, resourceName, arnFormat: ArnFormat.SLASH_RESOURCE_NAME });
  return {
    /** `…:connection/<prefix>*` (the ARN ends in `/<uuid>`). */
    connections: events('connection', `${namePrefix}*`),
    apiDestinations: events('api-destination', `${namePrefix}*`),
    rules: events('rule', `${eventBusName}/${namePrefix}*`),
    /** ListRules is authorized against the account's rules, not one rule. */
    anyRule: events('rule', '*'),
    /** EventBridge keeps each connection's auth in its own secret, `events!connection/<connection name>/<uuid>`. */
    connectionSecrets: stack.formatArn({
      service: 'secretsmanager',
      resource: 'secret',
      resourceName: `events!connection/${namePrefix}*`,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    }),
  };
}

/** The cdk-nag finding id of a wildcard resource in an IAM policy in `scope`'s stack. */
export function wildcardFinding(scope: IConstruct, resource: string): string {
  return `AwsSolutions-IAM5[Resource::${flattenCfnReference(Stack.of(scope).resolve(resource))}]`;
}

/**
 * `webhooks:manage` (definitions/access-grants.ts) reaches webhook resources by name prefix: acknowledge each
 * prefix wildcard a role's grants reached (`reached`, from lib/constructs/grants.ts addGrants), with the reason.
 */
export function acknowledgeWebhookWildcards(role: iam.IRole, namePrefix: string, reached: ReadonlySet<GrantResource>): void {
  const arns = webhookArns(role, namePrefix);
  const why = (what: string) =>
    `${what} are created at runtime, one per webhook subscription, named <prefix><webhook id> (${namePrefix}…); the ` +
    'deployment prefix is all that is known at deploy time, so the grant covers exactly the names under it.';
  const acknowledgements: Partial<Record<GrantResource, { id: string; reason: string }>> = {
    WebhookConnections: { id: wildcardFinding(role, arns.connections), reason: why('EventBridge connections') },
    WebhookApiDestinations: { id: wildcardFinding(role, arns.apiDestinations), reason: why('EventBridge API destinations') },
    WebhookRules: { id: wildcardFinding(role, arns.rules), reason: why('EventBridge rules on the pinrelay bus') },
    AllRules: {
      id: wildcardFinding(role, arns.anyRule),
      reason:
        "ListRules (the rules-per-bus quota check before a create) is authorized against the account's rules as a whole, not one rule " +
        'name; it is read-only and limited to this account and Region.',
    },
    WebhookConnectionSecrets: {
      id: wildcardFinding(role, arns.connectionSecrets),
      reason:
        "EventBridge stores each connection's API key in a secret it names events!connection/<connection name>/<uuid>, created and " +
        "updated with the caller's permissions; the grant covers the connections under the deployment prefix only.",
    },
  };
  const found = [...reached].flatMap((resource) => acknowledgements[resource] ?? []);
  if (found.length > 0) Validations.of(role).acknowledge(...found);
}
