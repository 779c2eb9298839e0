import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SQSClient } from '@aws-sdk/client-sqs';
import { config } from './config.ts';
import { tracer } from './powertools.ts';

/**
 * SDK clients are module singletons (one per Lambda container), built lazily from config so an
 * endpoint override (local mode, LocalStack) is honoured and unused clients cost nothing at cold start.
 * Each is captured by the tracer: every AWS call is a subsegment of the invocation's trace (a no-op
 * where tracing is off: local mode, tests).
 */
let dynamo: DynamoDBDocumentClient | undefined;
let sqs: SQSClient | undefined;
let secrets: SecretsManagerClient | undefined;
let events: EventBridgeClient | undefined;

const base = (endpoint: string | undefined) => ({
  region: config().AWS_REGION,
  ...(endpoint ? { endpoint } : {}),
});

export function dynamoClient(): DynamoDBDocumentClient {
  dynamo ??= DynamoDBDocumentClient.from(tracer.captureAWSv3Client(new DynamoDBClient(base(config().DYNAMODB_ENDPOINT))), {
    marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: false },
  });
  return dynamo;
}

export function sqsClient(): SQSClient {
  sqs ??= tracer.captureAWSv3Client(new SQSClient(base(config().SQS_ENDPOINT)));
  return sqs;
}

export function secretsClient(): SecretsManagerClient {
  secrets ??= tracer.captureAWSv3Client(new SecretsManagerClient(base(config().SECRETS_MANAGER_ENDPOINT)));
  return secrets;
}

export function eventsClient(): EventBridgeClient {
  events ??= tracer.captureAWSv3Client(new EventBridgeClient(base(config().EVENTBRIDGE_ENDPOINT)));
  return events;
}

/** Local mode and tests: drop the singletons so the next call rebuilds them from the current env. */
export function resetClientsForTests(): void {
  dynamo = undefined;
  sqs = undefined;
  secrets = undefined;
  events = undefined;
}
