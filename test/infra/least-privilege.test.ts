import { beforeAll, describe, expect, it } from 'vitest';
import { ACCESS_GRANTS, EVERY_FUNCTION_GRANTS, TRIGGER_GRANTS, type Grant } from '../../definitions/access-grants.ts';
import { ACCESS_KINDS, type Access } from '../../definitions/access.ts';
import { FUNCTIONS, type FunctionDefinition } from '../../definitions/functions.ts';
import { webhookNamePrefix } from '../../definitions/webhooks.ts';
import { expectedAtoms, expectedResource, modulesOf, rolesOf, sendsCommand, TemplateNames } from './least-privilege-support.ts';
import { statementsOf, synthPinrelay, type Synthesized } from './support.ts';

/**
 * Least privilege, held as an invariant: every IAM role of both stacks, in both cdk.json stages (dev with
 * AWS-managed encryption, prod with the stage key), holds exactly what the grant catalogue
 * (definitions/access-grants.ts) gives it — the grants of the function's access kinds, of its trigger and
 * of every function — and nothing else: no extra action, no extra resource, no wildcard the catalogue does
 * not explain. And the catalogue itself is held to the code: every action it grants is needed by an SDK
 * command that a function with that access really sends (or by an AWS service acting with the role).
 */

const DEFINITIONS = FUNCTIONS as readonly FunctionDefinition[];

/**
 * What each SDK command the functions send needs, as AWS documents it: the API action, what the service
 * does in the caller's name (EventBridge keeps a connection's secret, PutTargets passes the target role),
 * and the KMS operations the service makes for the caller under a customer-managed key (DynamoDB decrypts
 * the table key; SQS producers generate and decrypt data keys; Secrets Manager generates a data key per
 * value written, decrypts to read, and validates a new secret's key with both).
 */
const COMMAND_NEEDS: Readonly<Record<string, { readonly service: string; readonly actions: readonly string[] }>> = {
  GetCommand: { service: 'dynamodb', actions: ['dynamodb:GetItem', 'kms:Decrypt'] },
  QueryCommand: { service: 'dynamodb', actions: ['dynamodb:Query', 'kms:Decrypt'] },
  PutCommand: { service: 'dynamodb', actions: ['dynamodb:PutItem', 'kms:Decrypt'] },
  UpdateCommand: { service: 'dynamodb', actions: ['dynamodb:UpdateItem', 'kms:Decrypt'] },
  DeleteCommand: { service: 'dynamodb', actions: ['dynamodb:DeleteItem', 'kms:Decrypt'] },
  SendMessageCommand: { service: 'sqs', actions: ['sqs:SendMessage', 'kms:GenerateDataKey', 'kms:Decrypt'] },
  PutEventsCommand: { service: 'events', actions: ['events:PutEvents'] },
  GetSecretValueCommand: { service: 'secretsmanager', actions: ['secretsmanager:GetSecretValue', 'kms:Decrypt'] },
  PutSecretValueCommand: { service: 'secretsmanager', actions: ['secretsmanager:PutSecretValue', 'kms:GenerateDataKey'] },
  // With Tags (tenant, account) and a KmsKeyId.
  CreateSecretCommand: {
    service: 'secretsmanager',
    actions: ['secretsmanager:CreateSecret', 'secretsmanager:TagResource', 'kms:GenerateDataKey', 'kms:Decrypt'],
  },
  CreateConnectionCommand: { service: 'events', actions: ['events:CreateConnection', 'secretsmanager:CreateSecret'] },
  UpdateConnectionCommand: {
    service: 'events',
    actions: ['events:UpdateConnection', 'secretsmanager:PutSecretValue', 'secretsmanager:UpdateSecret'],
  },
  DeleteConnectionCommand: {
    service: 'events',
    actions: ['events:DeleteConnection', 'secretsmanager:DeleteSecret', 'secretsmanager:DescribeSecret'],
  },
  CreateApiDestinationCommand: { service: 'events', actions: ['events:CreateApiDestination'] },
  DeleteApiDestinationCommand: { service: 'events', actions: ['events:DeleteApiDestination'] },
  PutRuleCommand: { service: 'events', actions: ['events:PutRule'] },
  PutTargetsCommand: { service: 'events', actions: ['events:PutTargets', 'iam:PassRole'] },
  RemoveTargetsCommand: { service: 'events', actions: ['events:RemoveTargets'] },
  DeleteRuleCommand: { service: 'events', actions: ['events:DeleteRule'] },
  ListRulesCommand: { service: 'events', actions: ['events:ListRules'] },
};

