/**
 * In-memory EventBridge for local mode: event buses and PutEvents, rules with event patterns, and
 * webhook delivery through connections and API destinations — with retries, rate limits and
 * dead-letter queues — so pinrelay's webhook set-up code runs unchanged against it and against AWS.
 *
 * Matches AWS where behaviour is observable by callers:
 * - PutEvents: 1–10 entries per request and ≤ 256 KB in total, else the whole call fails
 *   (ValidationException); a bad entry fails alone, in its slot of `Entries` (InvalidArgument,
 *   MalformedDetail, NotAuthorizedForSourceException), and the others are still accepted;
 * - an entry for a bus that does not exist is *accepted* (EventId, FailedEntryCount 0) and silently
 *   dropped — AWS has always done this (aws/aws-sdk#186, aws/aws-cli#9186). The stand-in keeps
 *   such events apart (`droppedEvents()`) so a wrong bus name is visible in local mode;
 * - rules and targets: eventbridge/rules.ts; patterns: event-pattern.ts; connections and API
 *   destinations: eventbridge/connections.ts; what targets receive: eventbridge/input-transformer.ts;
 *   delivery, retries, rate limits and dead-letter queues: eventbridge/delivery.ts.
 *
 * Delivery is asynchronous (PutEvents never waits for it) and uses real HTTP; only its timing is
 * local: retries follow `retry` (about a second, not minutes) and MaximumEventAgeInSeconds can be
 * scaled down (`retry.ageScale`). Tests wait with `idle()` and inspect `deliveries()` and
 * `failedDeliveries()`.
 */
import { randomUUID } from 'node:crypto';
import {
  AwsServiceError,
  epochSeconds,
  optionalString,
  requireString,
  startAwsJsonServer,
  type AwsJsonInput,
  type RunningStandIn,
} from './aws-json-server.ts';
import { createApiDestinationsStore, type ApiDestinationSnapshot, type ConnectionSnapshot } from './eventbridge/connections.ts';
import type { FailedDelivery } from './eventbridge/dead-letter.ts';
import { createDeliveryEngine, DEFAULT_REQUEST_TIMEOUT_MS, type DeliveryAttempt } from './eventbridge/delivery.ts';
import { DEFAULT_RETRY_TIMING, type RetryTiming } from './eventbridge/delivery-timing.ts';
import { createRulesStore, type RuleSnapshot, type StoredTarget } from './eventbridge/rules.ts';
import { ACCOUNT, BUS_ARN_PREFIX, DEFAULT_BUS, REGION, type BusEvent, type EventListener } from './eventbridge/types.ts';

export type { ApiDestinationSnapshot, ConnectionSnapshot } from './eventbridge/connections.ts';
export type { ExhaustedRetryCondition, FailedDelivery } from './eventbridge/dead-letter.ts';
export type { DeliveryAttempt } from './eventbridge/delivery.ts';
export type { RetryTiming } from './eventbridge/delivery-timing.ts';
export type { RuleSnapshot, StoredTarget } from './eventbridge/rules.ts';
export type { BusEvent, EventEnvelope, EventListener } from './eventbridge/types.ts';

export interface EventBridgeStandInOptions {
  /** 0 (the default) picks a free loopback port. */
  port?: number;
  /** Clock for event times and resource timestamps; injectable for tests (delivery timing uses the real clock). @default () => new Date() */
  now?: () => Date;
  /** Told when a listener throws or rejects (PutEvents itself still succeeds, as on AWS). @default console.error */
  onListenerError?: (error: unknown, event: BusEvent) => void;
  /**
   * SQS endpoint (e.g. fauxqs) for dead-letter queues and SQS-queue targets: queue ARNs
   * `arn:aws:sqs:<region>:<account>:<name>` are turned into URLs with GetQueueUrl. Without it, an
   * event that should be dead-lettered is dropped (and recorded as such). @default undefined
   */
  sqsEndpoint?: string;
  /** Retry timing (merged over the defaults). @default { firstDelayMs: 1000, maxDelayMs: 20000, multiplier: 2, jitter: 0.5, ageScale: 1 } */
  retry?: Partial<RetryTiming>;
  /** How long an API destination may take to answer. @default 5000 (as on AWS) */
  requestTimeoutMs?: number;
  /** Told about each event a target did not get (dead-lettered or dropped). @default a one-line console.warn */
  onDeliveryFailure?: (failure: FailedDelivery) => void;
  /** Entries kept by `deliveries()` and `failedDeliveries()`. @default 10000 */
  historyLimit?: number;
}

