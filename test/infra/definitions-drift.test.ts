import { beforeAll, describe, expect, it } from 'vitest';
import { QUEUES, localQueueName } from '../../lib/definitions/queues.ts';
import { TABLES } from '../../lib/definitions/tables.ts';
import { createQueueAttributes, createTableInput } from '../../local/provision.ts';
import { resourcesOfType, synthPinrelay, type Synthesized } from './support.ts';

/**
 * Local mode must create the same tables and queues as the deployed stack (issue: "no drift: test it").
 * Both are built from lib/definitions; this compares what local/provision.ts sends to the emulators
 * with what the synthesized CloudFormation template declares, property by property.
 */
let synth: Synthesized;
beforeAll(() => {
  synth = synthPinrelay();
});

const byLogicalName = <T extends { id: string }>(resources: T[], logicalName: string): T => {
  const matches = resources.filter((r) => new RegExp(`${logicalName}[0-9A-F]{8}$`).test(r.id));
  expect(matches, `exactly one resource for ${logicalName}`).toHaveLength(1);
  return matches[0]!;
};

const sortBy = <T>(items: T[] | undefined, key: (t: T) => string) => [...(items ?? [])].sort((a, b) => key(a).localeCompare(key(b)));

describe('local tables match the deployed tables', () => {
  it.each(TABLES.map((t) => [t.logicalName, t] as const))('%s', (logicalName, def) => {
    const deployed = byLogicalName(resourcesOfType(synth.statefulTemplate, 'AWS::DynamoDB::Table'), logicalName).props;
    const local = createTableInput(def);

    expect(local.KeySchema).toEqual(deployed['KeySchema']);
    expect(sortBy(local.AttributeDefinitions, (a) => a.AttributeName!)).toEqual(
      sortBy(deployed['AttributeDefinitions'] as { AttributeName: string }[], (a) => a.AttributeName),
    );
    expect(local.BillingMode).toBe(deployed['BillingMode']);
    const deployedIndexes = (deployed['GlobalSecondaryIndexes'] ?? []) as { IndexName: string; KeySchema: unknown; Projection: unknown }[];
    expect(sortBy(local.GlobalSecondaryIndexes, (i) => i.IndexName!).map((i) => ({ IndexName: i.IndexName, KeySchema: i.KeySchema, Projection: i.Projection }))).toEqual(
      sortBy(deployedIndexes, (i) => i.IndexName).map((i) => ({ IndexName: i.IndexName, KeySchema: i.KeySchema, Projection: i.Projection })),
    );
    expect(local.StreamSpecification?.StreamViewType).toBe((deployed['StreamSpecification'] as { StreamViewType?: string } | undefined)?.StreamViewType);
    // Local mode enables TTL with UpdateTimeToLive on the definition's attribute.
    expect(def.timeToLiveAttribute).toBe((deployed['TimeToLiveSpecification'] as { AttributeName?: string } | undefined)?.AttributeName);
  });

  it('covers every table of the stack', () => {
    expect(resourcesOfType(synth.statefulTemplate, 'AWS::DynamoDB::Table')).toHaveLength(TABLES.length);
  });
});

describe('local queues match the deployed queues', () => {
  it.each(QUEUES.map((q) => [q.logicalName, q] as const))('%s', (logicalName, def) => {
    const queues = resourcesOfType(synth.statefulTemplate, 'AWS::SQS::Queue');
    const deployed = byLogicalName(queues, logicalName).props;
    const local = createQueueAttributes(def, (target) => `arn:local:${target}`);

    expect(localQueueName(def).endsWith('.fifo')).toBe(deployed['FifoQueue'] === true);
    expect(local['FifoQueue'] === 'true').toBe(deployed['FifoQueue'] === true);
    expect(local['ContentBasedDeduplication']).toBe(deployed['FifoQueue'] ? String(deployed['ContentBasedDeduplication']) : undefined);
    expect(local['DeduplicationScope']).toBe(deployed['DeduplicationScope']);
    expect(local['FifoThroughputLimit']).toBe(deployed['FifoThroughputLimit']);
    expect(local['VisibilityTimeout']).toBe(String(deployed['VisibilityTimeout']));
    expect(local['MessageRetentionPeriod']).toBe(String(deployed['MessageRetentionPeriod']));

    const deployedRedrive = deployed['RedrivePolicy'] as { maxReceiveCount: number; deadLetterTargetArn: { 'Fn::GetAtt': [string, string] } } | undefined;
    if (!deployedRedrive) {
      expect(local['RedrivePolicy']).toBeUndefined();
      return;
    }
    const localRedrive = JSON.parse(local['RedrivePolicy']!) as { maxReceiveCount: number; deadLetterTargetArn: string };
    expect(localRedrive.maxReceiveCount).toBe(deployedRedrive.maxReceiveCount);
    const deployedTarget = deployedRedrive.deadLetterTargetArn['Fn::GetAtt'][0];
    expect(deployedTarget).toMatch(new RegExp(`${localRedrive.deadLetterTargetArn.replace('arn:local:', '')}[0-9A-F]{8}$`));
  });

  it('covers every queue of the stack', () => {
    expect(resourcesOfType(synth.statefulTemplate, 'AWS::SQS::Queue')).toHaveLength(QUEUES.length);
  });
});
