/**
 * Local mode's secrets, in the Secrets Manager stand-in: the Pinterest app credentials, and with `--data`
 * the account tokens carried across a restart.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { CreateSecretCommand, PutSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { SecretsManagerStandIn } from './stand-ins/secrets-manager.ts';

const REGION = 'us-east-1';
const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };
const LOCAL_APP_SECRET_NAME = 'pinrelay/local/pinterest-app';

/**
 * With `--data`, account tokens survive a graceful restart: the Secrets Manager stand-in keeps them
 * in memory, so the current versions are written to `secrets.json` (mode 0600) on stop and created
 * again through the real API on the next start. A crash loses tokens connected since the last start.
 */
export async function persistSecrets(secrets: SecretsManagerStandIn, file: string, stops: Array<() => Promise<void>>): Promise<void> {
  const client = new SecretsManagerClient({ endpoint: secrets.endpoint, region: REGION, credentials });
  let saved: Array<{ name: string; value: string; kmsKeyId?: string; tags: { Key: string; Value: string }[] }> = [];
  try {
    saved = JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    /* first start */
  }
  for (const secret of saved) {
    await client.send(
      new CreateSecretCommand({
        Name: secret.name,
        SecretString: secret.value,
        Tags: secret.tags,
        ...(secret.kmsKeyId ? { KmsKeyId: secret.kmsKeyId } : {}),
      }),
    );
  }
  // Runs before the stand-in stops (stops run in reverse order).
  stops.push(async () => {
    const current = secrets.secrets().map((s) => ({
      name: s.name,
      value: s.versions.find((v) => v.stages.includes('AWSCURRENT'))?.secretString ?? '',
      ...(s.kmsKeyId ? { kmsKeyId: s.kmsKeyId } : {}),
      tags: [...s.tags],
    }));
    writeFileSync(file, JSON.stringify(current), { mode: 0o600 });
  });
}

/**
 * The Pinterest app credentials as a deployed stage keeps them: one secret `{client_id, client_secret}`
 * that the worker reads through PINTEREST_APP_SECRET_ARN. With --data a restart finds the saved secret
 * and gives it the credentials of this run. Returns the secret's ARN.
 */
export async function storeAppCredentials(
  endpoint: string,
  app: { readonly clientId: string; readonly clientSecret: string },
): Promise<string> {
  const client = new SecretsManagerClient({ endpoint, region: REGION, credentials });
  const value = JSON.stringify({ client_id: app.clientId, client_secret: app.clientSecret });
  const arnOf = (answer: { ARN?: string | undefined }): string => {
    if (!answer.ARN) throw new Error(`Secrets Manager answered without the ARN of ${LOCAL_APP_SECRET_NAME}`);
    return answer.ARN;
  };
  try {
    return arnOf(await client.send(new CreateSecretCommand({ Name: LOCAL_APP_SECRET_NAME, SecretString: value })));
  } catch (error) {
    if ((error as Error).name !== 'ResourceExistsException') throw error;
    return arnOf(await client.send(new PutSecretValueCommand({ SecretId: LOCAL_APP_SECRET_NAME, SecretString: value })));
  }
}