export interface EventBridgeStandIn extends RunningStandIn {
  /** Every accepted event, in acceptance order (optionally only one bus's). */
  events(eventBusName?: string): BusEvent[];
  /** Events addressed to buses that do not exist: accepted like AWS does, then dropped. */
  droppedEvents(): BusEvent[];
  /** Called for each accepted event, in order, after it is stored. Returns an unsubscribe function. */
  onEvent(listener: EventListener): () => void;
  /** Forget stored and dropped events (buses stay). */
  clearEvents(): void;
  /** Rules with their targets (optionally only one bus's). */
  rules(eventBusName?: string): RuleSnapshot[];
  /** A rule's targets as PutTargets stored them. @param eventBusName @default 'default' */
  targets(ruleName: string, eventBusName?: string): StoredTarget[];
  /** Connections, secrets included (Describe/List never return those). */
  connections(): ConnectionSnapshot[];
  apiDestinations(): ApiDestinationSnapshot[];
  /** Every delivery attempt, oldest first: event, rule, target, attempt number, status or error, times. */
  deliveries(): DeliveryAttempt[];
  /** Events a target did not get: dead-lettered (with the queue and message id) or dropped (with why). */
  failedDeliveries(): FailedDelivery[];
  /** Resolves when no delivery is queued, waiting for a retry, in flight or being dead-lettered. */
  idle(): Promise<void>;
}

const MAX_ENTRIES = 10;
const MAX_REQUEST_BYTES = 256 * 1024;
const BUS_NAME_PATTERN = /^[/.\-_A-Za-z0-9]{1,256}$/;

interface Bus {
  readonly name: string;
  readonly arn: string;
  readonly description?: string;
  readonly creationTime: Date;
}

interface EntryFailure {
  readonly ErrorCode: string;
  readonly ErrorMessage: string;
}

