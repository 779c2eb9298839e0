import { ArnFormat, Duration, Stack, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct, type IConstruct } from 'constructs';
// cdk-nag's own renderer of CloudFormation references in finding ids (see ./nag.ts).
import { flattenCfnReference } from 'cdk-nag/lib/utils/flatten-cfn-reference.js';
import { webhookNamePrefix } from '../../definitions/webhooks.ts';

/**
 * What self-service webhook subscriptions (docs/adr/0011-webhooks.md) need from the stateful stack. The
 * subscriptions' own connections, API destinations and rules are created at runtime by the webhook
 * functions (`webhooks:manage`), under one name prefix per deployment; this construct makes what they
 * share:
 * - the webhook DLQ's queue policy: EventBridge may send to it, for rules under the prefix only;
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
 * `webhooks:manage`: what the webhook functions may do, nothing more.
 * - connections, API destinations and rules under the prefix (the actions the adapter calls), and
 *   ListRules (the quota check);
 * - the `events!connection/<prefix>*` secrets EventBridge creates, updates and deletes on the caller's
 *   behalf when it creates, updates and deletes a connection;
 * - iam:PassRole on the target role only, to EventBridge only (PutTargets with RoleArn);
 * - events:PutEvents on the pinrelay bus (test events);
 * - `TENANT#…` items of the tenants table (WEBHOOK# items live there; IAM cannot condition on the sort key).
 * Each wildcard is acknowledged on the role with the reason.
 */
export function grantWebhookManagement(
  role: iam.IRole,
  resources: { readonly eventBus: events.IEventBus; readonly tenantsTable: dynamodb.ITable; readonly webhooks: WebhookFunctionResources },
): void {
  const { eventBus, tenantsTable, webhooks } = resources;
  const arns = webhookArns(role, webhooks.namePrefix);
  role.addToPrincipalPolicy(
    new iam.PolicyStatement({
      // CreateApiDestination is authorized against the destination and the connection it uses.
      actions: ['events:CreateApiDestination', 'events:CreateConnection', 'events:DeleteConnection', 'events:UpdateConnection'],
      resources: [arns.connections],
    }),
  );
  role.addToPrincipalPolicy(
    new iam.PolicyStatement({ actions: ['events:CreateApiDestination', 'events:DeleteApiDestination'], resources: [arns.apiDestinations] }),
  );
  role.addToPrincipalPolicy(
    new iam.PolicyStatement({
      actions: ['events:DeleteRule', 'events:PutRule', 'events:PutTargets', 'events:RemoveTargets'],
      resources: [arns.rules],
    }),
  );
  role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['events:ListRules'], resources: [arns.anyRule] }));
  eventBus.grantPutEventsTo(role);
  role.addToPrincipalPolicy(
    new iam.PolicyStatement({
      actions: [
        'secretsmanager:CreateSecret',
        'secretsmanager:DeleteSecret',
        'secretsmanager:DescribeSecret',
        'secretsmanager:PutSecretValue',
        'secretsmanager:UpdateSecret',
      ],
      resources: [arns.connectionSecrets],
    }),
  );
  role.addToPrincipalPolicy(
    new iam.PolicyStatement({
      actions: ['iam:PassRole'],
      resources: [webhooks.targetRole.roleArn],
      conditions: { StringEquals: { 'iam:PassedToService': 'events.amazonaws.com' } },
    }),
  );
  role.addToPrincipalPolicy(
    new iam.PolicyStatement({
      actions: ['dynamodb:DeleteItem', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query', 'dynamodb:UpdateItem'],
      resources: [tenantsTable.tableArn],
      conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['TENANT#*'] }, Null: { 'dynamodb:LeadingKeys': 'false' } },
    }),
  );

  const why = (what: string) =>
    `${what} are created at runtime, one per webhook subscription, named <prefix><webhook id> (${webhooks.namePrefix}…); the ` +
    'deployment prefix is all that is known at deploy time, so the grant covers exactly the names under it.';
  Validations.of(role).acknowledge(
    { id: wildcardFinding(role, arns.connections), reason: why('EventBridge connections') },
    { id: wildcardFinding(role, arns.apiDestinations), reason: why('EventBridge API destinations') },
    { id: wildcardFinding(role, arns.rules), reason: why('EventBridge rules on the pinrelay bus') },
    {
      id: wildcardFinding(role, arns.anyRule),
      reason:
        "ListRules (the rules-per-bus quota check before a create) is authorized against the account's rules as a whole, not one rule " +
        'name; it is read-only and limited to this account and Region.',
    },
    {
      id: wildcardFinding(role, arns.connectionSecrets),
      reason:
        "EventBridge stores each connection's API key in a secret it names events!connection/<connection name>/<uuid>, created and " +
        "updated with the caller's permissions; the grant covers the connections under the deployment prefix only.",
    },
  );
}
