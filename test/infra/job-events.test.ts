import { beforeAll, describe, expect, it } from 'vitest';
import { FUNCTIONS, type FunctionDefinition } from '../../definitions/functions.ts';
import { at, resourcesOfType, roleStatements, statementsOf, synthPinrelay, type Synthesized } from './support.ts';

/**
 * Job events (docs/adr/0001-outbox-for-enqueue.md): the outbox relay and sweeper put them on the stateful
 * stack's bus, with PutEvents on that bus and nothing else; the event schema is a public document.
 */
const PUBLISHERS = ['relay-outbox', 'sweep-outbox'] as const;

let dev: Synthesized;

beforeAll(() => {
  dev = synthPinrelay({ stage: 'dev' });
});

const logicalId = (construct: { node: { defaultChild?: unknown } }) => dev.stateless.getLogicalId(construct.node.defaultChild as never);
const fn = (name: string) => dev.stateless.functions.get(name as never)!;
const variables = (name: string) =>
  (
    dev.statelessTemplate.toJSON().Resources[logicalId(fn(name).function)] as {
      Properties: { Environment: { Variables: Record<string, unknown> } };
    }
  ).Properties.Environment.Variables;
const statements = (name: string) => roleStatements(dev.statelessTemplate, logicalId(fn(name).role));
const putEvents = (name: string) => statements(name).filter((s) => JSON.stringify(s.Action).includes('events:PutEvents'));

describe('job events', () => {
  it("the bus is the stateful stack's JobEvents bus", () => {
    const [bus] = resourcesOfType(dev.statefulTemplate, 'AWS::Events::EventBus');
    expect(bus?.id).toMatch(/^JobEvents/);
  });

  it.each(PUBLISHERS)('%s has events:put: EVENT_BUS_NAME and PutEvents on that bus only', (name) => {
    expect((FUNCTIONS as readonly FunctionDefinition[]).find((d) => d.name === name)!.access).toContain('events:put');
    expect(JSON.stringify(variables(name).EVENT_BUS_NAME)).toMatch(/ExportsOutputRefJobEvents/);
    expect(putEvents(name)).toEqual([
      { Effect: 'Allow', Action: 'events:PutEvents', Resource: { 'Fn::ImportValue': expect.stringMatching(/JobEvents.*Arn/) } },
    ]);
  });

  it('nothing may put events on any other bus, or on "*"', () => {
    for (const statement of resourcesOfType(dev.statelessTemplate, 'AWS::IAM::Policy').flatMap((p) => statementsOf(p.props))) {
      if (!JSON.stringify(statement.Action).includes('events:PutEvents')) continue;
      expect(JSON.stringify(statement.Resource)).toMatch(/JobEvents.*Arn/);
    }
  });

  it('GET /v1/events/schema.json is a public method backed by get-event-schema, which has no access at all', () => {
    const methods = resourcesOfType(dev.statelessTemplate, 'AWS::ApiGateway::Method').filter((m) => m.props.HttpMethod === 'GET');
    const schema = methods.filter((m) =>
      JSON.stringify(at(m.props, 'Integration', 'Uri')).includes(logicalId(fn('get-event-schema').function)),
    );
    expect(schema).toHaveLength(1);
    expect(schema[0]!.props.AuthorizationType).toBe('NONE');
    expect(statements('get-event-schema').flatMap((s) => [s.Action].flat())).not.toContain('events:PutEvents');
    expect(Object.keys(variables('get-event-schema'))).not.toContain('EVENT_BUS_NAME');
  });
});
