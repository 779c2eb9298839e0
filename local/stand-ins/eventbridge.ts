/**
 * In-memory EventBridge for local mode: event buses and PutEvents with AWS's validation and
 * per-entry failure reporting, keeping every accepted event, in order, for subscribers.
 *
 * Matches AWS where behaviour is observable by callers:
 * - 1–10 entries per request and ≤ 256 KB in total, else the whole call fails (ValidationException);
 * - a bad entry fails alone, in its slot of `Entries` (InvalidArgument, MalformedDetail,
 *   NotAuthorizedForSourceException), and the others are still accepted;
 * - an entry for a bus that does not exist is *accepted* (EventId, FailedEntryCount 0) and silently
 *   dropped — AWS has always done this (aws/aws-sdk#186, aws/aws-cli#9186). The stand-in keeps
 *   such events apart (`droppedEvents()`) so a wrong bus name is visible in local mode.
 *
 * Design note, not built yet: rules (event patterns) and API-destination targets with fast,
 * configurable retries and a DLQ will subscribe through `onEvent`, which is why listeners get the
 * full event envelope exactly as an EventBridge target would.
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

export interface EventBridgeStandInOptions {
  /** 0 (the default) picks a free loopback port. */
  port?: number;
  /** Clock for event times and bus timestamps; injectable for tests. @default () => new Date() */
  now?: () => Date;
  /** Told when a listener throws or rejects (PutEvents itself still succeeds, as on AWS). @default console.error */
  onListenerError?: (error: unknown, event: BusEvent) => void;
}

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

export interface EventBridgeStandIn extends RunningStandIn {
  /** Every accepted event, in acceptance order (optionally only one bus's). */
  events(eventBusName?: string): BusEvent[];
  /** Events addressed to buses that do not exist: accepted like AWS does, then dropped. */
  droppedEvents(): BusEvent[];
  /** Called for each accepted event, in order, after it is stored. Returns an unsubscribe function. */
  onEvent(listener: EventListener): () => void;
  /** Forget stored and dropped events (buses stay). */
  clearEvents(): void;
}

const ACCOUNT = '000000000000';
const REGION = 'us-east-1';
const DEFAULT_BUS = 'default';
const MAX_ENTRIES = 10;
const MAX_REQUEST_BYTES = 256 * 1024;
const BUS_NAME_PATTERN = /^[/.\-_A-Za-z0-9]{1,256}$/;
const BUS_ARN_PREFIX = `arn:aws:events:${REGION}:${ACCOUNT}:event-bus/`;

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
    options.onListenerError ?? ((error, event) => console.error(`[eventbridge stand-in] listener failed for event ${event.event.id}`, error));

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
  const busNameOf = (nameOrArn: string): string => (nameOrArn.startsWith(BUS_ARN_PREFIX) ? nameOrArn.slice(BUS_ARN_PREFIX.length) : nameOrArn);

  function requireBus(nameOrArn: string | undefined): Bus {
    const name = busNameOf(nameOrArn ?? DEFAULT_BUS);
    const bus = buses.get(name);
    if (!bus) throw new AwsServiceError('ResourceNotFoundException', `Event bus ${name} does not exist.`);
    return bus;
  }

  function publish(event: BusEvent): void {
    accepted.push(event);
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
      // Deleting a bus that does not exist succeeds on AWS too.
      buses.delete(name);
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

  return {
    ...server,
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
