import { beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_ENVIRONMENT, resourceValues } from '../../lib/constructs/service-function.ts';
import { metricsNamespace } from '../../definitions/metrics.ts';
import { FUNCTIONS, functionEnvironment, type FunctionDefinition } from '../../definitions/functions.ts';
import { QUEUES, localQueueName } from '../../definitions/queues.ts';
import { RESOURCE_VARIABLES, SETTING_ENTRIES, settingValue, type SettingValues } from '../../definitions/settings.ts';
import { TABLES } from '../../definitions/tables.ts';
import {
  LOCAL_PLATFORM_ENVIRONMENT,
  localFunctionEnvironment,
  localFunctionsEnvironment,
  localResources,
  localSettings,
  type LocalSettingsOptions,
} from '../../local/environment.ts';
import { createQueueAttributes, createTableInput } from '../../local/provision.ts';
import { resourcesOfType, synthPinrelay, type Synthesized } from './support.ts';

/**
 * Local mode must create the same tables and queues as the deployed stack (issue: "no drift: test it"),
 * and give each function the same environment. Both are built from definitions; this compares what
 * local/provision.ts sends to the emulators and what local/environment.ts puts into a function's
 * environment with what the synthesized CloudFormation template declares.
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

    expect(local.KeySchema).toEqual(deployed.KeySchema);
    expect(sortBy(local.AttributeDefinitions, (a) => a.AttributeName!)).toEqual(
      sortBy(deployed.AttributeDefinitions as { AttributeName: string }[], (a) => a.AttributeName),
    );
    expect(local.BillingMode).toBe(deployed.BillingMode);
    const deployedIndexes = (deployed.GlobalSecondaryIndexes ?? []) as { IndexName: string; KeySchema: unknown; Projection: unknown }[];
    expect(
      sortBy(local.GlobalSecondaryIndexes, (i) => i.IndexName!).map((i) => ({
        IndexName: i.IndexName,
        KeySchema: i.KeySchema,
        Projection: i.Projection,
      })),
    ).toEqual(
      sortBy(deployedIndexes, (i) => i.IndexName).map((i) => ({
        IndexName: i.IndexName,
        KeySchema: i.KeySchema,
        Projection: i.Projection,
      })),
    );
    expect(local.StreamSpecification?.StreamViewType).toBe(
      (deployed.StreamSpecification as { StreamViewType?: string } | undefined)?.StreamViewType,
    );
    // Local mode enables TTL with UpdateTimeToLive on the definition's attribute.
    expect(def.timeToLiveAttribute).toBe((deployed.TimeToLiveSpecification as { AttributeName?: string } | undefined)?.AttributeName);
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

    expect(localQueueName(def).endsWith('.fifo')).toBe(deployed.FifoQueue === true);
    expect(local.FifoQueue === 'true').toBe(deployed.FifoQueue === true);
    expect(local.ContentBasedDeduplication).toBe(deployed.FifoQueue ? String(deployed.ContentBasedDeduplication) : undefined);
    expect(local.DeduplicationScope).toBe(deployed.DeduplicationScope);
    expect(local.FifoThroughputLimit).toBe(deployed.FifoThroughputLimit);
    expect(local.VisibilityTimeout).toBe(String(deployed.VisibilityTimeout));
    expect(local.MessageRetentionPeriod).toBe(String(deployed.MessageRetentionPeriod));

    const deployedRedrive = deployed.RedrivePolicy as
      | { maxReceiveCount: number; deadLetterTargetArn: { 'Fn::GetAtt': [string, string] } }
      | undefined;
    if (!deployedRedrive) {
      expect(local.RedrivePolicy).toBeUndefined();
      return;
    }
    const localRedrive = JSON.parse(local.RedrivePolicy!) as { maxReceiveCount: number; deadLetterTargetArn: string };
    expect(localRedrive.maxReceiveCount).toBe(deployedRedrive.maxReceiveCount);
    const deployedTarget = deployedRedrive.deadLetterTargetArn['Fn::GetAtt'][0];
    expect(deployedTarget).toMatch(new RegExp(`${localRedrive.deadLetterTargetArn.replace('arn:local:', '')}[0-9A-F]{8}$`));
  });

  it('covers every queue of the stack', () => {
    expect(resourcesOfType(synth.statefulTemplate, 'AWS::SQS::Queue')).toHaveLength(QUEUES.length);
  });
});

describe('function environments: the template, the derivation and local mode agree', () => {
  /** A stage with a non-default value for every setting a local pipeline can also be given. */
  const STAGE = {
    jobRetentionDays: 14,
    pinterestApiBaseUrl: 'https://api-sandbox.pinterest.com',
    pinterestTimeoutMs: 4000,
    workerLeaseSeconds: 45,
    sweepGraceSeconds: 90,
    logLevel: 'DEBUG',
    pacing: { accountPerMinute: 6, appPerSecond: 2 },
    retry: { baseSeconds: 3, maxAttempts: 20 },
    reconcile: { graceSeconds: 600, pageLimit: 50, maxRedispatches: 5 },
    webhooks: { maxPerTenant: 3, ruleQuota: 500, invocationRateLimitPerSecond: 25 },
  };
  /** The same settings as PipelineOptions (what the integration tests and `npm start` pass). */
  const LOCAL_OPTIONS: LocalSettingsOptions = {
    pinterestTimeoutMs: 4000,
    workerLeaseSeconds: 45,
    sweeper: { intervalMs: 10_000, graceSeconds: 90 },
    logLevel: 'debug',
    pacing: { accountPerMinute: 6, appPerSecond: 2 },
    retry: { baseSeconds: 3, maxAttempts: 20 },
    reconciler: { intervalMs: 60_000, graceSeconds: 600, pageLimit: 50, maxRedispatches: 5 },
    webhooks: { maxPerTenant: 3, ruleQuota: 500, invocationRateLimitPerSecond: 25 },
  };
  /** Settings a local pipeline has no option for: it runs with their defaults. */
  const LOCAL_USES_DEFAULT = new Set(['JOB_RETENTION_DAYS']);

  let qa: Synthesized;
  let local: { settings: SettingValues; resources: ReturnType<typeof localResources> };
  beforeAll(() => {
    qa = synthPinrelay({ stage: 'qa', stages: { qa: STAGE } });
    const provisioned = {
      tables: Object.fromEntries(TABLES.map((t) => [t.logicalName, { name: `local-${t.logicalName}`, streamArn: undefined }])),
      queues: Object.fromEntries(
        QUEUES.map((q) => [q.logicalName, { url: `http://127.0.0.1:1/queue/${localQueueName(q)}`, arn: `arn:local:${q.logicalName}` }]),
      ),
    };
    local = {
      settings: localSettings(LOCAL_OPTIONS, STAGE.pinterestApiBaseUrl),
      resources: localResources(provisioned, { eventBusName: 'pinrelay-local', appSecretArn: 'arn:local:pinterest-app' }),
    };
  });

  const templateVariables = (s: Synthesized, name: string): Record<string, unknown> => {
    const fn = s.stateless.functions.get(name as never)!;
    const id = s.stateless.getLogicalId(fn.function.node.defaultChild as never);
    return (s.statelessTemplate.toJSON().Resources[id] as { Properties: { Environment: { Variables: Record<string, unknown> } } })
      .Properties.Environment.Variables;
  };
  const derivedFor = (s: Synthesized, def: FunctionDefinition) =>
    functionEnvironment(def, { settings: s.config.settings, resources: resourceValues(s.stateless.serviceResources) });

  it.each((FUNCTIONS as readonly FunctionDefinition[]).map((d) => [d.name, d] as const))(
    '%s: template env = platform defaults + the derived env (settings as strings, resources as references)',
    (name, def) => {
      for (const s of [synth, qa]) {
        const platform = { ...DEFAULT_ENVIRONMENT, POWERTOOLS_METRICS_NAMESPACE: metricsNamespace(s.config.stage) };
        expect(templateVariables(s, name)).toEqual(s.stateless.resolve({ ...platform, ...derivedFor(s, def) }));
      }
      // The settings are the stage's, encoded as strings: e.g. qa's retry.maxAttempts 20 (its maximum).
      const variables = templateVariables(qa, name);
      for (const { path, setting } of SETTING_ENTRIES) {
        if (setting.env in variables) expect(variables[setting.env], setting.env).toBe(String(settingValue(qa.config.settings, path)));
      }
    },
  );

  it.each((FUNCTIONS as readonly FunctionDefinition[]).map((d) => [d.name, d] as const))(
    '%s: local mode derives the same variables, with the same values for the settings it is given',
    (name, def) => {
      const deployed = templateVariables(qa, name);
      const localEnv = localFunctionEnvironment(def, local.settings, local.resources);
      expect(Object.keys(localEnv).sort()).toEqual(
        Object.keys(deployed)
          .filter((n) => !(n in DEFAULT_ENVIRONMENT))
          .sort(),
      );

      for (const { path, setting } of SETTING_ENTRIES) {
        if (!(setting.env in localEnv)) continue;
        const expected = LOCAL_USES_DEFAULT.has(setting.env) ? String(setting.default) : deployed[setting.env];
        expect(localEnv[setting.env], `${setting.env} (${path.join('.')})`).toBe(expected);
      }
      for (const resource of Object.keys(RESOURCE_VARIABLES)) {
        if (resource in localEnv) expect(localEnv[resource], resource).toBe(local.resources[resource as keyof typeof local.resources]);
      }
    },
  );

  it('local mode sets every derived variable of every function in its one process, and the same Powertools service', () => {
    const union = localFunctionsEnvironment(local.settings, local.resources);
    for (const def of FUNCTIONS as readonly FunctionDefinition[]) {
      expect(union).toMatchObject(localFunctionEnvironment(def, local.settings, local.resources));
    }
    expect(LOCAL_PLATFORM_ENVIRONMENT).toMatchObject({
      POWERTOOLS_SERVICE_NAME: DEFAULT_ENVIRONMENT.POWERTOOLS_SERVICE_NAME,
      POWERTOOLS_METRICS_NAMESPACE: DEFAULT_ENVIRONMENT.POWERTOOLS_METRICS_NAMESPACE,
    });
  });
});