export async function startEventBridgeStandIn(options: EventBridgeStandInOptions = {}): Promise<EventBridgeStandIn> {
  const now = options.now ?? (() => new Date());
  const onListenerError =
    options.onListenerError ??
    ((error, event) => console.error(`[eventbridge stand-in] listener failed for event ${event.event.id}`, error));

  const buses = new Map<string, Bus>();
  const addBus = (name: string, description?: string): Bus => {
    const bus: Bus = { name, arn: `${BUS_ARN_PREFIX}${name}`, description, creationTime: now() };
    buses.set(name, bus);
    return bus;
  };
  addBus(DEFAULT_BUS);

  const accepted: BusEvent[] = [];
  const dropped: BusEvent[] = [];
  const listeners = new Set<EventListener>();

  /** Bus names may be given as names or ARNs. */
  const busNameOf = (nameOrArn: string): string =>
    nameOrArn.startsWith(BUS_ARN_PREFIX) ? nameOrArn.slice(BUS_ARN_PREFIX.length) : nameOrArn;

  function requireBus(nameOrArn: string | undefined): Bus {
    const name = busNameOf(nameOrArn ?? DEFAULT_BUS);
    const bus = buses.get(name);
    if (!bus) throw new AwsServiceError('ResourceNotFoundException', `Event bus ${name} does not exist.`);
    return bus;
  }

  const destinations = createApiDestinationsStore(now);
  const rules = createRulesStore({ requireBus: (nameOrArn) => requireBus(nameOrArn).name });
  const delivery = createDeliveryEngine({
    retry: { ...DEFAULT_RETRY_TIMING, ...options.retry },
    requestTimeoutMs: options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
    ...(options.sqsEndpoint !== undefined ? { sqsEndpoint: options.sqsEndpoint } : {}),
    apiDestinationByArn: destinations.apiDestinationByArn,
    connectionByArn: destinations.connectionByArn,
    onFailure:
      options.onDeliveryFailure ??
      ((failure) =>
        console.warn(
          `[eventbridge stand-in] event ${failure.eventId} not delivered to ${failure.targetArn} (rule ${failure.ruleName}): ` +
            `${failure.errorCode} ${failure.errorMessage} — ${failure.disposition}${failure.dropReason ? ` (${failure.dropReason})` : ''}`,
        )),
    ...(options.historyLimit !== undefined ? { historyLimit: options.historyLimit } : {}),
  });

  function publish(event: BusEvent): void {
    accepted.push(event);
    const matches = rules.match(event);
    if (matches.length > 0) delivery.enqueue(event, matches, new Date());
    for (const listener of listeners) {
      try {
        const result = listener(event);
        if (result instanceof Promise) result.catch((error: unknown) => onListenerError(error, event));
      } catch (error) {
        onListenerError(error, event);
      }
    }
  }

  const operations = {
    ...destinations.operations,
    ...rules.operations,

    CreateEventBus(input: AwsJsonInput) {
      const name = requireString(input, 'Name');
      if (input.EventSourceName !== undefined) {
        throw new AwsServiceError('ValidationException', 'The stand-in does not support partner event sources.');
      }
      if (name.includes('/')) throw new AwsServiceError('ValidationException', "Event bus name must not contain '/'.");
      if (!BUS_NAME_PATTERN.test(name)) {
        throw new AwsServiceError(
          'ValidationException',
          `1 validation error detected: Value '${name}' at 'name' failed to satisfy constraint: Member must satisfy regular expression pattern: [/\\.\\-_A-Za-z0-9]+`,
        );
      }
      if (buses.has(name)) throw new AwsServiceError('ResourceAlreadyExistsException', `Event bus ${name} already exists.`);
      const bus = addBus(name, optionalString(input, 'Description'));
      return { EventBusArn: bus.arn, ...(bus.description !== undefined ? { Description: bus.description } : {}) };
    },

    DescribeEventBus(input: AwsJsonInput) {
      const bus = requireBus(optionalString(input, 'Name'));
      return {
        Name: bus.name,
        Arn: bus.arn,
        ...(bus.description !== undefined ? { Description: bus.description } : {}),
        CreationTime: epochSeconds(bus.creationTime),
        LastModifiedTime: epochSeconds(bus.creationTime),
      };
    },

    ListEventBuses(input: AwsJsonInput) {
      const prefix = optionalString(input, 'NamePrefix') ?? '';
      return {
        EventBuses: [...buses.values()]
          .filter((bus) => bus.name.startsWith(prefix))
          .map((bus) => ({
            Name: bus.name,
            Arn: bus.arn,
            ...(bus.description !== undefined ? { Description: bus.description } : {}),
            CreationTime: epochSeconds(bus.creationTime),
            LastModifiedTime: epochSeconds(bus.creationTime),
          })),
      };
    },

    DeleteEventBus(input: AwsJsonInput) {
      const name = busNameOf(requireString(input, 'Name'));
      if (name === DEFAULT_BUS) throw new AwsServiceError('ValidationException', 'Cannot delete event bus default.');
      // Deleting a bus that does not exist succeeds on AWS too; its rules go with it.
      buses.delete(name);
      rules.deleteBusRules(name);
      return {};
    },

    PutEvents(input: AwsJsonInput) {
      const entries = input.Entries;
      if (!Array.isArray(entries) || entries.length < 1 || entries.length > MAX_ENTRIES) {
        const count = Array.isArray(entries) ? entries.length : 0;
        throw new AwsServiceError(
          'ValidationException',
          `1 validation error detected: Value at 'entries' failed to satisfy constraint: Member must have length ${count < 1 ? 'greater than or equal to 1' : `less than or equal to ${MAX_ENTRIES}`}`,
        );
      }
      if (entries.reduce((total: number, entry: unknown) => total + entrySize(entry), 0) > MAX_REQUEST_BYTES) {
        throw new AwsServiceError('ValidationException', 'Total size of the entries in the request is over the limit.');
      }

      const results = entries.map((raw: unknown) => {
        const entry = (raw ?? {}) as Record<string, unknown>;
        const failure = validateEntry(entry);
        if (failure) return failure;
        const busName = busNameOf(typeof entry.EventBusName === 'string' && entry.EventBusName !== '' ? entry.EventBusName : DEFAULT_BUS);
        const event: BusEvent = {
          eventBusName: busName,
          eventBusArn: `${BUS_ARN_PREFIX}${busName}`,
          event: {
            version: '0',
            id: randomUUID(),
            'detail-type': entry.DetailType as string,
            source: entry.Source as string,
            account: ACCOUNT,
            time: formatTime(typeof entry.Time === 'number' && Number.isFinite(entry.Time) ? new Date(entry.Time * 1000) : now()),
            region: REGION,
            resources: Array.isArray(entry.Resources) ? entry.Resources.filter((item): item is string => typeof item === 'string') : [],
            detail: JSON.parse(entry.Detail as string) as Record<string, unknown>,
          },
        };
        if (buses.has(busName)) publish(event);
        else dropped.push(event);
        return { EventId: event.event.id };
      });
      return { FailedEntryCount: results.filter((result) => 'ErrorCode' in result).length, Entries: results };
    },
  };

  const server = await startAwsJsonServer({ targetPrefix: 'AWSEvents', operations, port: options.port });

  let stopping: Promise<void> | undefined;
  return {
    endpoint: server.endpoint,
    port: server.port,
    /** Stops accepting requests, cancels queued deliveries and retries, waits for requests in flight. */
    stop: () => {
      stopping ??= Promise.allSettled([server.stop(), delivery.stop()]).then(([serverStopped, deliveryStopped]) => {
        for (const result of [serverStopped, deliveryStopped]) if (result.status === 'rejected') throw result.reason;
      });
      return stopping;
    },
    events: (eventBusName) => accepted.filter((event) => eventBusName === undefined || event.eventBusName === busNameOf(eventBusName)),
    droppedEvents: () => [...dropped],
    onEvent: (listener) => {
      listeners.add(listener);
      return () => {
        listeners.delete(listener);
      };
    },
    clearEvents: () => {
      accepted.length = 0;
      dropped.length = 0;
    },
    rules: (eventBusName) => rules.rules(eventBusName === undefined ? undefined : busNameOf(eventBusName)),
    targets: (ruleName, eventBusName = DEFAULT_BUS) => rules.targets(ruleName, busNameOf(eventBusName)),
    connections: destinations.connections,
    apiDestinations: destinations.apiDestinations,
    deliveries: delivery.attempts,
    failedDeliveries: delivery.failures,
    idle: delivery.idle,
  };
}

