/**
 * The Secrets Manager stand-in, driven by the real AWS SDK v3 client: if the SDK parses our answers into
 * the right outputs and typed exceptions, pinrelay's token vault and token provider will too.
 */
import {
  CreateSecretCommand,
  GetSecretValueCommand,
  InvalidParameterException,
  PutSecretValueCommand,
  ResourceExistsException,
  ResourceNotFoundException,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSecretsManagerStandIn, type SecretsManagerStandIn } from '../../../local/stand-ins/secrets-manager.ts';
import { clientConfig, unique } from './clients.ts';

describe('Secrets Manager stand-in', () => {
  let standIn: SecretsManagerStandIn;
  let client: SecretsManagerClient;

  beforeAll(async () => {
    standIn = await startSecretsManagerStandIn();
    client = new SecretsManagerClient(clientConfig(standIn.endpoint));
  });
  afterAll(async () => {
    client?.destroy();
    await standIn?.stop();
  });

  it('listens on loopback only', () => {
    expect(standIn.endpoint).toBe(`http://127.0.0.1:${standIn.port}`);
  });

  it('creates a secret with an AWS-shaped ARN and reads it back as AWSCURRENT', async () => {
    const name = unique('pinrelay/accounts/acct');
    const created = await client.send(
      new CreateSecretCommand({
        Name: name,
        SecretString: '{"access_token":"a1"}',
        KmsKeyId: 'alias/pinrelay',
        Tags: [{ Key: 'app', Value: 'pinrelay' }],
      }),
    );

    expect(created.Name).toBe(name);
    expect(created.ARN).toMatch(new RegExp(`^arn:aws:secretsmanager:us-east-1:000000000000:secret:${name}-[A-Za-z0-9]{6}$`));
    expect(created.VersionId).toMatch(/^[0-9a-f-]{36}$/); // the SDK's auto-filled ClientRequestToken

    const value = await client.send(new GetSecretValueCommand({ SecretId: name }));
    expect(value).toMatchObject({
      ARN: created.ARN,
      Name: name,
      VersionId: created.VersionId,
      SecretString: '{"access_token":"a1"}',
      VersionStages: ['AWSCURRENT'],
    });
    expect(value.CreatedDate).toBeInstanceOf(Date);

    const stored = standIn.secrets().find((secret) => secret.arn === created.ARN);
    expect(stored).toMatchObject({ name, kmsKeyId: 'alias/pinrelay', tags: [{ Key: 'app', Value: 'pinrelay' }] });
    expect(stored?.versions.map((v) => [v.versionId, v.stages])).toEqual([[created.VersionId, ['AWSCURRENT']]]);
  });

  it('uses ClientRequestToken as the version id and answers a retried create instead of failing it', async () => {
    const name = unique('retry');
    const token = 'a'.repeat(32);
    const first = await client.send(new CreateSecretCommand({ Name: name, SecretString: 'v', ClientRequestToken: token }));
    const retried = await client.send(new CreateSecretCommand({ Name: name, SecretString: 'v', ClientRequestToken: token }));

    expect(first.VersionId).toBe(token);
    expect(retried).toMatchObject({ ARN: first.ARN, VersionId: token });
  });

  it('rejects a second secret with the same name as ResourceExistsException', async () => {
    const name = unique('dup');
    await client.send(new CreateSecretCommand({ Name: name, SecretString: 'one' }));

    const error = await client.send(new CreateSecretCommand({ Name: name, SecretString: 'two' })).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(ResourceExistsException);
    expect((error as ResourceExistsException).$metadata.httpStatusCode).toBe(400);
    expect((error as Error).message).toContain(name);
  });

  it('rejects bad input with InvalidParameterException', async () => {
    await expect(client.send(new CreateSecretCommand({ Name: 'bad name!' }))).rejects.toBeInstanceOf(InvalidParameterException);
    await expect(
      client.send(new CreateSecretCommand({ Name: unique('both'), SecretString: 's', SecretBinary: new Uint8Array([1]) })),
    ).rejects.toBeInstanceOf(InvalidParameterException);
  });

  it('moves AWSCURRENT to each new version and AWSPREVIOUS to the one before', async () => {
    const name = unique('rotate');
    const v1 = await client.send(new CreateSecretCommand({ Name: name, SecretString: 'token-1' }));
    const v2 = await client.send(new PutSecretValueCommand({ SecretId: name, SecretString: 'token-2' }));
    expect(v2.VersionStages).toEqual(['AWSCURRENT']);

    expect((await client.send(new GetSecretValueCommand({ SecretId: name }))).SecretString).toBe('token-2');
    const previous = await client.send(new GetSecretValueCommand({ SecretId: name, VersionStage: 'AWSPREVIOUS' }));
    expect(previous).toMatchObject({ SecretString: 'token-1', VersionId: v1.VersionId, VersionStages: ['AWSPREVIOUS'] });

    const v3 = await client.send(new PutSecretValueCommand({ SecretId: v1.ARN, SecretString: 'token-3' }));
    const stages = Object.fromEntries(
      standIn
        .secrets()
        .find((secret) => secret.name === name)!
        .versions.map((v) => [v.versionId, v.stages]),
    );
    // v1 lost its last label: deprecated, but still stored and readable by id.
    expect(stages).toEqual({
      [v1.VersionId as string]: [],
      [v2.VersionId as string]: ['AWSPREVIOUS'],
      [v3.VersionId as string]: ['AWSCURRENT'],
    });
    expect((await client.send(new GetSecretValueCommand({ SecretId: name, VersionId: v1.VersionId }))).SecretString).toBe('token-1');
  });

  it('treats a repeated PutSecretValue token as a retry, and a changed value under it as ResourceExistsException', async () => {
    const name = unique('idem');
    await client.send(new CreateSecretCommand({ Name: name, SecretString: 'first' }));
    const token = 'b'.repeat(40);
    const put = await client.send(new PutSecretValueCommand({ SecretId: name, SecretString: 'second', ClientRequestToken: token }));
    const again = await client.send(new PutSecretValueCommand({ SecretId: name, SecretString: 'second', ClientRequestToken: token }));

    expect(again.VersionId).toBe(put.VersionId);
    await expect(
      client.send(new PutSecretValueCommand({ SecretId: name, SecretString: 'changed', ClientRequestToken: token })),
    ).rejects.toBeInstanceOf(ResourceExistsException);
  });

  it('finds secrets by name, full ARN and partial ARN, and reports unknown ones as ResourceNotFoundException', async () => {
    const name = unique('lookup');
    const { ARN } = await client.send(new CreateSecretCommand({ Name: name, SecretString: 'x' }));

    for (const id of [name, ARN as string, (ARN as string).slice(0, -7)]) {
      expect((await client.send(new GetSecretValueCommand({ SecretId: id }))).SecretString).toBe('x');
    }
    await expect(client.send(new GetSecretValueCommand({ SecretId: unique('missing') }))).rejects.toBeInstanceOf(ResourceNotFoundException);
    await expect(client.send(new GetSecretValueCommand({ SecretId: name, VersionStage: 'AWSPENDING' }))).rejects.toBeInstanceOf(
      ResourceNotFoundException,
    );
  });

  it('has no AWSCURRENT for a secret created without a value', async () => {
    const name = unique('empty');
    const created = await client.send(new CreateSecretCommand({ Name: name }));

    expect(created.VersionId).toBeUndefined();
    await expect(client.send(new GetSecretValueCommand({ SecretId: name }))).rejects.toBeInstanceOf(ResourceNotFoundException);
  });

  it('lets tests inspect every stored value', async () => {
    const name = unique('inspect');
    await client.send(new CreateSecretCommand({ Name: name, SecretString: 'secret-token-1' }));
    await client.send(new PutSecretValueCommand({ SecretId: name, SecretString: 'secret-token-2' }));

    const stored = standIn.secrets().find((secret) => secret.name === name);
    expect(stored?.versions.map((v) => [v.secretString, v.stages])).toEqual([
      ['secret-token-1', ['AWSPREVIOUS']],
      ['secret-token-2', ['AWSCURRENT']],
    ]);
    expect(standIn.storedSecretStrings()).toEqual(expect.arrayContaining(['secret-token-1', 'secret-token-2']));
  });

  it('answers unknown operations and bad bodies the AWS JSON 1.1 way', async () => {
    const post = (target: string, body: string) =>
      fetch(standIn.endpoint, { method: 'POST', headers: { 'Content-Type': 'application/x-amz-json-1.1', 'X-Amz-Target': target }, body });

    const unknown = await post('secretsmanager.RotateSecret', '{}');
    expect(unknown.status).toBe(400);
    expect(unknown.headers.get('content-type')).toBe('application/x-amz-json-1.1');
    expect(unknown.headers.get('x-amzn-errortype')).toBe('UnknownOperationException');
    expect(await unknown.json()).toMatchObject({ __type: 'UnknownOperationException' });

    // Operations pinrelay does not call are not implemented: they fail the same way.
    for (const operation of ['DeleteSecret', 'DescribeSecret', 'ListSecrets', 'RestoreSecret']) {
      expect(await (await post(`secretsmanager.${operation}`, '{}')).json()).toMatchObject({ __type: 'UnknownOperationException' });
    }

    const wrongService = await post('AWSEvents.PutEvents', '{}');
    expect((await wrongService.json()) as unknown).toMatchObject({ __type: 'UnknownOperationException' });

    const notJson = await post('secretsmanager.GetSecretValue', '{nope');
    expect(notJson.status).toBe(400);
    expect(await notJson.json()).toMatchObject({ __type: 'SerializationException' });
  });
});
