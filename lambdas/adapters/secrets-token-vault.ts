import {
  CreateSecretCommand,
  PutSecretValueCommand,
  ResourceExistsException,
  ResourceNotFoundException,
  type SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import type { AccountTokens, TokenVault } from '../use-cases/ports.ts';

/**
 * Account tokens live only in Secrets Manager, one secret per (tenant, account), named under a
 * per-deployment prefix that the functions' IAM policies are scoped to. The secret's JSON also carries the
 * `connection_id` of the PUT that wrote it, so a worker can tell a reconnect from its own cached copy.
 */
export class SecretsManagerTokenVault implements TokenVault {
  constructor(
    private readonly client: SecretsManagerClient,
    private readonly prefix: string,
    private readonly kmsKeyId?: string,
  ) {}

  secretName(tenantId: string, accountId: string): string {
    return `${this.prefix}/${tenantId}/${accountId}`;
  }

  async save(tenantId: string, accountId: string, tokens: AccountTokens): Promise<string> {
    const name = this.secretName(tenantId, accountId);
    const SecretString = JSON.stringify(tokens);
    try {
      const out = await this.client.send(new PutSecretValueCommand({ SecretId: name, SecretString }));
      return out.ARN ?? name;
    } catch (error) {
      if (!(error instanceof ResourceNotFoundException)) throw error;
    }
    try {
      const out = await this.client.send(
        new CreateSecretCommand({
          Name: name,
          SecretString,
          Description: `pinrelay: Pinterest tokens of account ${accountId}`,
          ...(this.kmsKeyId ? { KmsKeyId: this.kmsKeyId } : {}),
          Tags: [
            { Key: 'pinrelay:tenant', Value: tenantId },
            { Key: 'pinrelay:account', Value: accountId },
          ],
        }),
      );
      return out.ARN ?? name;
    } catch (error) {
      // Two connects of the same account raced: the other created it; write our value as the new version.
      if (!(error instanceof ResourceExistsException)) throw error;
      const out = await this.client.send(new PutSecretValueCommand({ SecretId: name, SecretString }));
      return out.ARN ?? name;
    }
  }
}
