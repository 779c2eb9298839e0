import { Tags, type App } from 'aws-cdk-lib';
import { loadStageConfig, type StageConfig } from '../config.ts';
import { StatefulStack } from './stateful-stack.ts';
import { StatelessStack } from './stateless-stack.ts';

export interface PinrelayStacks {
  readonly config: StageConfig;
  readonly stateful: StatefulStack;
  readonly stateless: StatelessStack;
}

/** `Pinrelay-<stage>-Stateful` / `Pinrelay-<stage>-Stateless`. */
export function stackNames(stage: string): { stateful: string; stateless: string } {
  return { stateful: `Pinrelay-${stage}-Stateful`, stateless: `Pinrelay-${stage}-Stateless` };
}

/**
 * Composition root shared by bin/app.ts and the infra tests: config from context → the two stacks.
 * Environment-agnostic unless the stage pins `account`/`region`.
 */
export function createPinrelayStacks(app: App, config: StageConfig = loadStageConfig(app)): PinrelayStacks {
  const { stage, settings } = config;
  const env =
    settings.account || settings.region
      ? { ...(settings.account ? { account: settings.account } : {}), ...(settings.region ? { region: settings.region } : {}) }
      : undefined;
  const names = stackNames(stage);
  const stateful = new StatefulStack(app, names.stateful, { config, ...(env ? { env } : {}) });
  const stateless = new StatelessStack(app, names.stateless, { config, stateful, ...(env ? { env } : {}) });
  stateless.addStackDependency(stateful);
  Tags.of(app).add('pinrelay:stage', stage);
  return { config, stateful, stateless };
}
