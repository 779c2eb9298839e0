import { beforeAll, describe, expect, it } from 'vitest';
import { MAX_BODY_BYTES } from '../../lambdas/common/http.ts';
import { QUEUES } from '../../definitions/queues.ts';
import { TABLES } from '../../definitions/tables.ts';
import { webhookNamePrefix } from '../../definitions/webhooks.ts';
import { TemplateNames } from './least-privilege-support.ts';
import { at, cdkJsonContext, resourcesOfType, statementsOf, synthPinrelay, type Props, type Synthesized } from './support.ts';

/**
 * Data protection in the templates (docs/security.md): encryption at rest with the stage key when
 * `encryption.customerManagedKey` is on, AWS-managed encryption when it is off, the key policy that lets
 * EventBridge (and nobody else) use the key as a service, TLS-only queues, and the request size limits.
 * The roles' KMS grants themselves are held exactly by test/infra/least-privilege.test.ts.
 */

interface Stage {
  readonly s: Synthesized;
  readonly names: TemplateNames;
  readonly on: boolean;
}
const stages: Record<string, Stage> = {};
beforeAll(() => {
  const synth = (stage: string, stagesValue?: Record<string, unknown>) => {
    const s = synthPinrelay({ stage, ...(stagesValue ? { stages: stagesValue } : {}) });
    return { s, names: new TemplateNames(s), on: s.config.settings.encryption.customerManagedKey };
  };
  stages.dev = synth('dev');
  stages.prod = synth('prod');
  // The key's removal policy follows the stage: a customer-managed key in a destroyable stage.
  stages.qa = synth('qa', { qa: { removalPolicy: 'destroy', encryption: { customerManagedKey: true } } });
});

const resourceOf = (st: Stage, construct: { node: { defaultChild?: unknown } }) =>
  at(st.s.statefulTemplate.toJSON(), 'Resources', st.s.stateful.getLogicalId(construct.node.defaultChild as never)) as Props;
const propsOf = (st: Stage, construct: { node: { defaultChild?: unknown } }) => resourceOf(st, construct).Properties as Props;

