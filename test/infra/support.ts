import { readFileSync } from 'node:fs';
import { App, Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { createPinrelayStacks, type PinrelayStacks } from '../../lib/stacks/pinrelay.ts';

/** cdk.json's context: the same feature flags and stages `cdk synth` uses. */
export function cdkJsonContext(): Record<string, unknown> {
  const cdkJson = JSON.parse(readFileSync(new URL('../../cdk.json', import.meta.url), 'utf8')) as {
    context: Record<string, unknown>;
  };
  return cdkJson.context;
}

export interface SynthOptions {
  /** `pinrelay:stage`. @default 'dev' */
  readonly stage?: string;
  /** Replaces cdk.json's `pinrelay:stages`. */
  readonly stages?: Record<string, unknown>;
  /** Register cdk-nag exactly as bin/app.ts does. @default false */
  readonly nag?: boolean;
  /** CDK's built-in CloudFormation template validation (slow; the nag test turns it on). @default false */
  readonly cloudFormationValidation?: boolean;
  /** Stacks whose functions are really bundled with esbuild. @default [] (no bundling) */
  readonly bundlingStacks?: string[];
}

export interface Synthesized extends PinrelayStacks {
  readonly app: App;
  readonly statefulTemplate: Template;
  readonly statelessTemplate: Template;
}

/** Build the app like bin/app.ts does (bundling skipped unless asked) and synthesize both stacks once. */
export function synthPinrelay(options: SynthOptions = {}): Synthesized {
  const app = new App({
    context: {
      ...cdkJsonContext(),
      'aws:cdk:bundling-stacks': options.bundlingStacks ?? [],
      'pinrelay:stage': options.stage ?? 'dev',
      ...(options.stages ? { 'pinrelay:stages': options.stages } : {}),
    },
    builtinCloudFormationValidation: options.cloudFormationValidation ?? false,
    treeMetadata: false,
  });
  const stacks = createPinrelayStacks(app);
  if (options.nag) Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
  return {
    app,
    ...stacks,
    statefulTemplate: Template.fromStack(stacks.stateful),
    statelessTemplate: Template.fromStack(stacks.stateless),
  };
}

/**
 * An object in template JSON (a resource's properties, a statement, a metric query). The tests do not
 * assume its shape: they read inside with `at`/`arrayAt`, compare with `toEqual`/`toMatchObject`, or name
 * a small type (`PolicyStatement`) where many tests read the same structure.
 */
export type Props = Record<string, unknown>;

export interface Resource {
  readonly id: string;
  readonly props: Props;
}

/** Every resource of a type, with its logical id and properties. */
export function resourcesOfType(template: Template, type: string): Resource[] {
  return Object.entries(template.findResources(type)).map(([id, resource]) => ({
    id,
    props: (resource as { Properties?: Props }).Properties ?? {},
  }));
}

/** The value at `path` (object keys, array indexes) in template JSON; undefined where the path leads nowhere. */
export function at(value: unknown, ...path: ReadonlyArray<string | number>): unknown {
  let current = value;
  for (const key of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string | number, unknown>)[key];
  }
  return current;
}

/** The array at `path`; throws (failing the test) when the template has anything else there. */
export function arrayAt(value: unknown, ...path: ReadonlyArray<string | number>): unknown[] {
  const found = at(value, ...path);
  if (!Array.isArray(found)) throw new Error(`expected an array at ${path.join('.') || 'the top'}, got ${JSON.stringify(found)}`);
  return found;
}

/** The object at `path`; throws (failing the test) when the template has anything else there. */
export function objectAt(value: unknown, ...path: ReadonlyArray<string | number>): Props {
  const found = at(value, ...path);
  if (found === null || typeof found !== 'object' || Array.isArray(found)) {
    throw new Error(`expected an object at ${path.join('.') || 'the top'}, got ${JSON.stringify(found)}`);
  }
  return found as Props;
}

/** An IAM policy statement as the template holds it: Action and Resource are one value or a list. */
export interface PolicyStatement {
  readonly Effect: 'Allow' | 'Deny';
  readonly Action: string | string[];
  readonly Resource?: unknown;
  readonly Principal?: unknown;
  readonly Condition?: Props;
}

/** The statements of a PolicyDocument (an AWS::IAM::Policy's, a queue policy's, a role's trust policy under `key`). */
export function statementsOf(props: Props, key = 'PolicyDocument'): PolicyStatement[] {
  return arrayAt(props, key, 'Statement') as PolicyStatement[];
}

export function actionsOf(statement: PolicyStatement): string[] {
  return [statement.Action].flat();
}

/** Every statement of the AWS::IAM::Policy resources attached to role `roleId` alone. */
export function roleStatements(template: Template, roleId: string): PolicyStatement[] {
  return resourcesOfType(template, 'AWS::IAM::Policy')
    .filter((p) => JSON.stringify(p.props.Roles) === JSON.stringify([{ Ref: roleId }]))
    .flatMap((p) => statementsOf(p.props));
}
