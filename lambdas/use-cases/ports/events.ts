/** The pinrelay EventBridge bus, as the outbox and the webhook replay publish to it. */

/** One event for the pinrelay bus: its `detail-type` and its `detail` (a JSON object). */
export interface OutgoingEvent {
  readonly detailType: string;
  readonly detail: object;
}

export type PublishResult =
  | { readonly ok: true; readonly eventId: string }
  | { readonly ok: false; readonly errorCode: string; readonly errorMessage: string };

/** The pinrelay EventBridge bus (source `pinrelay`). */
export interface EventPublisher {
  /**
   * Publishes `events` in order and answers one result per event, in the same order: the bus accepts or
   * refuses each entry on its own, so some may fail while others are published. There is no
   * deduplication: publishing the same detail again publishes it again (receivers dedupe on `detail.id`).
   */
  publish(events: readonly OutgoingEvent[]): Promise<readonly PublishResult[]>;
}
