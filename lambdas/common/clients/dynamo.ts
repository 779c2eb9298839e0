import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { config } from '../config.ts';
import { tracer } from '../powertools.ts';
import { clientOptions } from './endpoint.ts';

/**
 * The container's DynamoDB client (document client over a traced DynamoDBClient), built on first use.
 * One module per client, so a function bundles only the SDK clients it calls (lambdas/common/clients.ts
 * explains the singletons).
 */
let dynamo: DynamoDBDocumentClient | undefined;

export function dynamoClient(): DynamoDBDocumentClient {
  dynamo ??= DynamoDBDocumentClient.from(tracer.captureAWSv3Client(new DynamoDBClient(clientOptions(config().DYNAMODB_ENDPOINT))), {
    marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: false },
  });
  return dynamo;
}

/** Drops the singleton: the next call rebuilds it from the current environment. */
export function resetDynamoClient(): void {
  dynamo = undefined;
}
