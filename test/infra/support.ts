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

/** Every resource of a type, with its logical id and properties. */
export function resourcesOfType(template: Template, type: string): Array<{ id: string; props: Record<string, any> }> {
  return Object.entries(template.findResources(type)).map(([id, resource]) => ({
    id,
    props: (resource as { Properties?: Record<string, any> }).Properties ?? {},
  }));
}
