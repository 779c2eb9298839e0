import { SQSClient } from '@aws-sdk/client-sqs';
import { config } from '../config.ts';
import { tracer } from '../powertools.ts';
import { clientOptions } from './endpoint.ts';

/** The container's traced SQS client, built on first use (lambdas/common/clients.ts explains the singletons). */
let client: SQSClient | undefined;

export function sqsClient(): SQSClient {
  client ??= tracer.captureAWSv3Client(new SQSClient(clientOptions(config().SQS_ENDPOINT)));
  return client;
}

/** Drops the singleton: the next call rebuilds it from the current environment. */
export function resetSqsClient(): void {
  client = undefined;
}
