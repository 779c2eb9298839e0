import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ConfigError } from '../../../lambdas/shared/errors.ts';
import { config, required, resetConfigForTests } from '../../../lambdas/shared/config.ts';

const VARS = ['JOBS_TABLE_NAME', 'JOB_RETENTION_DAYS', 'SWEEP_GRACE_SECONDS', 'PUBLISH_QUEUE_URL', 'ACCOUNT_SECRET_PREFIX', 'AWS_REGION'];

beforeEach(() => {
  for (const name of VARS) vi.stubEnv(name, undefined);
  resetConfigForTests();
});

afterEach(() => {
  vi.unstubAllEnvs();
  resetConfigForTests();
});

describe('runtime config', () => {
  it('applies defaults and coerces numbers', () => {
    expect(config()).toMatchObject({ JOB_RETENTION_DAYS: 30, SWEEP_GRACE_SECONDS: 60, AWS_REGION: 'us-east-1' });

    vi.stubEnv('JOB_RETENTION_DAYS', '7');
    resetConfigForTests();
    expect(config().JOB_RETENTION_DAYS).toBe(7);
  });

  it('is read once until reset', () => {
    vi.stubEnv('JOBS_TABLE_NAME', 'jobs-a');
    expect(required('JOBS_TABLE_NAME')).toBe('jobs-a');

    vi.stubEnv('JOBS_TABLE_NAME', 'jobs-b');
    expect(required('JOBS_TABLE_NAME')).toBe('jobs-a');
    resetConfigForTests();
    expect(required('JOBS_TABLE_NAME')).toBe('jobs-b');
  });

  it('names a variable the function was not given', () => {
    expect(() => required('PUBLISH_QUEUE_URL')).toThrow(ConfigError);
    expect(() => required('PUBLISH_QUEUE_URL')).toThrow(/PUBLISH_QUEUE_URL is not set/);
  });

  it.each([
    ['JOB_RETENTION_DAYS', '0'],
    ['JOB_RETENTION_DAYS', 'thirty'],
    ['PUBLISH_QUEUE_URL', 'not a url'],
    ['ACCOUNT_SECRET_PREFIX', 'bad prefix!'],
  ])('refuses %s=%j, naming it', (name, value) => {
    vi.stubEnv(name, value);
    expect(() => config()).toThrow(ConfigError);
    expect(() => config()).toThrow(new RegExp(name));
  });
});
