import {
  CreateSecretCommand,
  PutSecretValueCommand,
  ResourceExistsException,
  ResourceNotFoundException,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { SecretsManagerTokenVault } from '../../../lambdas/adapters/secrets-token-vault.ts';
import type { AccountTokens } from '../../../lambdas/use-cases/ports.ts';
import { ACCOUNT, TENANT } from '../builders.ts';

const NAME = `pinrelay/prod/accounts/${TENANT}/${ACCOUNT}`;
const ARN = `arn:aws:secretsmanager:eu-west-1:123456789012:secret:${NAME}-AbCdEf`;
const KMS = 'arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';
const TOKENS: AccountTokens = {
  access_token: 'pina_access',
  refresh_token: 'pinr_refresh',
  expires_at: '2026-03-31T12:00:00.000Z',
  refresh_token_expires_at: null,
};

const sm = mockClient(SecretsManagerClient);
const client = new SecretsManagerClient({ region: 'eu-west-1' });
const notFound = () => new ResourceNotFoundException({ message: "Secrets Manager can't find the specified secret.", $metadata: {} });
const exists = () => new ResourceExistsException({ message: 'the secret already exists', $metadata: {} });

beforeEach(() => {
  sm.reset();
});

describe('SecretsManagerTokenVault.save', () => {
  it('names the secret <prefix>/<tenant>/<account>', () => {
    expect(new SecretsManagerTokenVault(client, 'pinrelay/prod/accounts').secretName(TENANT, ACCOUNT)).toBe(NAME);
  });

  it('writes a new version of an existing secret and nothing else', async () => {
    // Prepare
    sm.on(PutSecretValueCommand).resolves({ ARN });

    // Act
    const ref = await new SecretsManagerTokenVault(client, 'pinrelay/prod/accounts', KMS).save(TENANT, ACCOUNT, TOKENS);

    // Assess
    expect(ref).toBe(ARN);
    expect(sm).toHaveReceivedCommandTimes(PutSecretValueCommand, 1);
    expect(sm).toHaveReceivedCommandTimes(CreateSecretCommand, 0);
    const input = sm.commandCalls(PutSecretValueCommand)[0]!.args[0].input;
    expect(input.SecretId).toBe(NAME);
    expect(JSON.parse(input.SecretString!)).toEqual(TOKENS);
  });

  it.each([
    ['with a customer managed key', KMS, { KmsKeyId: KMS }],
    ['with the default key', undefined, {}],
  ])('creates the secret when it does not exist yet, %s', async (_what, kmsKeyId, kmsPart) => {
    // Prepare
    sm.on(PutSecretValueCommand).rejects(notFound());
    sm.on(CreateSecretCommand).resolves({ ARN, Name: NAME });

    // Act
    const ref = await new SecretsManagerTokenVault(client, 'pinrelay/prod/accounts', kmsKeyId).save(TENANT, ACCOUNT, TOKENS);

    // Assess
    expect(ref).toBe(ARN);
    expect(sm).toHaveReceivedCommandTimes(CreateSecretCommand, 1);
    const input = sm.commandCalls(CreateSecretCommand)[0]!.args[0].input;
    expect(input).toEqual({
      Name: NAME,
      SecretString: JSON.stringify(TOKENS),
      Description: expect.stringContaining(ACCOUNT),
      Tags: [
        { Key: 'pinrelay:tenant', Value: TENANT },
        { Key: 'pinrelay:account', Value: ACCOUNT },
      ],
      ...kmsPart,
    });
  });

  it('writes a new version when a concurrent connect created the secret first', async () => {
    sm.on(PutSecretValueCommand).rejectsOnce(notFound()).resolves({ ARN });
    sm.on(CreateSecretCommand).rejects(exists());

    const ref = await new SecretsManagerTokenVault(client, 'pinrelay/prod/accounts').save(TENANT, ACCOUNT, TOKENS);

    expect(ref).toBe(ARN);
    expect(sm).toHaveReceivedCommandTimes(PutSecretValueCommand, 2);
    expect(sm).toHaveReceivedNthCommandWith(PutSecretValueCommand, 2, { SecretId: NAME, SecretString: JSON.stringify(TOKENS) });
  });

  it('keeps the connection id in the secret, next to the tokens (workers compare it with the account record)', async () => {
    sm.on(PutSecretValueCommand).resolves({ ARN });

    await new SecretsManagerTokenVault(client, 'pinrelay/prod/accounts').save(TENANT, ACCOUNT, {
      ...TOKENS,
      connection_id: 'con_0123456789abcdefghjk',
    });

    const input = sm.commandCalls(PutSecretValueCommand)[0]!.args[0].input;
    expect(JSON.parse(input.SecretString!)).toEqual({ ...TOKENS, connection_id: 'con_0123456789abcdefghjk' });
  });

  it('falls back to the secret name when no ARN comes back', async () => {
    sm.on(PutSecretValueCommand).resolves({});
    await expect(new SecretsManagerTokenVault(client, 'pinrelay/prod/accounts').save(TENANT, ACCOUNT, TOKENS)).resolves.toBe(NAME);
  });

  it.each([
    ['PutSecretValue', () => sm.on(PutSecretValueCommand).rejects(Object.assign(new Error('denied'), { name: 'AccessDeniedException' }))],
    [
      'CreateSecret',
      () => {
        sm.on(PutSecretValueCommand).rejects(notFound());
        sm.on(CreateSecretCommand).rejects(Object.assign(new Error('denied'), { name: 'AccessDeniedException' }));
      },
    ],
  ])('propagates any other error from %s', async (_what, prepare) => {
    prepare();
    await expect(new SecretsManagerTokenVault(client, 'pinrelay/prod/accounts').save(TENANT, ACCOUNT, TOKENS)).rejects.toThrow('denied');
  });
});
