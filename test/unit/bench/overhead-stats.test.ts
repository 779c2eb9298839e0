import { describe, expect, it } from 'vitest';
import { areaOf, summarizeProfile } from '../../../bench/overhead-profile.ts';
import { itemKindOf, jobIdsIn, operationOf, resourceOf } from '../../../bench/overhead-proxy.ts';
import { percentile, perUnit, ratio, stageBreakdown, summarize } from '../../../bench/overhead-stats.ts';

/**
 * The overhead benchmark's figures (bench/overhead.ts) are only as right as this arithmetic: a percentile
 * off by one rank, a stage measured between the wrong points or a call filed under the wrong operation
 * would print a plausible, wrong table. Each is held to an answer computed by hand.
 */
describe('percentile (nearest rank)', () => {
  it('answers the smallest value with at least p % of the sample at or below it', () => {
    expect(percentile([4, 1, 3, 2], 50)).toBe(2);
    expect(percentile([4, 1, 3, 2], 75)).toBe(3);
    expect(percentile([4, 1, 3, 2], 100)).toBe(4);
    const hundred = Array.from({ length: 100 }, (_, i) => 100 - i); // 100 … 1, unsorted on purpose
    expect(percentile(hundred, 99)).toBe(99);
    expect(percentile(hundred, 50)).toBe(50);
    expect(percentile([7], 99)).toBe(7);
  });

  it('answers null for an empty sample and refuses a p outside (0, 100]', () => {
    expect(percentile([], 50)).toBeNull();
    expect(() => percentile([1], 0)).toThrow(RangeError);
    expect(() => percentile([1], 101)).toThrow(RangeError);
  });

  it('does not reorder the caller’s array', () => {
    const values = [3, 1, 2];
    percentile(values, 50);
    expect(values).toEqual([3, 1, 2]);
  });
});

describe('summaries and ratios', () => {
  it('summarises count, p50, p99, mean and max', () => {
    expect(summarize([10, 20, 30, 40])).toEqual({ count: 4, p50: 20, p99: 40, mean: 25, max: 40 });
    expect(summarize([])).toEqual({ count: 0, p50: null, p99: null, mean: null, max: null });
  });

  it('divides to two decimals and answers null without both figures', () => {
    expect(ratio(20.3, 16.1)).toBe(1.26);
    expect(ratio(null, 3)).toBeNull();
    expect(ratio(3, 0)).toBeNull();
  });

  it('turns counts into per-job figures, largest first', () => {
    const counts = new Map([
      ['DynamoDB.GetItem', 600],
      ['SQS.SendMessage', 100],
      ['DynamoDB.UpdateItem', 575],
    ]);
    expect(Object.entries(perUnit(counts, 100))).toEqual([
      ['DynamoDB.GetItem', 6],
      ['DynamoDB.UpdateItem', 5.75],
      ['SQS.SendMessage', 1],
    ]);
  });
});

describe('stage breakdown', () => {
  it('measures each stage between its own two points and skips jobs missing either', () => {
    const stages = stageBreakdown([
      { submitted: 0, accepted: 10, dispatched: 110, received: 120, createArrived: 150, resultWritten: 160, terminalEvent: 260 },
      { submitted: 0, accepted: 20, dispatched: 220 }, // never received: only its first two stages count
    ]);
    const byName = Object.fromEntries(stages.map((s) => [s.stage, s]));
    expect(byName['intake (POST → 202)']).toMatchObject({ p50: 10, p99: 20, jobs: 2 });
    expect(byName['stream → relay → SendMessage']).toMatchObject({ p50: 100, p99: 200, jobs: 2 });
    expect(byName['queue wait (SendMessage → received)']).toMatchObject({ p50: 10, jobs: 1 });
    expect(byName['worker before create (load, admit, claim, token)']).toMatchObject({ p50: 30, jobs: 1 });
    expect(byName['create + result write']).toMatchObject({ p50: 10, jobs: 1 });
    expect(byName['stream → relay → event on the bus']).toMatchObject({ p50: 100, jobs: 1 });
  });
});

describe('what the counting proxy reads from a request', () => {
  it('names the operation from X-Amz-Target, or from the query protocol’s Action', () => {
    expect(operationOf('DynamoDB_20120810.PutItem', '')).toBe('DynamoDB.PutItem');
    expect(operationOf('DynamoDBStreams_20120810.GetRecords', '')).toBe('DynamoDBStreams.GetRecords');
    expect(operationOf('AmazonSQS.SendMessage', '')).toBe('SQS.SendMessage');
    expect(operationOf(undefined, 'Action=ReceiveMessage&QueueUrl=x')).toBe('SQS.ReceiveMessage');
    expect(operationOf(undefined, '{}')).toBe('unknown');
  });

  it('finds job ids (also inside an escaped message body), the table or queue, and the kind of item', () => {
    const id = 'job_0123456789abcdefghjkmnpqrs';
    const send = JSON.stringify({
      QueueUrl: 'http://127.0.0.1:1/000000000000/PublishQueue.fifo',
      MessageBody: JSON.stringify({ job_id: id }),
    });
    expect(jobIdsIn(send)).toEqual([id]);
    expect(resourceOf(send)).toBe('PublishQueue.fifo');
    const get = JSON.stringify({ TableName: 'TenantsTable', Key: { pk: { S: 'TENANT#ten_1' }, sk: { S: 'ACCOUNT#a' } } });
    expect(resourceOf(get)).toBe('TenantsTable');
    expect(itemKindOf(get)).toBe('TENANT/ACCOUNT');
    expect(itemKindOf(JSON.stringify({ Key: { pk: { S: `JOB#ten_1#${id}` } } }))).toBe('JOB');
    expect(jobIdsIn(`${id} ${id}`)).toEqual([id]);
  });
});

describe('CPU profile summary', () => {
  it('files self time by code area and ranks the hottest functions', () => {
    const frame = (functionName: string, url: string) => ({ functionName, url, lineNumber: 0 });
    const profile = {
      nodes: [
        { id: 1, callFrame: frame('send', 'file:///r/node_modules/@smithy/core/dist-cjs/index.js') },
        { id: 2, callFrame: frame('publishJob', 'file:///r/lambdas/use-cases/publish.ts') },
        { id: 3, callFrame: frame('(garbage collector)', '') },
      ],
      samples: [1, 1, 2, 3],
      timeDeltas: [10, 30, 40, 20],
    };
    const summary = summarizeProfile(profile);
    expect(summary.byArea).toEqual({ 'AWS SDK (@aws-sdk, @smithy)': 40, 'lambdas/': 40, '(garbage collector)': 20 });
    expect(summary.topFunctions[0]).toMatch(/^40 % /);
    expect(areaOf('node:internal/streams', 'writev')).toBe('node internals');
    expect(areaOf('file:///r/node_modules/@aws-lambda-powertools/logger/x.js', 'f')).toBe('Powertools');
  });
});
