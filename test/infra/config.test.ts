import { App } from 'aws-cdk-lib';
import { describe, expect, it } from 'vitest';
import { loadStageConfig, parseStageConfig, StageConfigError } from '../../lib/config.ts';
import { cdkJsonContext } from './support.ts';

describe('stage config (lib/config.ts)', () => {
  it('applies every default to an empty stage', () => {
    // Prepare / Act
    const { stage, settings } = parseStageConfig('dev', { dev: {} });

    // Assess
    expect(stage).toBe('dev');
    expect(settings).toEqual({
      jobRetentionDays: 30,
      logRetentionDays: 30,
      apiThrottle: { rateLimit: 50, burstLimit: 100 },
      authorizerCacheSeconds: 60,
      removalPolicy: 'retain',
      encryption: { customerManagedKey: false },
      console: { enabled: true },
      pinterestApiBaseUrl: 'https://api.pinterest.com',
      pinterestTimeoutMs: 10_000,
      pacing: { accountPerMinute: 10, appPerSecond: 10, readPerMinute: 100 },
      retry: { baseSeconds: 5, maxAttempts: 5 },
      // The runtime settings' defaults (definitions/settings.ts) are part of every stage.
      sweepGraceSeconds: 60,
      workerLeaseSeconds: 60,
      logLevel: 'INFO',
      reconcile: { graceSeconds: 900, pageLimit: 100, maxRedispatches: 3 },
      webhooks: { maxPerTenant: 10, ruleQuota: 300, invocationRateLimitPerSecond: 10 },
      tenantLimits: { rateLimit: 20, burstLimit: 40, dailyQuota: 0 },
    });
  });

  it("selects dev when no stage is given, and keeps partial nested objects' defaults", () => {
    const { stage, settings } = parseStageConfig(undefined, { dev: { apiThrottle: { rateLimit: 5 }, retry: { maxAttempts: 8 } } });

    expect(stage).toBe('dev');
    expect(settings.apiThrottle).toEqual({ rateLimit: 5, burstLimit: 100 });
    expect(settings.retry).toEqual({ baseSeconds: 5, maxAttempts: 8 });
  });

  it('accepts the stages written in cdk.json', () => {
    const context = cdkJsonContext();

    const dev = parseStageConfig('dev', context['pinrelay:stages']);
    const prod = parseStageConfig('prod', context['pinrelay:stages']);

    expect(context['pinrelay:stage']).toBe('dev');
    expect(dev.settings.removalPolicy).toBe('destroy');
    expect(prod.settings.removalPolicy).toBe('retain');
    // prod keeps its data under its own key; dev uses the AWS-managed encryption (docs/security.md).
    expect(prod.settings.encryption).toEqual({ customerManagedKey: true });
    expect(dev.settings.encryption).toEqual({ customerManagedKey: false });
  });

  it('keeps optional account, region, alarm email and worker concurrency cap', () => {
    const { settings } = parseStageConfig('prod', {
      prod: { account: '123456789012', region: 'eu-west-1', alarmEmail: 'ops@example.com', workerMaxConcurrency: 50 },
    });

    expect(settings).toMatchObject({
      account: '123456789012',
      region: 'eu-west-1',
      alarmEmail: 'ops@example.com',
      workerMaxConcurrency: 50,
    });
  });

  it('names the stage and the path of an invalid field', () => {
    const act = () => parseStageConfig('prod', { prod: { apiThrottle: { rateLimit: -1 } } });

    expect(act).toThrow(StageConfigError);
    expect(act).toThrow(/stage "prod".*\n.*pinrelay:stages\.prod\.apiThrottle\.rateLimit/);
  });

  it.each([
    [{ jobRetentionDays: 0 }, 'jobRetentionDays'],
    [{ logRetentionDays: 10 }, 'logRetentionDays'],
    [{ removalPolicy: 'snapshot' }, 'removalPolicy'],
    [{ authorizerCacheSeconds: 3601 }, 'authorizerCacheSeconds'],
    [{ pinterestApiBaseUrl: 'http://api.pinterest.com' }, 'pinterestApiBaseUrl'],
    [{ pinterestApiBaseUrl: 'https://api.pinterest.com/v5' }, 'pinterestApiBaseUrl'],
    [{ account: '1234' }, 'account'],
    [{ region: 'Europe' }, 'region'],
    [{ alarmEmail: 'not-an-email' }, 'alarmEmail'],
    [{ pacing: { accountPerMinute: 1.5 } }, 'pacing.accountPerMinute'],
    [{ pinterestTimeoutMs: 999 }, 'pinterestTimeoutMs'],
    [{ pinterestTimeoutMs: 15_001 }, 'pinterestTimeoutMs'], // more than half the worker's 30 s timeout
    [{ workerMaxConcurrency: 1 }, 'workerMaxConcurrency'], // Lambda's SQS maximum concurrency starts at 2
    [{ workerMaxConcurrency: 1001 }, 'workerMaxConcurrency'],
    [{ jobRetentionDay: 10 }, ''], // typo: unknown keys are rejected, not ignored
    // Ranges the functions' runtime schema enforces: a stage outside them would deploy and then fail every
    // invocation (one definition per setting, definitions/settings.ts).
    [{ retry: { maxAttempts: 21 } }, 'retry.maxAttempts'],
    [{ retry: { baseSeconds: 0.05 } }, 'retry.baseSeconds'],
    [{ pacing: { appPerSecond: 100_001 } }, 'pacing.appPerSecond'],
    [{ workerLeaseSeconds: 29 }, 'workerLeaseSeconds'], // shorter than the worker's timeout
    [{ sweepGraceSeconds: 0 }, 'sweepGraceSeconds'],
    [{ logLevel: 'LOUD' }, 'logLevel'],
  ])('rejects %j', (settings, path) => {
    expect(() => parseStageConfig('dev', { dev: settings })).toThrow(`pinrelay:stages.dev${path ? `.${path}` : ''}`);
  });

  it('rejects an unknown stage, listing the defined ones', () => {
    expect(() => parseStageConfig('staging', { dev: {}, prod: {} })).toThrow(
      'Unknown pinrelay stage "staging": add it under cdk.json context "pinrelay:stages" (defined: dev, prod)',
    );
  });

  it('rejects a stage name that cannot be part of a stack name', () => {
    expect(() => parseStageConfig('Prod_1', { Prod_1: {} })).toThrow(/Invalid pinrelay stage name "Prod_1"/);
  });

  it('rejects missing stages', () => {
    expect(() => parseStageConfig('dev', undefined)).toThrow(/"pinrelay:stages" must be an object/);
  });

  it('reads the stage from app context (-c pinrelay:stage=prod)', () => {
    const app = new App({ context: { 'pinrelay:stage': 'prod', 'pinrelay:stages': { prod: { jobRetentionDays: 90 } } } });

    const config = loadStageConfig(app);

    expect(config.stage).toBe('prod');
    expect(config.settings.jobRetentionDays).toBe(90);
  });
});
