import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as events from 'aws-cdk-lib/aws-events';
import * as sns from 'aws-cdk-lib/aws-sns';
import { describe, expect, it } from 'vitest';
import { AccountSecrets } from '../../lib/constructs/account-secrets.ts';
import { DataTables } from '../../lib/constructs/data-tables.ts';
import { PinterestAppCredentials } from '../../lib/constructs/pinterest-app-credentials.ts';
import { PublishQueues } from '../../lib/constructs/publish-queues.ts';
import { ServiceFunction, type ServiceResources } from '../../lib/constructs/service-function.ts';
import { Webhooks } from '../../lib/constructs/webhooks.ts';
import { parseStageConfig } from '../../lib/config.ts';
import { FUNCTIONS, type FunctionDefinition } from '../../definitions/functions.ts';
import { metricsNamespace } from '../../definitions/metrics.ts';
import { WEBHOOK_DLQ } from '../../definitions/queues.ts';
import { cdkJsonContext } from './support.ts';

/** The functions' POWERTOOLS_METRICS_NAMESPACE: the stage's `Pinrelay/<stage>` when the stack passes it, `Pinrelay` otherwise. */

function functionEnvironment(metricsNamespaceOfStage: string | undefined): Record<string, unknown> {
  const app = new App({
    context: { ...cdkJsonContext(), 'aws:cdk:bundling-stacks': [] },
    builtinCloudFormationValidation: false,
    treeMetadata: false,
  });
  const stack = new Stack(app, 'Harness');
  const tables = new DataTables(stack, 'Tables');
  const queues = new PublishQueues(stack, 'Queues');
  const accountSecrets = new AccountSecrets(stack, 'Secrets', { stage: 'qa' });
  const eventBus = new events.EventBus(stack, 'Bus');
  const webhooks = new Webhooks(stack, 'Webhooks', {
    stage: 'qa',
    eventBus,
    deadLetterQueue: queues.queues.get(WEBHOOK_DLQ.logicalName)!,
    alarmTopic: new sns.Topic(stack, 'Alarms'),
  });
  const resources: ServiceResources = {
    jobsTable: tables.jobsTable,
    tenantsTable: tables.tenantsTable,
    publishQueue: queues.publishQueue,
    delayQueue: queues.delayQueue,
    poisonQueue: queues.poisonQueue,
    eventBus,
    accountSecrets,
    pinterestAppCredentials: new PinterestAppCredentials(stack, 'AppCredentials', { stage: 'qa', encryptionKey: accountSecrets.key }),
    webhooks,
    settings: parseStageConfig('qa', { qa: {} }).settings,
    ...(metricsNamespaceOfStage ? { metricsNamespace: metricsNamespaceOfStage } : {}),
  };
  const definition = (FUNCTIONS as readonly FunctionDefinition[]).find((d) => d.name === 'publish-pin')!;
  const fn = new ServiceFunction(stack, 'Worker', { definition, resources });
  const resource = Template.fromStack(stack).toJSON().Resources[stack.getLogicalId(fn.function.node.defaultChild as never)] as {
    Properties: { Environment: { Variables: Record<string, unknown> }; TracingConfig: { Mode: string } };
  };
  return { ...resource.Properties.Environment.Variables, TRACING: resource.Properties.TracingConfig.Mode };
}

describe('ServiceFunction: observability environment', () => {
  it("the stage's metrics namespace, the service name, the log level setting, and X-Ray active", () => {
    expect(functionEnvironment(metricsNamespace('qa'))).toMatchObject({
      POWERTOOLS_METRICS_NAMESPACE: 'Pinrelay/qa',
      POWERTOOLS_SERVICE_NAME: 'pinrelay',
      POWERTOOLS_LOG_LEVEL: 'INFO',
      TRACING: 'Active',
    });
  });

  it('without a stage namespace: the Pinrelay fallback', () => {
    expect(functionEnvironment(undefined)).toMatchObject({ POWERTOOLS_METRICS_NAMESPACE: 'Pinrelay' });
  });
});
