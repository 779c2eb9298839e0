import { Duration, RemovalPolicy, SecretValue, Validations } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import type * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { StaticWebhookSubscriptionConfig } from '../config.ts';
import {
  WEBHOOK_HEADER_PATHS,
  WEBHOOK_INPUT_PATHS,
  WEBHOOK_INPUT_TEMPLATE,
  WEBHOOK_RETRY_POLICY,
  WEBHOOK_SECRET_HEADER,
  WEBHOOK_TARGET_ID,
  staticWebhookId,
  webhookEventPattern,
  webhookResourceName,
} from '../../definitions/webhooks.ts';

/**
 * A webhook subscription managed as code (stage config `webhooks.subscriptions`): the same connection, API
 * destination, rule and target a runtime subscription gets (lambdas/adapters/eventbridge-webhooks.ts), built
 * from the same description (definitions/webhooks.ts), under the same name prefix — so the target role,
 * the DLQ's queue policy, the webhook functions' IAM and the rule count cover it as they cover the others.
 * Its webhook id is `whs_<name>` (never a runtime `whk_…` id); test events and redeliveries reach it through
 * `detail.webhook_id` like any subscription.
 *
 * The secret is a generated Secrets Manager secret (encrypted with the given key), never a literal in the
 * template: the connection takes it through a CloudFormation dynamic reference, resolved at deploy time,
 * and EventBridge keeps its own copy in the connection. The operator reads the value from the secret
 * (its ARN is a stack output) and gives it to the receiver. Changing the secret's value does not reach the
 * connection until CloudFormation updates the connection (docs/deploy.md).
 *
 * aws-cdk-lib L2s throughout: `events.Connection` (Authorization.apiKey), `events.ApiDestination`,
 * `events.Rule` and `targets.ApiDestination`. Where the L2 would differ from a runtime subscription:
 * - the L2 EventPattern type has no `$or`; the pattern is webhookEventPattern() itself, passed through a
 *   cast (the Rule copies keys it does not know unchanged);
 * - targets.ApiDestination's input is a RuleTargetInput whose paths map gets generated names; WebhookInput
 *   below renders WEBHOOK_INPUT_PATHS / WEBHOOK_INPUT_TEMPLATE verbatim instead;
 * - its target id would be `Target0`; it is WEBHOOK_TARGET_ID;
 * - it would add one queue-policy statement per rule to the DLQ and one `events:InvokeApiDestination`
 *   statement per destination to the target role. Both are already granted for the whole prefix
 *   (lib/constructs/webhooks.ts), and SQS queue policies are limited to 8 KB, so the target gets an
 *   immutable view of each (`fromQueueArn`, `withoutPolicyUpdates`).
 */
export interface StaticWebhookSubscriptionProps {
  readonly stage: string;
  readonly subscription: StaticWebhookSubscriptionConfig;
  readonly eventBus: events.IEventBus;
  /** Name prefix, target role and DLQ shared with the runtime subscriptions (the Webhooks construct). */
  readonly webhooks: { readonly namePrefix: string; readonly targetRole: iam.Role; readonly deadLetterQueue: sqs.IQueue };
  /** Encrypts the subscription's secret (the stack's key for secrets). */
  readonly encryptionKey: kms.IKey;
  /** `webhooks.invocationRateLimitPerSecond`, as for runtime subscriptions. */
  readonly invocationRateLimitPerSecond: number;
  /** What happens to the secret when the subscription or the stack is removed. @default RemovalPolicy.RETAIN */
  readonly removalPolicy?: RemovalPolicy;
}

/** The receiver's body, exactly as runtime subscriptions' targets build it (InputTransformer). */
class WebhookInput extends events.RuleTargetInput {
  // biome-ignore lint/complexity/noUselessConstructor: RuleTargetInput's constructor is protected; this one makes it public
  public constructor() {
    super();
  }

  public bind(): events.RuleTargetInputProperties {
    return { inputPathsMap: { ...WEBHOOK_INPUT_PATHS }, inputTemplate: WEBHOOK_INPUT_TEMPLATE };
  }
}

