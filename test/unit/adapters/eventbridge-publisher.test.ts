import { EventBridgeClient, PutEventsCommand, type PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  entrySize,
  EventBridgePublisher,
  MAX_ENTRIES_PER_REQUEST,
  MAX_REQUEST_BYTES,
} from '../../../lambdas/adapters/eventbridge-publisher.ts';
import { jobEventFor } from '../../../lambdas/domain/events.ts';
import type { OutgoingEvent } from '../../../lambdas/use-cases/ports.ts';
import { jobRecord } from '../builders.ts';

const BUS = 'Pinrelay-dev-Stateful-JobEvents1A2B3C';
const eb = mockClient(EventBridgeClient);
const publisher = new EventBridgePublisher(new EventBridgeClient({ region: 'eu-west-1' }), BUS);

/** `n` small events, `{n: i}` as detail. */
const numbered = (n: number, pad = 0): OutgoingEvent[] =>
  Array.from({ length: n }, (_, i) => ({ detailType: 'job.queued', detail: { n: i, ...(pad ? { pad: 'x'.repeat(pad) } : {}) } }));
const sentCalls = () => eb.commandCalls(PutEventsCommand).map((c) => c.args[0].input.Entries!);

beforeEach(() => {
  eb.reset();
  // Accept everything: one EventId per entry, in order.
  eb.on(PutEventsCommand).callsFake((input: { Entries: PutEventsRequestEntry[] }) => ({
    FailedEntryCount: 0,
    Entries: input.Entries.map((_, i) => ({ EventId: `eb-${i}` })),
  }));
});

describe('EventBridgePublisher.publish', () => {
  it('puts a job event on the pinrelay bus: source pinrelay, detail-type its type, detail its JSON', async () => {
    // Prepare
    const detail = jobEventFor(null, jobRecord())!;

    // Act
    const results = await publisher.publish([{ detailType: detail.type, detail }]);

    // Assess
    expect(eb).toHaveReceivedCommandTimes(PutEventsCommand, 1);
    expect(eb.commandCalls(PutEventsCommand)[0]!.args[0].input).toEqual({
      Entries: [{ EventBusName: BUS, Source: 'pinrelay', DetailType: 'job.queued', Detail: JSON.stringify(detail) }],
    });
    expect(results).toEqual([{ ok: true, eventId: 'eb-0' }]);
  });

  it(`sends at most ${MAX_ENTRIES_PER_REQUEST} entries per request, in order, answering in the order given`, async () => {
    const results = await publisher.publish(numbered(23));

    expect(sentCalls().map((entries) => entries.map((e) => JSON.parse(e.Detail!).n))).toEqual([
      [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
      [10, 11, 12, 13, 14, 15, 16, 17, 18, 19],
      [20, 21, 22],
    ]);
    expect(results.map((r) => (r.ok ? r.eventId : r.errorCode))).toEqual(
      [...Array(10).keys(), ...Array(10).keys(), 0, 1, 2].map((i) => `eb-${i}`),
    );
  });

  it('keeps every request within 256 KB as EventBridge counts it', async () => {
    // Prepare: five ~100 KB events: two fit in one request, three do not.
    const events = numbered(5, 100_000);

    // Act
    const results = await publisher.publish(events);

    // Assess
    expect(sentCalls().map((entries) => entries.length)).toEqual([2, 2, 1]);
    for (const entries of sentCalls()) expect(entries.reduce((sum, e) => sum + entrySize(e), 0)).toBeLessThanOrEqual(MAX_REQUEST_BYTES);
    expect(results.every((r) => r.ok)).toBe(true);
  });

  it('counts the UTF-8 bytes of source, detail-type and detail (and 14 for a time)', () => {
    expect(entrySize({ Source: 'pinrelay', DetailType: 'job.queued', Detail: '{"t":"é"}' })).toBe(8 + 10 + 10);
    expect(entrySize({ Source: 'pinrelay', DetailType: 'x', Detail: '{}', Time: new Date(), Resources: ['arn:x'] })).toBe(
      8 + 1 + 2 + 14 + 5,
    );
  });

  it('refuses an event that alone is over 256 KB without sending it, and sends the others', async () => {
    const events = [...numbered(1), { detailType: 'job.queued', detail: { pad: 'x'.repeat(MAX_REQUEST_BYTES) } }, ...numbered(1)];

    const results = await publisher.publish(events);

    expect(sentCalls()).toHaveLength(1);
    expect(sentCalls()[0]).toHaveLength(2);
    expect(results[1]).toEqual({ ok: false, errorCode: 'EntryTooLarge', errorMessage: expect.stringContaining('256 KB') });
    expect([results[0]!.ok, results[2]!.ok]).toEqual([true, true]);
  });

  it('answers per entry: a refused entry fails alone (PutEvents partial failure)', async () => {
    eb.on(PutEventsCommand).resolves({
      FailedEntryCount: 1,
      Entries: [{ EventId: 'eb-0' }, { ErrorCode: 'InternalFailure', ErrorMessage: 'Internal service error' }, { EventId: 'eb-2' }],
    });

    const results = await publisher.publish(numbered(3));

    expect(results).toEqual([
      { ok: true, eventId: 'eb-0' },
      { ok: false, errorCode: 'InternalFailure', errorMessage: 'Internal service error' },
      { ok: true, eventId: 'eb-2' },
    ]);
  });

  it('a request that fails as a whole fails its entries only; the next request is still sent', async () => {
    eb.on(PutEventsCommand)
      .rejectsOnce(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }))
      .callsFake((input: { Entries: PutEventsRequestEntry[] }) => ({
        FailedEntryCount: 0,
        Entries: input.Entries.map(() => ({ EventId: 'later' })),
      }));

    const results = await publisher.publish(numbered(12));

    expect(sentCalls()).toHaveLength(2);
    expect(results.slice(0, 10).every((r) => !r.ok && r.errorCode === 'ThrottlingException' && r.errorMessage === 'Rate exceeded')).toBe(
      true,
    );
    expect(results.slice(10)).toEqual([
      { ok: true, eventId: 'later' },
      { ok: true, eventId: 'later' },
    ]);
  });

  it('an answer without a result for an entry is a failure of that entry', async () => {
    eb.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'eb-0' }] });

    const results = await publisher.publish(numbered(2));

    expect(results[1]).toMatchObject({ ok: false, errorCode: 'NoResult' });
  });

  it('sends nothing for no events', async () => {
    await expect(publisher.publish([])).resolves.toEqual([]);
    expect(eb).toHaveReceivedCommandTimes(PutEventsCommand, 0);
  });
});
