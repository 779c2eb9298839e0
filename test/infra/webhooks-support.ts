import { FUNCTIONS, type FunctionDefinition } from '../../definitions/functions.ts';
import { roleStatements, synthPinrelay, type PolicyStatement, type Synthesized } from './support.ts';

/**
 * What the webhook infra tests share (webhooks-stateful, webhooks-functions, webhooks-permissions): self-service
 * webhooks in the stacks (lib/constructs/webhooks.ts, `webhooks:manage` in lib/constructs/service-function.ts).
 */

export const DEFINITIONS = FUNCTIONS as readonly FunctionDefinition[];
export const WEBHOOK_FUNCTIONS = DEFINITIONS.filter((d) => d.access.includes('webhooks:manage'));
/** The dev stage's webhook resource prefix. */
export const PREFIX = 'pinrelay-dev-wh-';

/** `arn:${AWS::Partition}:<rest>` as CDK renders formatArn for an environment-agnostic stack. */
export const arnJoin = (service: string, rest: string) => ({
  'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:${service}:`, { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, rest]],
});

export interface WebhookStages {
  /** cdk.json's dev stage. */
  readonly dev: Synthesized;
  /** Stage `qa`: an alarm e-mail and every webhook setting changed from its default. */
  readonly qa: Synthesized;
}

export function synthWebhookStages(): WebhookStages {
  return {
    dev: synthPinrelay({ stage: 'dev' }),
    qa: synthPinrelay({
      stage: 'qa',
      stages: { qa: { alarmEmail: 'ops@example.com', webhooks: { maxPerTenant: 3, ruleQuota: 1000, invocationRateLimitPerSecond: 50 } } },
    }),
  };
}

export const logicalIdOf = (s: Synthesized, stack: 'stateful' | 'stateless', construct: { node: { defaultChild?: unknown } }) =>
  s[stack].getLogicalId(construct.node.defaultChild as never);

/** The IAM statements of function `name`'s role. */
export function functionStatements(s: Synthesized, name: string): PolicyStatement[] {
  return roleStatements(s.statelessTemplate, logicalIdOf(s, 'stateless', s.stateless.functions.get(name as never)!.role));
}

/** The Fn::ImportValue name a stateless value resolves to, or the value itself. */
export const imported = (value: unknown) => (value as { 'Fn::ImportValue'?: string })['Fn::ImportValue'] ?? value;
