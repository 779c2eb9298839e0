import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ConfigError } from '../../../lambdas/common/errors.ts';
import { config, required, resetConfigForTests } from '../../../lambdas/common/config.ts';

const VARS = [
  'JOBS_TABLE_NAME',
  'JOB_RETENTION_DAYS',
  'SWEEP_GRACE_SECONDS',
  'PUBLISH_QUEUE_URL',
  'ACCOUNT_SECRET_PREFIX',
  'AWS_REGION',
  'RETRY_MAX_ATTEMPTS',
  'RETRY_BASE_SECONDS',
  'POWERTOOLS_LOG_LEVEL',
  'PINTEREST_API_BASE_URL',
];

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

  it('takes ranges and defaults from the settings definitions (definitions/settings.ts)', () => {
    expect(config()).toMatchObject({
      RETRY_MAX_ATTEMPTS: 5,
      RETRY_BASE_SECONDS: 5,
      POWERTOOLS_LOG_LEVEL: 'INFO',
      PINTEREST_API_BASE_URL: 'https://api.pinterest.com',
    });

    vi.stubEnv('RETRY_MAX_ATTEMPTS', '20');
    vi.stubEnv('RETRY_BASE_SECONDS', '0.1');
    vi.stubEnv('POWERTOOLS_LOG_LEVEL', 'debug'); // Powertools reads it case-insensitively
    vi.stubEnv('PINTEREST_API_BASE_URL', 'http://127.0.0.1:4010'); // local sandbox: http is fine at runtime
    resetConfigForTests();
    expect(config()).toMatchObject({
      RETRY_MAX_ATTEMPTS: 20,
      RETRY_BASE_SECONDS: 0.1,
      POWERTOOLS_LOG_LEVEL: 'DEBUG',
      PINTEREST_API_BASE_URL: 'http://127.0.0.1:4010',
    });
  });

  it.each([
    ['RETRY_MAX_ATTEMPTS', '21'],
    ['RETRY_BASE_SECONDS', '0.05'],
    ['POWERTOOLS_LOG_LEVEL', 'LOUD'],
    ['PINTEREST_API_BASE_URL', 'https://api.pinterest.com/v5'],
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