export class StaticWebhookSubscription extends Construct {
  /** The subscription as the stage config gives it (URL normalised). */
  public readonly config: StaticWebhookSubscriptionConfig;
  /** `whs_<name>` */
  public readonly webhookId: string;
  /** `<prefix>whs_<name>`: the connection, the API destination and the rule. */
  public readonly resourceName: string;
  public readonly secret: secretsmanager.Secret;
  public readonly connection: events.Connection;
  public readonly apiDestination: events.ApiDestination;
  public readonly rule: events.Rule;

  constructor(scope: Construct, id: string, props: StaticWebhookSubscriptionProps) {
    super(scope, id);
    const { subscription, webhooks } = props;
    this.config = subscription;
    this.webhookId = staticWebhookId(subscription.name);
    this.resourceName = webhookResourceName(webhooks.namePrefix, this.webhookId);
    const described = `pinrelay webhook ${this.webhookId}`;

    this.secret = new secretsmanager.Secret(this, 'Secret', {
      description:
        `pinrelay ${props.stage}: secret of static webhook ${subscription.name} (${WEBHOOK_SECRET_HEADER} header)` +
        (subscription.description ? `: ${subscription.description}` : ''),
      encryptionKey: props.encryptionKey,
      generateSecretString: { excludePunctuation: true, includeSpace: false, passwordLength: 48 },
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
    });
    Validations.of(this.secret).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'A static webhook secret is shared with the receiving system, which has to be given the new value at the same time; a rotation ' +
        "Lambda cannot do that. The operator rotates it by hand (docs/deploy.md), like a runtime subscription's rotate-secret.",
    });

    this.connection = new events.Connection(this, 'Connection', {
      connectionName: this.resourceName,
      description: described,
      authorization: events.Authorization.apiKey(WEBHOOK_SECRET_HEADER, SecretValue.secretsManager(this.secret.secretArn)),
    });

    this.apiDestination = new events.ApiDestination(this, 'ApiDestination', {
      apiDestinationName: this.resourceName,
      description: described,
      connection: this.connection,
      endpoint: subscription.url,
      httpMethod: events.HttpMethod.POST,
      rateLimitPerSecond: props.invocationRateLimitPerSecond,
    });

    this.rule = new events.Rule(this, 'Rule', {
      ruleName: this.resourceName,
      description: `${described} of tenant ${subscription.tenantId}`,
      eventBus: props.eventBus,
      eventPattern: webhookEventPattern({
        tenantId: subscription.tenantId,
        webhookId: this.webhookId,
        events: subscription.events,
      }) as events.EventPattern,
    });

    const target = new targets.ApiDestination(this.apiDestination, {
      event: new WebhookInput(),
      headerParameters: { ...WEBHOOK_HEADER_PATHS },
      retryAttempts: WEBHOOK_RETRY_POLICY.maximumRetryAttempts,
      maxEventAge: Duration.seconds(WEBHOOK_RETRY_POLICY.maximumEventAgeSeconds),
      deadLetterQueue: sqs.Queue.fromQueueArn(this, 'DeadLetterQueue', webhooks.deadLetterQueue.queueArn),
      eventRole: webhooks.targetRole.withoutPolicyUpdates(),
    });
    this.rule.addTarget({ bind: (rule, targetId) => ({ ...target.bind(rule, targetId), id: WEBHOOK_TARGET_ID }) });
  }
}

/** Every static subscription of a stage, one StaticWebhookSubscription each (construct id = its name). */
export class StaticWebhookSubscriptions extends Construct {
  public readonly subscriptions: readonly StaticWebhookSubscription[];

  constructor(
    scope: Construct,
    id: string,
    props: Omit<StaticWebhookSubscriptionProps, 'subscription'> & { readonly subscriptions: readonly StaticWebhookSubscriptionConfig[] },
  ) {
    super(scope, id);
    const { subscriptions, ...shared } = props;
    this.subscriptions = subscriptions.map(
      (subscription) => new StaticWebhookSubscription(this, subscription.name, { ...shared, subscription }),
    );
  }
}
