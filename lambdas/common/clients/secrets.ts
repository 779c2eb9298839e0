import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { config } from '../config.ts';
import { tracer } from '../powertools.ts';
import { clientOptions } from './endpoint.ts';

/** The container's traced Secrets Manager client, built on first use (lambdas/common/clients.ts explains the singletons). */
let client: SecretsManagerClient | undefined;

export function secretsClient(): SecretsManagerClient {
  client ??= tracer.captureAWSv3Client(new SecretsManagerClient(clientOptions(config().SECRETS_MANAGER_ENDPOINT)));
  return client;
}

/** Drops the singleton: the next call rebuilds it from the current environment. */
export function resetSecretsClient(): void {
  client = undefined;
}
