import type { TestProject } from 'vitest/node';
import { startDynamoDbLocal } from '../../local/emulators/dynamodb-local.ts';
import { startFauxqs } from '../../local/emulators/fauxqs.ts';

/**
 * Starts the real emulators once for the whole integration tier (DynamoDB Local's JVM is the slow
 * part) and stops them by PID afterwards — also when tests fail. Each test file builds its own
 * pipeline on top with a unique name prefix (test/integration/harness.ts).
 */
declare module 'vitest' {
  export interface ProvidedContext {
    dynamodbEndpoint: string;
    sqsEndpoint: string;
  }
}

export default async function setup(project: TestProject) {
  const [dynamo, sqs] = await Promise.all([startDynamoDbLocal(), startFauxqs()]);
  project.provide('dynamodbEndpoint', dynamo.endpoint);
  project.provide('sqsEndpoint', sqs.endpoint);
  return async () => {
    await Promise.allSettled([dynamo.stop(), sqs.stop()]);
  };
}
