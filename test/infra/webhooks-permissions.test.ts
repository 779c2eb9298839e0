import { beforeAll, describe, expect, it } from 'vitest';
import { matchesLeadingKey } from '../../definitions/item-access.ts';
import { webhookResourceName } from '../../definitions/webhooks.ts';
import { actionsOf, arrayAt, at, type PolicyStatement, type Synthesized } from './support.ts';
import { DEFINITIONS, PREFIX, WEBHOOK_FUNCTIONS, functionStatements, synthWebhookStages } from './webhooks-support.ts';

/**
 * What the webhook functions' IAM statements reach: every call the adapters make, on the resources
 * create-webhook makes, and nothing outside the stage's prefix.
 */

const ID = 'whk_0123456789abcdefghjk';

let dev: Synthesized;
beforeAll(() => {
  ({ dev } = synthWebhookStages());
});

describe('webhook function permissions', () => {
  /**
   * Every call the adapters make (lambdas/adapters/eventbridge-webhooks.ts, dynamo-webhook-store.ts), the
   * IAM action it needs and an ARN of the resource it touches, as AWS names it. Connection secrets are
   * created, updated and deleted by EventBridge with the caller's permissions.
   */
  const ACCOUNT_ARN = (service: string, rest: string) => `arn:aws:${service}:eu-west-1:123456789012:${rest}`;
  const NAME = webhookResourceName(PREFIX, ID);
  const CALLS: ReadonlyArray<{ readonly call: string; readonly action: string; readonly arn: string }> = [
    {
      call: 'CreateConnection',
      action: 'events:CreateConnection',
      arn: ACCOUNT_ARN('events', `connection/${NAME}/0f5c7b6e-1111-4222-8333-444455556666`),
    },
    {
      call: 'CreateConnection (its secret)',
      action: 'secretsmanager:CreateSecret',
      arn: ACCOUNT_ARN('secretsmanager', `secret:events!connection/${NAME}/0f5c7b6e-1111-4222-8333-444455556666-AbCdEf`),
    },
    {
      call: 'CreateApiDestination',
      action: 'events:CreateApiDestination',
      arn: ACCOUNT_ARN('events', `api-destination/${NAME}/7d1e2f30-1111-4222-8333-444455556666`),
    },
    {
      call: 'CreateApiDestination (its connection)',
      action: 'events:CreateApiDestination',
      arn: ACCOUNT_ARN('events', `connection/${NAME}/0f5c7b6e-1111-4222-8333-444455556666`),
    },
    { call: 'PutRule', action: 'events:PutRule', arn: ACCOUNT_ARN('events', `rule/PinrelaydevStatefulJobEvents1A2B3C4D/${NAME}`) },
    { call: 'PutTargets', action: 'events:PutTargets', arn: ACCOUNT_ARN('events', `rule/PinrelaydevStatefulJobEvents1A2B3C4D/${NAME}`) },
    { call: 'ListRules', action: 'events:ListRules', arn: ACCOUNT_ARN('events', 'rule/*') },
    {
      call: 'UpdateConnection',
      action: 'events:UpdateConnection',
      arn: ACCOUNT_ARN('events', `connection/${NAME}/0f5c7b6e-1111-4222-8333-444455556666`),
    },
    {
      call: 'UpdateConnection (its secret)',
      action: 'secretsmanager:PutSecretValue',
      arn: ACCOUNT_ARN('secretsmanager', `secret:events!connection/${NAME}/0f5c7b6e-1111-4222-8333-444455556666-AbCdEf`),
    },
    {
      call: 'UpdateConnection (its secret)',
      action: 'secretsmanager:UpdateSecret',
      arn: ACCOUNT_ARN('secretsmanager', `secret:events!connection/${NAME}/0f5c7b6e-1111-4222-8333-444455556666-AbCdEf`),
    },
    {
      call: 'RemoveTargets',
      action: 'events:RemoveTargets',
      arn: ACCOUNT_ARN('events', `rule/PinrelaydevStatefulJobEvents1A2B3C4D/${NAME}`),
    },
    { call: 'DeleteRule', action: 'events:DeleteRule', arn: ACCOUNT_ARN('events', `rule/PinrelaydevStatefulJobEvents1A2B3C4D/${NAME}`) },
    {
      call: 'DeleteApiDestination',
      action: 'events:DeleteApiDestination',
      arn: ACCOUNT_ARN('events', `api-destination/${NAME}/7d1e2f30-1111-4222-8333-444455556666`),
    },
    {
      call: 'DeleteConnection',
      action: 'events:DeleteConnection',
      arn: ACCOUNT_ARN('events', `connection/${NAME}/0f5c7b6e-1111-4222-8333-444455556666`),
    },
    {
      call: 'DeleteConnection (its secret)',
      action: 'secretsmanager:DeleteSecret',
      arn: ACCOUNT_ARN('secretsmanager', `secret:events!connection/${NAME}/0f5c7b6e-1111-4222-8333-444455556666-AbCdEf`),
    },
    {
      call: 'DeleteConnection (its secret)',
      action: 'secretsmanager:DescribeSecret',
      arn: ACCOUNT_ARN('secretsmanager', `secret:events!connection/${NAME}/0f5c7b6e-1111-4222-8333-444455556666-AbCdEf`),
    },
  ];

  /** IAM's wildcard match of a resource pattern (CDK's Fn::Join over pseudo parameters rendered for eu-west-1). */
  function allows(statements: readonly PolicyStatement[], action: string, arn: string): boolean {
    return statements.some((st) => {
      if (st.Effect !== 'Allow' || !actionsOf(st).includes(action)) return false;
      return [st.Resource].flat().some((resource: unknown) => {
        const join = at(resource, 'Fn::Join');
        if (!join) return resource === '*';
        const pattern = arrayAt(join, 1)
          .map((part) => {
            const ref = at(part, 'Ref');
            if (ref === 'AWS::Partition') return 'aws';
            if (ref === 'AWS::Region') return 'eu-west-1';
            if (ref === 'AWS::AccountId') return '123456789012';
            if (typeof part === 'string') return part;
            return '\u0000'; // another reference: never matches
          })
          .join('');
        return matchesLeadingKey(pattern, arn);
      });
    });
  }

  it.each(WEBHOOK_FUNCTIONS.map((d) => [d.name] as const))(
    '%s: may make every call the adapters make, on the resources create makes',
    (name) => {
      const statements = functionStatements(dev, name);
      for (const { call, action, arn } of CALLS) expect(allows(statements, action, arn), `${call}: ${action} on ${arn}`).toBe(true);
    },
  );

  it('delete-webhook can remove every kind of resource create-webhook makes (a connection and its secret, a destination, a rule and its target)', () => {
    const create = functionStatements(dev, 'create-webhook');
    const remove = functionStatements(dev, 'delete-webhook');
    const made = CALLS.filter(
      (c) => /^(CreateConnection|CreateApiDestination|PutRule|PutTargets)/.test(c.call) && !c.call.includes('its connection'),
    );
    const removal: Record<string, string> = {
      'events:CreateConnection': 'events:DeleteConnection',
      'secretsmanager:CreateSecret': 'secretsmanager:DeleteSecret',
      'events:CreateApiDestination': 'events:DeleteApiDestination',
      'events:PutRule': 'events:DeleteRule',
      'events:PutTargets': 'events:RemoveTargets',
    };
    expect(made.map((c) => c.action).sort()).toEqual(Object.keys(removal).sort());
    for (const { action, arn } of made) {
      expect(allows(create, action, arn), `create: ${action}`).toBe(true);
      expect(allows(remove, removal[action]!, arn), `delete: ${removal[action]} on ${arn}`).toBe(true);
    }
  });

  it("nothing outside the prefix: another deployment's or a hand-made connection, destination, rule or secret is out of reach", () => {
    const statements = functionStatements(dev, 'delete-webhook');
    for (const { action, arn } of CALLS.filter((c) => c.action !== 'events:ListRules')) {
      const foreign = arn.replace(PREFIX, 'pinrelay-prod-wh-');
      expect(allows(statements, action, foreign), `${action} on ${foreign}`).toBe(false);
    }
    expect(allows(statements, 'events:PutRule', ACCOUNT_ARN('events', 'rule/default/my-own-rule'))).toBe(false);
    expect(
      allows(statements, 'secretsmanager:DeleteSecret', ACCOUNT_ARN('secretsmanager', 'secret:pinrelay/dev/accounts/t/a-AbCdEf')),
    ).toBe(false);
  });

  it('no other function may manage webhooks or pass the target role', () => {
    for (const def of DEFINITIONS.filter((d) => !d.access.includes('webhooks:manage'))) {
      const actions = functionStatements(dev, def.name).flatMap(actionsOf);
      expect(
        actions.filter((a) =>
          /^events:(Create|Delete|Update|Put(Rule|Targets)|RemoveTargets|ListRules)|^iam:PassRole|^secretsmanager:DeleteSecret/.test(a),
        ),
        def.name,
      ).toEqual([]);
    }
  });
});