/** Per-entry checks, in the order AWS reports them. */
function validateEntry(entry: Record<string, unknown>): EntryFailure | undefined {
  for (const member of ['Source', 'DetailType', 'Detail'] as const) {
    if (typeof entry[member] !== 'string' || entry[member] === '') {
      return { ErrorCode: 'InvalidArgument', ErrorMessage: `Parameter ${member} is not valid. Reason: ${member} is a required argument.` };
    }
  }
  if ((entry.Source as string).startsWith('aws.')) {
    return { ErrorCode: 'NotAuthorizedForSourceException', ErrorMessage: 'Not authorized for the source.' };
  }
  let detail: unknown;
  try {
    detail = JSON.parse(entry.Detail as string);
  } catch {
    detail = undefined;
  }
  // Detail must be a JSON *object*; arrays, strings and numbers are malformed too.
  if (detail === null || typeof detail !== 'object' || Array.isArray(detail)) {
    return { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' };
  }
  return undefined;
}

/** Entry size as AWS documents it: 14 bytes for Time, plus the UTF-8 bytes of the text members. */
function entrySize(raw: unknown): number {
  const entry = (raw ?? {}) as Record<string, unknown>;
  const bytes = (value: unknown): number => (typeof value === 'string' ? Buffer.byteLength(value) : 0);
  const resources = Array.isArray(entry.Resources) ? entry.Resources.reduce((sum: number, item: unknown) => sum + bytes(item), 0) : 0;
  return (entry.Time !== undefined ? 14 : 0) + bytes(entry.Source) + bytes(entry.DetailType) + bytes(entry.Detail) + resources;
}

function formatTime(date: Date): string {
  return `${date.toISOString().slice(0, 19)}Z`;
}