describe.each(['dev', 'prod', 'qa'])('encryption at rest, stage %s', (name) => {
  it('one KMS key in the whole deployment, rotation on, kept or deleted as the stage says', () => {
    const st = stages[name]!;
    st.s.statefulTemplate.resourceCountIs('AWS::KMS::Key', 1);
    st.s.statelessTemplate.resourceCountIs('AWS::KMS::Key', 0);
    const key = resourceOf(st, st.s.stateful.encryptionKey);
    expect(key.Properties).toMatchObject({ EnableKeyRotation: true });
    expect(key.DeletionPolicy).toBe(st.s.config.settings.removalPolicy === 'retain' ? 'Retain' : 'Delete');
  });

  it('the secrets are always under the stage key', () => {
    const st = stages[name]!;
    for (const secret of resourcesOfType(st.s.statefulTemplate, 'AWS::SecretsManager::Secret')) {
      expect(st.names.render(secret.props.KmsKeyId), secret.id).toBe('EncryptionKey');
    }
  });

  it('both tables: the stage key when on, the AWS-managed key when off', () => {
    const st = stages[name]!;
    for (const def of TABLES) {
      const sse = st.names.render(propsOf(st, st.s.stateful.tables.tables.get(def.logicalName)!).SSESpecification);
      expect(sse, def.logicalName).toEqual(
        st.on ? { KMSMasterKeyId: 'EncryptionKey', SSEEnabled: true, SSEType: 'KMS' } : { SSEEnabled: true },
      );
    }
  });

  it('every queue (FIFO, standard, every DLQ): the stage key when on, SSE-SQS when off', () => {
    const st = stages[name]!;
    for (const def of QUEUES) {
      const props = propsOf(st, st.s.stateful.queues.queues.get(def.logicalName)!);
      if (st.on) {
        expect(st.names.render(props.KmsMasterKeyId), def.logicalName).toBe('EncryptionKey');
        expect(props).not.toHaveProperty('SqsManagedSseEnabled');
      } else {
        expect(props.SqsManagedSseEnabled, def.logicalName).toBe(true);
        expect(props).not.toHaveProperty('KmsMasterKeyId');
      }
    }
  });

  it("the event bus: the stage key when on, EventBridge's own key when off", () => {
    const st = stages[name]!;
    const bus = propsOf(st, st.s.stateful.eventBus);
    if (st.on) expect(st.names.render(bus.KmsKeyIdentifier)).toBe('EncryptionKey');
    else expect(bus).not.toHaveProperty('KmsKeyIdentifier');
  });

  it('the key policy: the account (IAM decides), Secrets Manager for the account, and EventBridge only for this bus and these rules', () => {
    const st = stages[name]!;
    const policy = st.names.render(statementsOf(propsOf(st, st.s.stateful.encryptionKey), 'KeyPolicy')) as Props[];
    const bus = `arn:{AWS::Partition}:events:{AWS::Region}:{AWS::AccountId}:event-bus/${String(propsOf(st, st.s.stateful.eventBus).Name)}`;
    const root = { AWS: 'arn:{AWS::Partition}:iam::{AWS::AccountId}:root' };
    const expected: Props[] = [
      { Action: 'kms:*', Effect: 'Allow', Principal: root, Resource: '*' },
      // Added by the Secret constructs: the account's principals may use the key through Secrets Manager (IAM still decides who).
      {
        Action: ['kms:CreateGrant', 'kms:Decrypt', 'kms:DescribeKey', 'kms:Encrypt', 'kms:GenerateDataKey*', 'kms:ReEncrypt*'],
        Condition: { StringEquals: { 'kms:ViaService': 'secretsmanager.{AWS::Region}.amazonaws.com' } },
        Effect: 'Allow',
        Principal: root,
        Resource: '*',
      },
    ];
    if (st.on) {
      expected.push(
        {
          // The bus: EventBridge encrypts and matches events of this bus only.
          Action: ['kms:Decrypt', 'kms:DescribeKey', 'kms:GenerateDataKey'],
          Condition: {
            StringEquals: {
              'aws:SourceAccount': '{AWS::AccountId}',
              'aws:SourceArn': bus,
              'kms:EncryptionContext:aws:events:event-bus:arn': bus,
            },
          },
          Effect: 'Allow',
          Principal: { Service: 'events.amazonaws.com' },
          Resource: '*',
        },
        {
          // The webhook DLQ: EventBridge puts failed deliveries of this deployment's rules into an SSE-KMS queue.
          Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
          Condition: {
            ArnLike: { 'aws:SourceArn': `arn:{AWS::Partition}:events:{AWS::Region}:{AWS::AccountId}:rule/*/${webhookNamePrefix(name)}*` },
            StringEquals: { 'aws:SourceAccount': '{AWS::AccountId}' },
          },
          Effect: 'Allow',
          Principal: { Service: 'events.amazonaws.com' },
          Resource: '*',
          Sid: 'WebhookTargetsDeadLetter',
        },
      );
    }
    const order = (list: Props[]) => [...list].sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
    expect(order(policy)).toEqual(order(expected));
  });

  it('every KMS grant on a role is scoped to one service (kms:ViaService), and table and queue grants exist only with the key', () => {
    const st = stages[name]!;
    const services = new Set<string>();
    for (const policy of resourcesOfType(st.s.statelessTemplate, 'AWS::IAM::Policy')) {
      for (const statement of statementsOf(policy.props)) {
        if (![statement.Action].flat().some((a) => a.startsWith('kms:'))) continue;
        const via = st.names.render(at(statement.Condition, 'StringEquals', 'kms:ViaService'));
        expect(via, `${policy.id}: ${JSON.stringify(statement.Action)}`).toMatch(/^[a-z]+\.\{AWS::Region\}\.amazonaws\.com$/);
        services.add(String(via).split('.')[0]!);
      }
    }
    expect([...services].sort()).toEqual(st.on ? ['dynamodb', 'secretsmanager', 'sqs'] : ['secretsmanager']);
  });
});

