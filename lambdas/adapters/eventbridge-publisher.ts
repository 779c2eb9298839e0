import { PutEventsCommand, type EventBridgeClient, type PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import { EVENT_SOURCE } from '../../definitions/webhooks.ts';
import type { EventPublisher, OutgoingEvent, PublishResult } from '../use-cases/ports.ts';

/** PutEvents limits: entries per request, and the size of a request's entries together. */
export const MAX_ENTRIES_PER_REQUEST = 10;
export const MAX_REQUEST_BYTES = 256 * 1024;

/**
 * An entry's size as EventBridge counts it against the 256 KB limit: 14 bytes when Time is set, plus
 * the UTF-8 bytes of Source, DetailType, Detail and each of Resources.
 */
export function entrySize(entry: PutEventsRequestEntry): number {
  const bytes = (s: string | undefined) => (s === undefined ? 0 : Buffer.byteLength(s, 'utf8'));
  return (
    (entry.Time ? 14 : 0) +
    bytes(entry.Source) +
    bytes(entry.DetailType) +
    bytes(entry.Detail) +
    (entry.Resources ?? []).reduce((sum, resource) => sum + bytes(resource), 0)
  );
}

/** An entry and its place in the batch, where its result goes. */
interface Indexed {
  readonly i: number;
  readonly entry: PutEventsRequestEntry;
}

/**
 * The pinrelay bus over PutEvents. Requests carry at most 10 entries and 256 KB, sent one after another
 * so the bus receives the events in the order given. PutEvents answers per entry (FailedEntryCount and
 * an ErrorCode on each refused entry, HTTP 200 all the same): each result says what happened to its
 * event. A request that fails as a whole (after the SDK's own retries) fails its entries and only them.
 */
export class EventBridgePublisher implements EventPublisher {
  constructor(
    private readonly client: EventBridgeClient,
    private readonly eventBusName: string,
    private readonly source: string = EVENT_SOURCE,
  ) {}

  async publish(events: readonly OutgoingEvent[]): Promise<readonly PublishResult[]> {
    const entries: PutEventsRequestEntry[] = events.map((event) => ({
      EventBusName: this.eventBusName,
      Source: this.source,
      DetailType: event.detailType,
      Detail: JSON.stringify(event.detail),
    }));
    const results: PublishResult[] = new Array(entries.length);
    for (const request of this.requests(entries, results)) {
      try {
        const out = await this.client.send(new PutEventsCommand({ Entries: request.map(({ entry }) => entry) }));
        request.forEach(({ i }, k) => {
          const answer = out.Entries?.[k];
          results[i] =
            answer?.EventId && !answer.ErrorCode
              ? { ok: true, eventId: answer.EventId }
              : {
                  ok: false,
                  errorCode: answer?.ErrorCode ?? 'NoResult',
                  errorMessage: answer?.ErrorMessage ?? 'PutEvents returned no result for this entry',
                };
        });
      } catch (error) {
        const { name, message } = error instanceof Error ? error : new Error(String(error));
        for (const { i } of request) results[i] = { ok: false, errorCode: name, errorMessage: message };
      }
    }
    return results;
  }

  /**
   * Entries (with their index) grouped into requests, in order. An entry too large to send at all gets its
   * failure in `results` here and goes in no request.
   */
  private requests(entries: readonly PutEventsRequestEntry[], results: PublishResult[]): Indexed[][] {
    const requests: Indexed[][] = [];
    let current: Indexed[] = [];
    let bytes = 0;
    entries.forEach((entry, i) => {
      const size = entrySize(entry);
      if (size > MAX_REQUEST_BYTES) {
        results[i] = { ok: false, errorCode: 'EntryTooLarge', errorMessage: `the event is ${size} bytes; PutEvents takes at most 256 KB` };
        return;
      }
      if (current.length === MAX_ENTRIES_PER_REQUEST || bytes + size > MAX_REQUEST_BYTES) {
        requests.push(current);
        current = [];
        bytes = 0;
      }
      current.push({ i, entry });
      bytes += size;
    });
    if (current.length > 0) requests.push(current);
    return requests;
  }
}
