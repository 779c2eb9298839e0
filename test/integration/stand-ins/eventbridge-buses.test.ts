/**
 * The EventBridge stand-in, driven by the real AWS SDK v3 client: buses and PutEvents (connections, API
 * destinations, rules and targets: eventbridge-resources.test.ts; delivery itself: eventbridge-delivery.test.ts).
 */
import {
  CreateEventBusCommand,
  DescribeEventBusCommand,
  EventBridgeClient,
  EventBridgeServiceException,
  PutEventsCommand,
  ResourceAlreadyExistsException,
  ResourceNotFoundException as EventBusNotFound,
  type PutEventsRequestEntry,
} from '@aws-sdk/client-eventbridge';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEventBridgeStandIn, type BusEvent, type EventBridgeStandIn } from '../../../local/stand-ins/eventbridge.ts';
import { clientConfig, unique } from './clients.ts';

describe('EventBridge stand-in', () => {
  let standIn: EventBridgeStandIn;
  let client: EventBridgeClient;
  const busName = unique('pinrelay-bus');
  const entry = (overrides: Partial<PutEventsRequestEntry> = {}): PutEventsRequestEntry => ({
    EventBusName: busName,
    Source: 'pinrelay',
    DetailType: 'job.queued',
    Detail: JSON.stringify({ id: 'evt_1', type: 'job.queued' }),
    ...overrides,
  });

  beforeAll(async () => {
    standIn = await startEventBridgeStandIn();
    client = new EventBridgeClient(clientConfig(standIn.endpoint));
    await client.send(new CreateEventBusCommand({ Name: busName }));
  });
  afterAll(async () => {
    client?.destroy();
    await standIn?.stop();
  });

  it('has a default bus, creates named buses and describes them by name or ARN', async () => {
    const byDefault = await client.send(new DescribeEventBusCommand({}));
    expect(byDefault).toMatchObject({ Name: 'default', Arn: 'arn:aws:events:us-east-1:000000000000:event-bus/default' });

    const name = unique('bus');
    const { EventBusArn } = await client.send(new CreateEventBusCommand({ Name: name, Description: 'webhooks' }));
    expect(EventBusArn).toBe(`arn:aws:events:us-east-1:000000000000:event-bus/${name}`);
    const described = await client.send(new DescribeEventBusCommand({ Name: EventBusArn }));
    expect(described).toMatchObject({ Name: name, Description: 'webhooks' });
    expect(described.CreationTime).toBeInstanceOf(Date);
  });

  it('reports duplicate and unknown buses with the typed exceptions', async () => {
    await expect(client.send(new CreateEventBusCommand({ Name: busName }))).rejects.toBeInstanceOf(ResourceAlreadyExistsException);
    await expect(client.send(new DescribeEventBusCommand({ Name: unique('nope') }))).rejects.toBeInstanceOf(EventBusNotFound);
    const slash = await client.send(new CreateEventBusCommand({ Name: 'a/b' })).catch((e: unknown) => e);
    expect(slash).toBeInstanceOf(EventBridgeServiceException);
    expect((slash as Error).name).toBe('ValidationException');
  });

  it('accepts events, keeps them in order as EventBridge envelopes, and tells subscribers', async () => {
    standIn.clearEvents();
    const seen: BusEvent[] = [];
    const unsubscribe = standIn.onEvent((event) => {
      seen.push(event);
    });

    const result = await client.send(
      new PutEventsCommand({
        Entries: [
          entry({ DetailType: 'job.queued', Detail: '{"n":1}', Resources: ['job_1'] }),
          entry({ DetailType: 'job.running', Detail: '{"n":2}', Time: new Date('2030-01-02T03:04:05.678Z') }),
        ],
      }),
    );
    unsubscribe();
    await client.send(new PutEventsCommand({ Entries: [entry({ Detail: '{"n":3}' })] }));

    expect(result.FailedEntryCount).toBe(0);
    expect(result.Entries?.every((e) => typeof e.EventId === 'string')).toBe(true);
    const stored = standIn.events(busName);
    expect(stored.map((e) => e.event.detail)).toEqual([{ n: 1 }, { n: 2 }, { n: 3 }]);
    expect(stored[0]).toMatchObject({
      eventBusName: busName,
      eventBusArn: `arn:aws:events:us-east-1:000000000000:event-bus/${busName}`,
      event: {
        version: '0',
        id: result.Entries?.[0]?.EventId,
        'detail-type': 'job.queued',
        source: 'pinrelay',
        account: '000000000000',
        region: 'us-east-1',
        resources: ['job_1'],
      },
    });
    expect(stored[0]?.event.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(stored[1]?.event.time).toBe('2030-01-02T03:04:05Z');
    expect(seen.map((e) => e.event.detail)).toEqual([{ n: 1 }, { n: 2 }]);
  });

  it('fails bad entries one by one, like AWS, and still accepts the good ones', async () => {
    standIn.clearEvents();
    const result = await client.send(
      new PutEventsCommand({
        Entries: [
          entry({ Source: undefined }),
          entry({ DetailType: undefined }),
          entry({ Detail: undefined }),
          entry({ Detail: 'not json' }),
          entry({ Detail: '[1,2]' }),
          entry({ Source: 'aws.events' }),
          entry({ Detail: '{"ok":true}' }),
        ],
      }),
    );

    expect(result.FailedEntryCount).toBe(6);
    expect(result.Entries?.map((e) => e.ErrorCode ?? 'ok')).toEqual([
      'InvalidArgument',
      'InvalidArgument',
      'InvalidArgument',
      'MalformedDetail',
      'MalformedDetail',
      'NotAuthorizedForSourceException',
      'ok',
    ]);
    expect(result.Entries?.[0]?.ErrorMessage).toBe('Parameter Source is not valid. Reason: Source is a required argument.');
    expect(standIn.events().map((e) => e.event.detail)).toEqual([{ ok: true }]);
  });

  it('rejects the whole call for more than 10 entries or more than 256 KB', async () => {
    for (const entries of [
      Array.from({ length: 11 }, () => entry()),
      [entry({ Detail: JSON.stringify({ big: 'x'.repeat(256 * 1024) }) })],
    ]) {
      const error = await client.send(new PutEventsCommand({ Entries: entries })).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(EventBridgeServiceException);
      expect((error as Error).name).toBe('ValidationException');
    }
  });

  it('accepts but drops events for a bus that does not exist, as AWS does', async () => {
    standIn.clearEvents();
    const ghost = unique('ghost-bus');

    const result = await client.send(new PutEventsCommand({ Entries: [entry({ EventBusName: ghost })] }));

    expect(result.FailedEntryCount).toBe(0);
    expect(result.Entries?.[0]?.EventId).toBeTypeOf('string');
    expect(standIn.events()).toEqual([]);
    expect(standIn.droppedEvents().map((e) => e.eventBusName)).toEqual([ghost]);
  });

  it('sends events without EventBusName to the default bus, and addresses buses by ARN', async () => {
    standIn.clearEvents();
    await client.send(
      new PutEventsCommand({
        Entries: [
          entry({ EventBusName: undefined }),
          entry({ EventBusName: `arn:aws:events:us-east-1:000000000000:event-bus/${busName}` }),
        ],
      }),
    );

    expect(standIn.events().map((e) => e.eventBusName)).toEqual(['default', busName]);
  });

  it('reports listener failures without failing PutEvents', async () => {
    const failures: unknown[] = [];
    const local = await startEventBridgeStandIn({ onListenerError: (error) => failures.push(error) });
    const localClient = new EventBridgeClient(clientConfig(local.endpoint));
    try {
      local.onEvent(() => {
        throw new Error('sync boom');
      });
      local.onEvent(async () => {
        throw new Error('async boom');
      });

      const result = await localClient.send(new PutEventsCommand({ Entries: [entry({ EventBusName: 'default' })] }));
      await new Promise((resolve) => setImmediate(resolve));

      expect(result.FailedEntryCount).toBe(0);
      expect(failures.map((e) => (e as Error).message).sort()).toEqual(['async boom', 'sync boom']);
    } finally {
      localClient.destroy();
      await local.stop();
    }
  });
});