it('switching the key on or off keeps every logical id and export: tables, queues, bus and key are updated, not replaced', () => {
  const prod = (cdkJsonContext()['pinrelay:stages'] as Record<string, Props>).prod!;
  const off = synthPinrelay({ stage: 'prod', stages: { prod: { ...prod, encryption: { customerManagedKey: false } } } });
  const ids = (t: Synthesized['statefulTemplate']) => Object.keys((t.toJSON() as { Resources: Props }).Resources).sort();
  expect(off.config.settings.encryption.customerManagedKey).toBe(false);
  expect(ids(stages.prod!.s.statefulTemplate)).toEqual(ids(off.statefulTemplate));
  expect(ids(stages.prod!.s.statelessTemplate)).toEqual(ids(off.statelessTemplate));
  // The functions' new grants name only what the stateful stack already exports (the key's ARN, for the
  // secrets): the stateless stack can take them before the stateful stack switches (docs/security.md).
  const exports = (t: Synthesized['statefulTemplate']) =>
    Object.values((t.toJSON() as { Outputs: Record<string, { Export?: { Name: string } }> }).Outputs)
      .flatMap((o) => (o.Export ? [o.Export.Name] : []))
      .sort();
  expect(exports(stages.prod!.s.statefulTemplate)).toEqual(exports(off.statefulTemplate));
});

describe('TLS only', () => {
  it.each(['dev', 'prod'])('%s: every queue, the webhook DLQ included, denies any request without TLS', (name) => {
    const st = stages[name]!;
    const policies = resourcesOfType(st.s.statefulTemplate, 'AWS::SQS::QueuePolicy');
    for (const def of QUEUES) {
      const queueId = st.s.stateful.getLogicalId(st.s.stateful.queues.queues.get(def.logicalName)!.node.defaultChild as never);
      const attached = policies.filter((p) => JSON.stringify(p.props.Queues) === JSON.stringify([{ Ref: queueId }]));
      expect(attached, def.logicalName).toHaveLength(1);
      expect(st.names.render(statementsOf(attached[0]!.props))).toContainEqual({
        Action: 'sqs:*',
        Condition: { Bool: { 'aws:SecureTransport': 'false' } },
        Effect: 'Deny',
        Principal: { AWS: '*' },
        Resource: def.logicalName,
      });
    }
    expect(policies).toHaveLength(QUEUES.length);
  });

  it.each(['dev', 'prod'])('%s: the alarm topic denies publishing without TLS; the bus and the secrets have no resource policy', (name) => {
    const st = stages[name]!;
    const topicPolicies = resourcesOfType(st.s.statefulTemplate, 'AWS::SNS::TopicPolicy');
    expect(topicPolicies.flatMap((p) => statementsOf(p.props)).filter((s) => s.Effect === 'Deny')).toEqual([
      expect.objectContaining({ Effect: 'Deny', Action: 'sns:Publish', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
    ]);
    // Their APIs are HTTPS-only endpoints: nothing to deny (docs/security.md).
    st.s.statefulTemplate.resourceCountIs('AWS::Events::EventBusPolicy', 0);
    st.s.statefulTemplate.resourceCountIs('AWS::SecretsManager::ResourcePolicy', 0);
  });
});

describe('request size limits', () => {
  it("the app's body limit (413 above it) sits under Lambda's 6 MB invocation payload and API Gateway's 10 MB", () => {
    expect(MAX_BODY_BYTES).toBe(256 * 1024);
    expect(MAX_BODY_BYTES).toBeLessThan(6 * 1024 * 1024);
  });
});
