import {
  DescribeStreamCommand,
  GetShardIteratorCommand,
  type DynamoDBStreamsClient,
  type _Record as StreamRecord,
} from '@aws-sdk/client-dynamodb-streams';
import type { Context, DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { lambdaContext } from './http-api.ts';

/**
 * Local stand-in for a Lambda DynamoDB Streams event source mapping (ReportBatchItemFailures,
 * bounded retries, on-failure destination): shards are read in order, parents before children; a
 * batch is retried from the first failed record until it succeeds or `retryAttempts` run out, and
 * then handed to `onFailure` and skipped — the behaviour the CDK JobOutbox construct configures.
 */

type StreamHandler = (event: DynamoDBStreamEvent, context: Context) => Promise<DynamoDBBatchResponse | undefined>;

export interface StreamPollerOptions {
  readonly streams: DynamoDBStreamsClient;
  /** DynamoDB Local's endpoint: GetRecords is read as raw JSON (see getRecordsRaw). */
  readonly endpoint: string;
  readonly streamArn: string;
  readonly functionName: string;
  readonly handler: StreamHandler;
  /** @default 100 */
  readonly batchSize?: number;
  /** Retries of a failing batch before it goes to onFailure. @default 10 */
  readonly retryAttempts?: number;
  /** Called with the records given up on (the on-failure destination). */
  readonly onFailure?: (records: readonly DynamoDBRecord[], error: unknown) => Promise<void> | void;
  /** Idle wait between empty reads. @default 200 */
  readonly pollIntervalMs?: number;
  readonly onError?: (error: unknown) => void;
  /** Persisted positions (shard id → last processed sequence number), for `npm start -- --data`. */
  readonly checkpoints?: { load(): Record<string, string>; save(positions: Record<string, string>): void };
}

export interface StreamPoller {
  /** Resolves once every record written before the call has been handed to the handler (tests). */
  drained(timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

interface ShardState {
  readonly shardId: string;
  readonly parentShardId: string | undefined;
  iterator: string | undefined;
  closed: boolean;
  /** Records read but not yet processed successfully. */
  pending: StreamRecord[];
  failures: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface GetRecordsOutput {
  Records?: StreamRecord[];
  NextShardIterator?: string;
}

/**
 * GetRecords over raw JSON (DynamoDB Streams protocol, JSON 1.0). The SDK's deserializer turns an
 * empty map attribute (`{"M":{}}`) into `{}`, which unmarshall then rejects; Lambda hands handlers
 * the raw JSON, so reading it raw is also the faithful choice. DynamoDB Local does not check signatures.
 */
async function getRecordsRaw(endpoint: string, shardIterator: string): Promise<GetRecordsOutput> {
  const response = await fetch(endpoint, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/x-amz-json-1.0',
      'X-Amz-Target': 'DynamoDBStreams_20120810.GetRecords',
      Authorization: 'AWS4-HMAC-SHA256 Credential=local/20260101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=local',
    },
    body: JSON.stringify({ ShardIterator: shardIterator, Limit: 1000 }),
  });
  const body = (await response.json()) as Record<string, unknown>;
  if (!response.ok) {
    const error = new Error(String(body.message ?? body.Message ?? response.statusText));
    const type = String(body.__type ?? 'StreamsError'); // `com.amazonaws…#ExpiredIteratorException`
    error.name = type.slice(type.lastIndexOf('#') + 1);
    throw error;
  }
  return body as GetRecordsOutput;
}

/**
 * DynamoDB Local writes an empty map attribute into stream records as `{}` instead of `{"M":{}}`
 * (the table itself stores it correctly). An empty AttributeValue is never valid, so restore the map.
 */
export function repairImage(image: unknown): unknown {
  if (!image || typeof image !== 'object') return image;
  const repairValue = (value: unknown): unknown => {
    if (!value || typeof value !== 'object') return value;
    const v = value as Record<string, unknown>;
    if (Object.keys(v).length === 0) return { M: {} };
    if (v.M) return { M: repairImage(v.M) };
    if (Array.isArray(v.L)) return { L: (v.L as unknown[]).map(repairValue) };
    return v;
  };
  return Object.fromEntries(Object.entries(image as Record<string, unknown>).map(([k, v]) => [k, repairValue(v)]));
}

function toLambdaRecord(record: StreamRecord, streamArn: string): DynamoDBRecord {
  const d = record.dynamodb ?? {};
  return {
    eventID: record.eventID,
    eventName: record.eventName as DynamoDBRecord['eventName'],
    eventVersion: record.eventVersion ?? '1.1',
    eventSource: 'aws:dynamodb',
    awsRegion: record.awsRegion ?? 'us-east-1',
    eventSourceARN: streamArn,
    dynamodb: {
      ApproximateCreationDateTime: Number(d.ApproximateCreationDateTime ?? Math.floor(Date.now() / 1000)),
      Keys: d.Keys as never,
      NewImage: repairImage(d.NewImage) as never,
      OldImage: repairImage(d.OldImage) as never,
      SequenceNumber: d.SequenceNumber,
      SizeBytes: d.SizeBytes,
      StreamViewType: d.StreamViewType as never,
    },
  };
}

export function startStreamPoller(options: StreamPollerOptions): StreamPoller {
  const shards = new Map<string, ShardState>();
  const positions: Record<string, string> = options.checkpoints?.load() ?? {};
  const retryAttempts = options.retryAttempts ?? 10;
  let running = true;
  /** Loop passes started, and the last one that found nothing to do (for drained()). */
  let passesStarted = 0;
  let lastIdlePass = 0;

  async function discover(): Promise<void> {
    let exclusiveStart: string | undefined;
    do {
      const out = await options.streams.send(
        new DescribeStreamCommand({ StreamArn: options.streamArn, ...(exclusiveStart ? { ExclusiveStartShardId: exclusiveStart } : {}) }),
      );
      for (const shard of out.StreamDescription?.Shards ?? []) {
        if (!shard.ShardId || shards.has(shard.ShardId)) continue;
        shards.set(shard.ShardId, {
          shardId: shard.ShardId,
          parentShardId: shard.ParentShardId,
          iterator: undefined,
          closed: false,
          pending: [],
          failures: 0,
        });
      }
      exclusiveStart = out.StreamDescription?.LastEvaluatedShardId;
    } while (exclusiveStart);
  }

  async function iteratorFor(shard: ShardState): Promise<string | undefined> {
    const after = positions[shard.shardId];
    const out = await options.streams.send(
      new GetShardIteratorCommand({
        StreamArn: options.streamArn,
        ShardId: shard.shardId,
        ...(after ? { ShardIteratorType: 'AFTER_SEQUENCE_NUMBER', SequenceNumber: after } : { ShardIteratorType: 'TRIM_HORIZON' }),
      }),
    );
    return out.ShardIterator;
  }

  function checkpoint(shard: ShardState, record: StreamRecord) {
    const seq = record.dynamodb?.SequenceNumber;
    if (!seq) return;
    positions[shard.shardId] = seq;
    options.checkpoints?.save(positions);
  }

  /** Processes the shard's pending records; true when it made progress. */
  async function processPending(shard: ShardState): Promise<void> {
    const batch = shard.pending.slice(0, options.batchSize ?? 100);
    const event: DynamoDBStreamEvent = { Records: batch.map((r) => toLambdaRecord(r, options.streamArn)) };
    let failedFrom = -1;
    let failure: unknown;
    try {
      const response = await options.handler(event, lambdaContext(options.functionName, 30_000));
      const failedSeqs = (response?.batchItemFailures ?? []).map((f) => f.itemIdentifier);
      if (failedSeqs.length > 0) {
        failedFrom = batch.findIndex((r) => failedSeqs.includes(r.dynamodb?.SequenceNumber ?? ''));
        if (failedFrom < 0) failedFrom = 0; // an identifier we do not know: Lambda retries the whole batch
        failure = new Error(`batch item failures: ${failedSeqs.join(', ')}`);
      }
    } catch (error) {
      failedFrom = 0;
      failure = error;
    }
    const succeeded = failedFrom < 0 ? batch.length : failedFrom;
    const lastSucceeded = batch[succeeded - 1]; // undefined when none did
    if (lastSucceeded) {
      checkpoint(shard, lastSucceeded);
      shard.pending = shard.pending.slice(succeeded);
      shard.failures = 0;
    }
    if (failedFrom < 0) return;
    shard.failures++;
    options.onError?.(failure);
    if (shard.failures > retryAttempts) {
      const givenUp = shard.pending.slice(0, batch.length - succeeded);
      await options.onFailure?.(
        givenUp.map((r) => toLambdaRecord(r, options.streamArn)),
        failure,
      );
      const lastGivenUp = givenUp.at(-1); // at least the failed record
      if (lastGivenUp) checkpoint(shard, lastGivenUp);
      shard.pending = shard.pending.slice(givenUp.length);
      shard.failures = 0;
      return;
    }
    // Back off before retrying the failed records, like the event source mapping does.
    await sleep(Math.min(5_000, 100 * 2 ** (shard.failures - 1)));
  }

  async function pump(shard: ShardState): Promise<boolean> {
    if (shard.pending.length > 0) {
      await processPending(shard);
      return true;
    }
    if (shard.closed) return false;
    shard.iterator ??= await iteratorFor(shard);
    if (!shard.iterator) {
      shard.closed = true;
      return false;
    }
    let out: GetRecordsOutput;
    try {
      out = await getRecordsRaw(options.endpoint, shard.iterator);
    } catch (error) {
      // Iterators expire (15 min) and DynamoDB Local sometimes invalidates them: start again from the
      // last processed record, as the event source mapping does.
      const name = (error as Error).name;
      if (name === 'ExpiredIteratorException' || name === 'TrimmedDataAccessException') {
        shard.iterator = undefined;
        return true; // not idle: records may be waiting behind the fresh iterator
      }
      throw error;
    }
    shard.iterator = out.NextShardIterator;
    if (!shard.iterator) shard.closed = true;
    const records = out.Records ?? [];
    if (records.length === 0) return false;
    shard.pending.push(...records);
    await processPending(shard);
    return true;
  }

  async function loop(): Promise<void> {
    let lastDiscovery = 0;
    while (running) {
      const pass = ++passesStarted;
      try {
        if (Date.now() - lastDiscovery > 1_000) {
          await discover();
          lastDiscovery = Date.now();
        }
        let progressed = false;
        for (const shard of shards.values()) {
          const parent = shard.parentShardId ? shards.get(shard.parentShardId) : undefined;
          // Children wait until their parent is fully processed: per-item order across shard splits.
          if (parent && !(parent.closed && parent.pending.length === 0)) continue;
          if (await pump(shard)) progressed = true;
        }
        if (!progressed) lastIdlePass = pass;
        if (!progressed) await sleep(options.pollIntervalMs ?? 200);
      } catch (error) {
        if (!running) return;
        options.onError?.(error);
        await sleep(500);
      }
    }
  }

  const loopDone = loop();
  return {
    drained: async (timeoutMs = 10_000) => {
      const deadline = Date.now() + timeoutMs;
      // A pass that began after this call and found nothing new has seen every earlier write.
      const after = passesStarted;
      while (lastIdlePass <= after) {
        if (Date.now() > deadline) throw new Error('stream poller did not drain in time');
        await sleep(50);
      }
    },
    stop: async () => {
      running = false;
      await loopDone;
    },
  };
}
