import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { DynamoJobStore } from '../../../lambdas/adapters/dynamo-job-store.ts';

/**
 * What the DynamoJobStore tests share (dynamo-job-store, -outbox, -indexes). Each file mocks the document
 * client itself: the unit project shares one module graph, and a mock made here once could be replaced
 * by another file's before the next of these runs.
 */

/** A store over table `jobs-table` that keeps terminal jobs 30 days; the calling file's mockClient answers it. */
export const newJobStore = () =>
  new DynamoJobStore(DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'eu-west-1' })), 'jobs-table', 30);

/** A failed condition as DynamoDB raises it, with the stored item when the request asked for it. */
export const conditionFailed = (Item?: Record<string, unknown>) =>
  new ConditionalCheckFailedException({
    message: 'The conditional request failed',
    $metadata: {},
    ...(Item ? { Item: marshall(Item) as never } : {}),
  });

/** A listing cursor as the store encodes it: the last evaluated key, base64url JSON. */
export const cursorOf = (key: unknown) => Buffer.from(JSON.stringify(key), 'utf8').toString('base64url');
