/** Shapes shared by the EventBridge stand-in's modules (and re-exported by ../eventbridge.ts). */

export const ACCOUNT = '000000000000';
export const REGION = 'us-east-1';
export const DEFAULT_BUS = 'default';
export const ARN_PREFIX = `arn:aws:events:${REGION}:${ACCOUNT}:`;
export const BUS_ARN_PREFIX = `${ARN_PREFIX}event-bus/`;

/** The event as EventBridge delivers it to targets. */
export interface EventEnvelope {
  readonly version: '0';
  readonly id: string;
  readonly 'detail-type': string;
  readonly source: string;
  readonly account: string;
  /** ISO-8601 without milliseconds, e.g. 2025-01-01T12:00:00Z. */
  readonly time: string;
  readonly region: string;
  readonly resources: readonly string[];
  readonly detail: Record<string, unknown>;
}

export interface BusEvent {
  readonly eventBusName: string;
  readonly eventBusArn: string;
  readonly event: EventEnvelope;
}

export type EventListener = (event: BusEvent) => void | Promise<void>;
