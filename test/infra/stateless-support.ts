import { expect } from 'vitest';
import { FUNCTIONS, type FunctionDefinition } from '../../definitions/functions.ts';
import { constructIdFor } from '../../lib/stacks/stateless-stack.ts';
import {
  actionsOf,
  at,
  objectAt,
  resourcesOfType,
  roleStatements,
  synthPinrelay,
  type PolicyStatement,
  type Props,
  type Resource,
  type Synthesized,
} from './support.ts';

/**
 * What the stateless stack's tests share (stateless-stack, public-api, queue-consumers): the two stages they
 * synthesize and helpers over the synthesized template.
 */

export const DEFINITIONS = FUNCTIONS as readonly FunctionDefinition[];
export const API_ROUTES = DEFINITIONS.flatMap((def) =>
  def.trigger.kind === 'api' ? def.trigger.routes.map((route) => ({ def, route })) : [],
);
/** The table actions the code sends (definitions/access-grants.ts): a reader gets and queries, a writer also puts and updates. */
export const READ_ACTIONS = ['dynamodb:GetItem', 'dynamodb:Query'];
export const WRITE_ACTIONS = ['dynamodb:PutItem', 'dynamodb:UpdateItem'];

export interface StatelessStages {
  /** cdk.json's dev stage. */
  readonly dev: Synthesized;
  /** Stage `qa`, every setting these tests look at changed from its default. */
  readonly custom: Synthesized;
}

export function synthStatelessStages(): StatelessStages {
  return {
    dev: synthPinrelay({ stage: 'dev' }),
    custom: synthPinrelay({
      stage: 'qa',
      stages: {
        qa: {
          authorizerCacheSeconds: 0,
          apiThrottle: { rateLimit: 7, burstLimit: 3 },
          tenantLimits: { rateLimit: 4, burstLimit: 2, dailyQuota: 5000 },
          logRetentionDays: 14,
          pinterestTimeoutMs: 4000,
          workerMaxConcurrency: 20,
          pacing: { accountPerMinute: 6, appPerSecond: 2 },
          retry: { baseSeconds: 3, maxAttempts: 7 },
        },
      },
    }),
  };
}

// ---- helpers over the synthesized template ----

export function byName(name: string): FunctionDefinition {
  const def = DEFINITIONS.find((d) => d.name === name);
  if (!def) throw new Error(`no function ${name}`);
  return def;
}

export function logicalId(s: Synthesized, construct: { node: { defaultChild?: unknown } }): string {
  return s.stateless.getLogicalId(construct.node.defaultChild as never);
}

export function functionLogicalId(s: Synthesized, name: string): string {
  return logicalId(s, s.stateless.functions.get(name as never)!.function);
}

export function resourceProps(s: Synthesized, id: string): Props {
  return objectAt(s.statelessTemplate.toJSON(), 'Resources', id, 'Properties');
}

export function functionProps(s: Synthesized, def: FunctionDefinition): Props {
  expect(s.stateless.node.tryFindChild(constructIdFor(def.name))).toBeDefined();
  return resourceProps(s, functionLogicalId(s, def.name));
}

export function functionVariables(s: Synthesized, name: string): Props {
  return objectAt(functionProps(s, byName(name)), 'Environment', 'Variables');
}

export function roleProps(s: Synthesized, def: FunctionDefinition): Props {
  return resourceProps(s, logicalId(s, s.stateless.functions.get(def.name as never)!.role));
}

export function policyStatements(s: Synthesized, def: FunctionDefinition): PolicyStatement[] {
  return roleStatements(s.statelessTemplate, logicalId(s, s.stateless.functions.get(def.name as never)!.role));
}

export function allActions(s: Synthesized, name: string): string[] {
  return policyStatements(s, byName(name)).flatMap(actionsOf);
}

/** The resources (as JSON) of every statement of `name`'s role that allows `action`. */
export function resourcesAllowing(s: Synthesized, name: string, action: string): string[] {
  return policyStatements(s, byName(name))
    .filter((st) => actionsOf(st).includes(action))
    .flatMap((st) => (Array.isArray(st.Resource) ? st.Resource : [st.Resource]))
    .map((r) => JSON.stringify(r));
}

/** The one event source mapping of a function. */
export function mappingOf(s: Synthesized, name: string): Resource {
  const mappings = resourcesOfType(s.statelessTemplate, 'AWS::Lambda::EventSourceMapping').filter(
    (m) => JSON.stringify(m.props.FunctionName) === JSON.stringify({ Ref: functionLogicalId(s, name) }),
  );
  expect(mappings, `event source mappings of ${name}`).toHaveLength(1);
  return mappings[0]!;
}

/** The export name behind a cross-stack reference (`Fn::ImportValue`). */
export function importedFrom(value: unknown): string {
  const name = (value as { 'Fn::ImportValue'?: unknown } | undefined)?.['Fn::ImportValue'];
  expect(typeof name, `expected an Fn::ImportValue, got ${JSON.stringify(value)}`).toBe('string');
  return name as string;
}

export function dynamoActions(s: Synthesized, name: string): string[] {
  // Item actions only: stream reads belong to the event source.
  const stream = new Set(['dynamodb:ListStreams', 'dynamodb:DescribeStream', 'dynamodb:GetRecords', 'dynamodb:GetShardIterator']);
  return [...new Set(allActions(s, name).filter((a) => a.startsWith('dynamodb:') && !stream.has(a)))].sort();
}

/** The method for `METHOD /path`, resolving each AWS::ApiGateway::Resource's path from its parents. */
export function methodFor(s: Synthesized, httpMethod: string, path: string) {
  const resources = Object.fromEntries(resourcesOfType(s.statelessTemplate, 'AWS::ApiGateway::Resource').map((r) => [r.id, r.props]));
  const pathOf = (id: string): string => {
    const r = resources[id]!;
    const parent = at(r, 'ParentId', 'Ref');
    return `${typeof parent === 'string' ? pathOf(parent) : ''}/${r.PathPart}`;
  };
  return resourcesOfType(s.statelessTemplate, 'AWS::ApiGateway::Method').find((m) => {
    const resourceId = at(m.props, 'ResourceId', 'Ref');
    return m.props.HttpMethod === httpMethod && typeof resourceId === 'string' && pathOf(resourceId) === path;
  });
}
