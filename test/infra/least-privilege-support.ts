import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import type { Stack } from 'aws-cdk-lib';
import { grantsFor, type Grant, type GrantCondition, type GrantResource } from '../../definitions/access-grants.ts';
import { QUEUES } from '../../definitions/queues.ts';
import { webhookNamePrefix } from '../../definitions/webhooks.ts';
import { at, resourcesOfType, statementsOf, type PolicyStatement, type Props, type Synthesized } from './support.ts';

/**
 * Reading IAM out of the synthesized templates for test/infra/least-privilege.test.ts: every statement is
 * flattened into atoms, "action resource [when condition]", with references rendered as the names the grant
 * catalogue (definitions/access-grants.ts) uses, so a role and the catalogue can be compared as sets.
 */

const ROOT = path.resolve(import.meta.dirname, '../..');

/** An atom: one action on one resource under one condition. */
export function atom(action: string, resource: string, condition?: unknown): string {
  return condition === undefined ? `${action} ${resource}` : `${action} ${resource} when ${canonical(condition)}`;
}

function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    return `{${Object.keys(value)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${canonical((value as Record<string, unknown>)[key])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
}

/**
 * Renders CloudFormation values of one stage's two templates: stateful resources by their catalogue name
 * (JobsTable, PublishQueue, EncryptionKey, …), cross-stack imports through the stateful stack's exports,
 * each function's log group as `LogGroup:<function>`, pseudo parameters as `{AWS::Region}`. Anything it
 * does not know stays visible (`?<logical id>`), so an unexpected reference can never match the catalogue.
 */
export class TemplateNames {
  private readonly names = new Map<string, string>();
  private readonly exports = new Map<string, unknown>();

  constructor(s: Synthesized) {
    const { stateful, stateless } = s;
    const id = (stack: Stack, construct: { node: { defaultChild?: unknown } }) => stack.getLogicalId(construct.node.defaultChild as never);
    this.names.set(id(stateful, stateful.tables.jobsTable), 'JobsTable');
    this.names.set(id(stateful, stateful.tables.tenantsTable), 'TenantsTable');
    for (const def of QUEUES) this.names.set(id(stateful, stateful.queues.queues.get(def.logicalName)!), def.logicalName);
    this.names.set(id(stateful, stateful.accountSecrets.key), 'EncryptionKey');
    this.names.set(id(stateful, stateful.pinterestAppCredentials.secret), 'PinterestAppSecret');
    this.names.set(id(stateful, stateful.eventBus), 'JobEvents');
    this.names.set(id(stateful, stateful.webhooks.targetRole), 'WebhookTargetRole');
    for (const [name, fn] of stateless.functions) this.names.set(id(stateless, fn.logGroup), `LogGroup:${name}`);
    if (stateless.webConsole) this.names.set(id(stateless, stateless.webConsole.bucket), 'ConsoleBucket');
    const outputs = (s.statefulTemplate.toJSON() as { Outputs?: Record<string, { Value: unknown; Export?: { Name: string } }> }).Outputs;
    for (const output of Object.values(outputs ?? {})) if (output.Export) this.exports.set(output.Export.Name, output.Value);
  }

  render(value: unknown): unknown {
    if (Array.isArray(value)) return value.map((v) => this.render(v));
    if (value === null || typeof value !== 'object') return value;
    const record = value as Record<string, unknown>;
    const keys = Object.keys(record);
    if (keys.length === 1) {
      const [key] = keys as [string];
      const arg = record[key];
      if (key === 'Fn::ImportValue' && typeof arg === 'string') {
        return this.exports.has(arg) ? this.render(this.exports.get(arg)) : `?import:${arg}`;
      }
      if (key === 'Fn::GetAtt' && Array.isArray(arg)) {
        const name = this.names.get(String(arg[0])) ?? `?${String(arg[0])}`;
        return arg[1] === 'Arn' ? name : arg[1] === 'StreamArn' ? `${name}/stream` : `${name}.${String(arg[1])}`;
      }
      if (key === 'Ref' && typeof arg === 'string') {
        if (arg.startsWith('AWS::')) return `{${arg}}`;
        // A secret's Ref is its ARN; any other Ref stays marked.
        const name = this.names.get(arg);
        return name === 'PinterestAppSecret' ? name : `ref:${name ?? `?${arg}`}`;
      }
      if (key === 'Fn::Join' && Array.isArray(arg)) {
        return (arg[1] as unknown[]).map((part) => String(this.render(part))).join(String(arg[0]));
      }
      if (key === 'Fn::Sub' && typeof arg === 'string') return arg.replace(/\$\{(AWS::[A-Za-z]+)\}/g, '{$1}');
    }
    return Object.fromEntries(keys.map((k) => [k, this.render(record[k])]));
  }

  /** The atoms of a list of template statements (Allow only: anything else fails the comparison visibly). */
  atomsOf(statements: readonly PolicyStatement[]): string[] {
    return statements.flatMap((st) => {
      const raw = st as unknown as Props;
      if (st.Effect !== 'Allow' || 'NotAction' in raw || 'NotResource' in raw) return [`unexpected statement ${canonical(raw)}`];
      const condition = st.Condition === undefined ? undefined : this.render(st.Condition);
      return [st.Action]
        .flat()
        .flatMap((action) => [st.Resource].flat().map((resource) => atom(action, String(this.render(resource)), condition)));
    });
  }
}

/** How the catalogue's resources render in a stage's templates (the same spelling as TemplateNames). */
export function expectedResource(resource: GrantResource, stage: string, fn: string): string {
  const arn = (service: string, rest: string) => `arn:{AWS::Partition}:${service}:{AWS::Region}:{AWS::AccountId}:${rest}`;
  const prefix = webhookNamePrefix(stage);
  switch (resource) {
    case 'AccountSecrets':
      return arn('secretsmanager', `secret:pinrelay/${stage}/accounts/*`);
    case 'WebhookConnections':
      return arn('events', `connection/${prefix}*`);
    case 'WebhookApiDestinations':
      return arn('events', `api-destination/${prefix}*`);
    case 'WebhookRules':
      return arn('events', `rule/*/${prefix}*`);
    case 'AllRules':
      return arn('events', 'rule/*');
    case 'WebhookConnectionSecrets':
      return arn('secretsmanager', `secret:events!connection/${prefix}*`);
    case 'LogGroup':
      return `LogGroup:${fn}`;
    default:
      return resource;
  }
}

function expectedCondition(condition: GrantCondition): unknown {
  if ('viaService' in condition) return { StringEquals: { 'kms:ViaService': `${condition.viaService}.{AWS::Region}.amazonaws.com` } };
  if ('passedToService' in condition) return { StringEquals: { 'iam:PassedToService': condition.passedToService } };
  return {
    'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': condition.items.leadingKeys },
    ...(condition.items.attributes ? { 'ForAllValues:StringEquals': { 'dynamodb:Attributes': condition.items.attributes } } : {}),
    Null: { 'dynamodb:LeadingKeys': 'false' },
  };
}

/** The atoms the catalogue's grants come to for function `fn` in `stage`. */
export function expectedAtoms(grants: readonly Grant[], options: { stage: string; fn: string; customerManagedKey: boolean }): string[] {
  return grantsFor(grants, options).flatMap((grant) =>
    grant.actions.flatMap((action) =>
      grant.resources.map((resource) =>
        atom(
          action,
          expectedResource(resource, options.stage, options.fn),
          grant.condition === undefined ? undefined : expectedCondition(grant.condition),
        ),
      ),
    ),
  );
}

/** Every IAM role of a template with the statements of the policies attached to it (and only to it). */
export function rolesOf(template: Synthesized['statelessTemplate']): Array<{ id: string; props: Props; statements: PolicyStatement[] }> {
  const policies = resourcesOfType(template, 'AWS::IAM::Policy');
  return resourcesOfType(template, 'AWS::IAM::Role').map((role) => ({
    ...role,
    statements: [
      ...policies
        .filter((p) => JSON.stringify(at(p.props, 'Roles')).includes(JSON.stringify({ Ref: role.id })))
        .flatMap((p) => statementsOf(p.props)),
      ...((role.props.Policies as Props[] | undefined) ?? []).flatMap((p) => statementsOf(p)),
    ],
  }));
}

// ---- the code's side: which SDK commands the functions send ----

/** `new XCommand(` sent in a module. */
export function sendsCommand(module: string, command: string): boolean {
  const file = path.join(ROOT, module);
  return existsSync(file) && new RegExp(`\\bnew ${command}\\(`).test(readFileSync(file, 'utf8'));
}

/** Every module a handler bundles: relative imports followed from `lambdas/<name>/handler.ts`. */
export function modulesOf(handler: string): Set<string> {
  const seen = new Set<string>();
  const visit = (module: string) => {
    if (seen.has(module)) return;
    seen.add(module);
    const source = readFileSync(path.join(ROOT, module), 'utf8');
    for (const match of source.matchAll(/(?:^|\n)\s*(?:import|export)\b[^;]*?\bfrom\s+'(\.{1,2}\/[^']+)'/g)) {
      const target = path.relative(ROOT, path.resolve(path.dirname(path.join(ROOT, module)), match[1]!));
      if (existsSync(path.join(ROOT, target))) visit(target);
    }
  };
  visit(handler);
  return seen;
}