const stages: Record<string, { s: Synthesized; names: TemplateNames; customerManagedKey: boolean }> = {};
beforeAll(() => {
  for (const stage of ['dev', 'prod']) {
    const s = synthPinrelay({ stage });
    stages[stage] = { s, names: new TemplateNames(s), customerManagedKey: s.config.settings.encryption.customerManagedKey };
  }
});

const sorted = (atoms: readonly string[]) => [...new Set(atoms)].sort();

function functionRole(stage: string, def: FunctionDefinition) {
  const { s } = stages[stage]!;
  const id = s.stateless.getLogicalId(s.stateless.functions.get(def.name as never)!.role.node.defaultChild as never);
  const role = rolesOf(s.statelessTemplate).find((r) => r.id === id);
  if (!role) throw new Error(`no role ${id} for ${def.name}`);
  return role;
}

function catalogueAtoms(stage: string, def: FunctionDefinition): string[] {
  const grants: Grant[] = [...EVERY_FUNCTION_GRANTS, ...TRIGGER_GRANTS[def.trigger.kind], ...def.access.flatMap((a) => ACCESS_GRANTS[a])];
  return sorted(expectedAtoms(grants, { stage, fn: def.name, customerManagedKey: stages[stage]!.customerManagedKey }));
}

describe.each(['dev', 'prod'])('least privilege, stage %s', (stage) => {
  it('the stages differ where they should: prod encrypts with the stage key, dev does not', () => {
    expect({ dev: false, prod: true }[stage]).toBe(stages[stage]!.customerManagedKey);
  });

  it.each(DEFINITIONS.map((d) => [d.name, d] as const))(
    "%s: its role holds exactly its access kinds', trigger's and every function's grants",
    (_name, def) => {
      const { names } = stages[stage]!;
      const role = functionRole(stage, def);
      expect(role.props.ManagedPolicyArns, 'no managed policy on a function role').toBeUndefined();
      expect(sorted(names.atomsOf(role.statements))).toEqual(catalogueAtoms(stage, def));
    },
  );

  it('function roles can be assumed by Lambda only', () => {
    for (const def of DEFINITIONS) {
      expect(statementsOf(functionRole(stage, def).props, 'AssumeRolePolicyDocument'), def.name).toEqual([
        { Action: 'sts:AssumeRole', Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' } },
      ]);
    }
  });

  it('the only other roles: the webhook target role, the API access-log role and the console deployment role', () => {
    const { s, names } = stages[stage]!;
    const functionRoles = new Set(DEFINITIONS.map((def) => functionRole(stage, def).id));
    const others = [...rolesOf(s.statefulTemplate), ...rolesOf(s.statelessTemplate).filter((r) => !functionRoles.has(r.id))];
    const summary = others.map((r) => ({
      id: r.id.replace(/[0-9A-F]{8}$/, ''),
      managed: names.render(r.props.ManagedPolicyArns ?? []),
      atoms: sorted(names.atomsOf(r.statements)),
    }));
    // The console's BucketDeployment handler (lib/constructs/web-console.ts): CDK's own read grant on the CDK asset
    // bucket (the build's zip) and read-write grant on the console bucket, which holds nothing but the build.
    const assets = 'arn:{AWS::Partition}:s3:::cdk-hnb659fds-assets-{AWS::AccountId}-{AWS::Region}';
    const read = ['s3:GetBucket*', 's3:GetObject*', 's3:List*'];
    const write = ['s3:Abort*', 's3:DeleteObject*', 's3:PutObject', 's3:PutObjectLegalHold', 's3:PutObjectRetention'];
    const tagging = ['s3:PutObjectTagging', 's3:PutObjectVersionTagging'];
    const onBoth = (actions: string[], bucket: string) => actions.flatMap((a) => [`${a} ${bucket}`, `${a} ${bucket}/*`]);
    expect(summary.sort((a, b) => a.id.localeCompare(b.id))).toEqual([
      {
        id: 'CustomCDKBucketDeployment8693BB64968944B69AAFB0CC9EB8756CServiceRole',
        managed: ['arn:{AWS::Partition}:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole'],
        atoms: sorted([...onBoth(read, assets), ...onBoth([...read, ...write, ...tagging], 'ConsoleBucket')]),
      },
      {
        // API Gateway's account-level CloudWatch role for the access log: AWS's managed policy, nothing else.
        id: 'PublicApiRestApiCloudWatchRole',
        managed: ['arn:{AWS::Partition}:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs'],
        atoms: [],
      },
      {
        id: 'WebhooksTargetRole',
        managed: [],
        atoms: [`events:InvokeApiDestination ${expectedResource('WebhookApiDestinations', stage, '')}`],
      },
    ]);
    const target = others.find((r) => r.id.startsWith('WebhooksTargetRole'))!;
    expect(names.render(statementsOf(target.props, 'AssumeRolePolicyDocument'))).toEqual([
      {
        Action: 'sts:AssumeRole',
        Condition: { StringEquals: { 'aws:SourceAccount': '{AWS::AccountId}' } },
        Effect: 'Allow',
        Principal: { Service: 'events.amazonaws.com' },
      },
    ]);
  });

  it('a "*" resource only where the catalogue says why: X-Ray on every function, ListStreams on the relay', () => {
    const { s, names } = stages[stage]!;
    const wildcards = rolesOf(s.statelessTemplate)
      .flatMap((r) => names.atomsOf(r.statements).map((a) => [r.id.replace(/Role[0-9A-F]{8}$/, ''), a] as const))
      .filter(([, a]) => a.split(' ')[1] === '*');
    expect(sorted(wildcards.map(([, a]) => a))).toEqual([
      'dynamodb:ListStreams *',
      'xray:PutTelemetryRecords *',
      'xray:PutTraceSegments *',
    ]);
    expect(sorted(wildcards.filter(([, a]) => a.startsWith('dynamodb:')).map(([role]) => role))).toEqual(['RelayOutbox']);
  });
});

describe('the grant catalogue is held to the code', () => {
  const handlersWith = (access: Access) => DEFINITIONS.filter((d) => (d.access as readonly string[]).includes(access));
  const reachable = new Map<Access, Set<string>>();
  const modulesFor = (access: Access) => {
    let found = reachable.get(access);
    if (!found) {
      found = new Set(handlersWith(access).flatMap((d) => [...modulesOf(`lambdas/${d.name}/handler.ts`)]));
      reachable.set(access, found);
    }
    return found;
  };

  it.each(ACCESS_KINDS.map((a) => [a] as const))('%s: every action is needed by a command its functions send', (access) => {
    for (const grant of ACCESS_GRANTS[access]) {
      const commands = grant.neededBy.flatMap((need) => ('command' in need ? [need] : []));
      expect(commands, `${access}: ${grant.actions.join(', ')} names the commands that need it`).toHaveLength(grant.neededBy.length);
      for (const { command, module } of commands) {
        const needs = COMMAND_NEEDS[command];
        expect(needs, `${command}: what it needs is written in COMMAND_NEEDS`).toBeDefined();
        expect(sendsCommand(module, command), `${module} sends ${command}`).toBe(true);
        expect(modulesFor(access).has(module), `${module} is bundled by a function with ${access}`).toBe(true);
        // A command listed must need something the grant gives (no stale evidence).
        expect(
          grant.actions.filter((a) => needs!.actions.includes(a)),
          `${command} needs one of ${grant.actions.join(', ')}`,
        ).not.toEqual([]);
        if (grant.condition && 'viaService' in grant.condition) expect(needs!.service).toBe(grant.condition.viaService);
      }
      for (const action of grant.actions) {
        expect(
          commands.some(({ command }) => COMMAND_NEEDS[command]?.actions.includes(action)),
          `${access}: ${action} on ${grant.resources.join(', ')} is needed by none of ${commands.map((c) => c.command).join(', ')}`,
        ).toBe(true);
      }
    }
  });

  it('every access kind that reaches a resource is used by a function (no grant without a holder)', () => {
    const used = new Set(DEFINITIONS.flatMap((d) => d.access as readonly string[]));
    for (const access of ACCESS_KINDS) if (ACCESS_GRANTS[access].length > 0) expect(used.has(access), access).toBe(true);
  });

  it('grants needed by AWS services (event sources, destinations, logging, tracing) cite the AWS documentation', () => {
    for (const grant of [...EVERY_FUNCTION_GRANTS, ...Object.values(TRIGGER_GRANTS).flat()]) {
      for (const need of grant.neededBy) {
        expect('doc' in need ? need.doc : '', grant.actions.join(', ')).toMatch(/^https:\/\/docs\.aws\.amazon\.com\//);
      }
    }
  });

  it('the webhook prefix the grants are scoped to is the deployment one', () => {
    // The catalogue names WebhookConnections etc.; the stack renders them under webhookNamePrefix(stage).
    const connections = stages.dev!.names.atomsOf(functionRole('dev', DEFINITIONS.find((d) => d.name === 'create-webhook')!).statements);
    expect(connections.some((a) => a.includes(`connection/${webhookNamePrefix('dev')}*`))).toBe(true);
    expect(connections.some((a) => a.includes(`connection/${webhookNamePrefix('prod')}*`))).toBe(false);
  });
});
