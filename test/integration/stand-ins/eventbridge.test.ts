/**
 * The EventBridge stand-in, driven by the real AWS SDK v3 client: buses and PutEvents, then connections,
 * API destinations, rules and targets as pinrelay's webhook adapter creates them (delivery itself:
 * eventbridge-delivery.test.ts).
 */
import {
  CreateApiDestinationCommand,
  CreateConnectionCommand,
  CreateEventBusCommand,
  DeleteApiDestinationCommand,
  DeleteConnectionCommand,
  DescribeApiDestinationCommand,
  DescribeConnectionCommand,
  DescribeEventBusCommand,
  DescribeRuleCommand,
  EventBridgeClient,
  EventBridgeServiceException,
  InvalidEventPatternException,
  LimitExceededException,
  ListApiDestinationsCommand,
  ListConnectionsCommand,
  ListRulesCommand,
  ListTargetsByRuleCommand,
  PutEventsCommand,
  PutRuleCommand,
  PutTargetsCommand,
  ResourceAlreadyExistsException,
  ResourceNotFoundException as EventBusNotFound,
  TestEventPatternCommand,
  UpdateApiDestinationCommand,
  UpdateConnectionCommand,
  type PutEventsRequestEntry,
  type Target,
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

  describe('connections, API destinations, rules and targets', () => {
    const roleArn = 'arn:aws:iam::000000000000:role/pinrelay-webhooks';
    const errorName = (promise: Promise<unknown>) =>
      promise.then(
        () => 'resolved',
        (e: unknown) => (e as Error).name,
      );

    async function connection(name = unique('conn'), value = 'secret-1'): Promise<string> {
      const { ConnectionArn } = await client.send(
        new CreateConnectionCommand({
          Name: name,
          AuthorizationType: 'API_KEY',
          AuthParameters: { ApiKeyAuthParameters: { ApiKeyName: 'x-pinrelay-webhook-secret', ApiKeyValue: value } },
        }),
      );
      return ConnectionArn!;
    }

    it('creates, describes, lists, updates and deletes connections, never returning secrets', async () => {
      const name = unique('conn');
      const created = await client.send(
        new CreateConnectionCommand({
          Name: name,
          Description: 'acme webhooks',
          AuthorizationType: 'API_KEY',
          AuthParameters: { ApiKeyAuthParameters: { ApiKeyName: 'x-pinrelay-webhook-secret', ApiKeyValue: 'secret-1' } },
        }),
      );
      expect(created.ConnectionArn).toMatch(new RegExp(`^arn:aws:events:us-east-1:000000000000:connection/${name}/[0-9a-f-]{36}$`));
      expect(created.ConnectionState).toBe('AUTHORIZED');
      expect(created.CreationTime).toBeInstanceOf(Date);

      await expect(errorName(connection(name))).resolves.toBe('ResourceAlreadyExistsException');
      const described = await client.send(new DescribeConnectionCommand({ Name: name }));
      expect(described).toMatchObject({
        ConnectionArn: created.ConnectionArn,
        Name: name,
        Description: 'acme webhooks',
        AuthorizationType: 'API_KEY',
        ConnectionState: 'AUTHORIZED',
        AuthParameters: { ApiKeyAuthParameters: { ApiKeyName: 'x-pinrelay-webhook-secret' } },
      });
      expect(described.SecretArn).toMatch(/^arn:aws:secretsmanager:us-east-1:000000000000:secret:events!connection\//);
      expect(JSON.stringify(described)).not.toContain('secret-1');

      const updated = await client.send(
        new UpdateConnectionCommand({ Name: name, AuthParameters: { ApiKeyAuthParameters: { ApiKeyValue: 'secret-2' } } }),
      );
      expect(updated).toMatchObject({ ConnectionArn: created.ConnectionArn, ConnectionState: 'AUTHORIZED' });
      expect(standIn.connections().find((c) => c.name === name)?.apiKey).toEqual({ name: 'x-pinrelay-webhook-secret', value: 'secret-2' });

      const prefix = unique('listed');
      for (const suffix of ['b', 'a', 'c']) await connection(`${prefix}-${suffix}`);
      const page1 = await client.send(new ListConnectionsCommand({ NamePrefix: prefix, Limit: 2 }));
      const page2 = await client.send(new ListConnectionsCommand({ NamePrefix: prefix, Limit: 2, NextToken: page1.NextToken }));
      expect([...(page1.Connections ?? []), ...(page2.Connections ?? [])].map((c) => c.Name)).toEqual(
        ['a', 'b', 'c'].map((s) => `${prefix}-${s}`),
      );
      expect(page2.NextToken).toBeUndefined();

      const deleted = await client.send(new DeleteConnectionCommand({ Name: name }));
      expect(deleted.ConnectionState).toBe('DELETING');
      await expect(client.send(new DescribeConnectionCommand({ Name: name }))).rejects.toBeInstanceOf(EventBusNotFound);
    });

    it('validates connections like AWS', async () => {
      const create = (input: Record<string, unknown>) =>
        errorName(client.send(new CreateConnectionCommand({ Name: unique('bad'), AuthorizationType: 'API_KEY', ...input } as never)));
      await expect(create({ AuthParameters: {} })).resolves.toBe('ValidationException');
      await expect(create({ AuthParameters: { BasicAuthParameters: { Username: 'u', Password: 'p' } } })).resolves.toBe(
        'ValidationException',
      );
      await expect(create({ AuthorizationType: 'TOKEN', AuthParameters: {} })).resolves.toBe('ValidationException');
      await expect(
        create({ Name: 'has spaces', AuthParameters: { ApiKeyAuthParameters: { ApiKeyName: 'k', ApiKeyValue: 'v' } } }),
      ).resolves.toBe('ValidationException');
      const basic = await client.send(
        new CreateConnectionCommand({
          Name: unique('basic'),
          AuthorizationType: 'BASIC',
          AuthParameters: { BasicAuthParameters: { Username: 'u', Password: 'p' } },
        }),
      );
      expect(basic.ConnectionState).toBe('AUTHORIZED');
    });

    it('creates API destinations on existing connections, with AWS defaults and limits', async () => {
      const connectionArn = await connection();
      const name = unique('dest');
      const created = await client.send(
        new CreateApiDestinationCommand({
          Name: name,
          ConnectionArn: connectionArn,
          InvocationEndpoint: 'https://hooks.example.com/pinrelay',
          HttpMethod: 'POST',
        }),
      );
      expect(created.ApiDestinationArn).toMatch(
        new RegExp(`^arn:aws:events:us-east-1:000000000000:api-destination/${name}/[0-9a-f-]{36}$`),
      );
      expect(created.ApiDestinationState).toBe('ACTIVE');
      expect(await client.send(new DescribeApiDestinationCommand({ Name: name }))).toMatchObject({
        ApiDestinationArn: created.ApiDestinationArn,
        ConnectionArn: connectionArn,
        InvocationEndpoint: 'https://hooks.example.com/pinrelay',
        HttpMethod: 'POST',
        InvocationRateLimitPerSecond: 300,
      });

      await client.send(
        new UpdateApiDestinationCommand({
          Name: name,
          InvocationRateLimitPerSecond: 5,
          InvocationEndpoint: 'https://hooks.example.com/v2',
        }),
      );
      const listed = await client.send(new ListApiDestinationsCommand({ NamePrefix: name }));
      expect(listed.ApiDestinations).toEqual([
        expect.objectContaining({ Name: name, InvocationRateLimitPerSecond: 5, InvocationEndpoint: 'https://hooks.example.com/v2' }),
      ]);

      const create = (input: Record<string, unknown>) =>
        errorName(
          client.send(
            new CreateApiDestinationCommand({
              Name: unique('d'),
              ConnectionArn: connectionArn,
              InvocationEndpoint: 'https://x.example.com',
              HttpMethod: 'POST',
              ...input,
            }),
          ),
        );
      await expect(create({ ConnectionArn: `${connectionArn}x` })).resolves.toBe('ResourceNotFoundException');
      await expect(create({ InvocationRateLimitPerSecond: 301 })).resolves.toBe('ValidationException');
      await expect(create({ InvocationRateLimitPerSecond: 0 })).resolves.toBe('ValidationException');
      await expect(create({ HttpMethod: 'CONNECT' })).resolves.toBe('ValidationException');
      await expect(create({ InvocationEndpoint: 'ftp://x.example.com' })).resolves.toBe('ValidationException');
      await expect(create({ Name: name })).resolves.toBe('ResourceAlreadyExistsException');

      await client.send(new DeleteApiDestinationCommand({ Name: name }));
      await expect(errorName(client.send(new DescribeApiDestinationCommand({ Name: name })))).resolves.toBe('ResourceNotFoundException');
    });

    it('creates and replaces rules, checks patterns, pages ListRules and answers TestEventPattern', async () => {
      const name = unique('rule');
      const pattern = JSON.stringify({ source: ['pinrelay'], detail: { tenant_id: ['acme'] } });
      const { RuleArn } = await client.send(
        new PutRuleCommand({ Name: name, EventBusName: busName, EventPattern: pattern, State: 'DISABLED' }),
      );
      expect(RuleArn).toBe(`arn:aws:events:us-east-1:000000000000:rule/${busName}/${name}`);
      expect(await client.send(new DescribeRuleCommand({ Name: name, EventBusName: busName }))).toMatchObject({
        Name: name,
        Arn: RuleArn,
        EventPattern: pattern,
        State: 'DISABLED',
        EventBusName: busName,
      });
      // PutRule replaces the rule: what is left out is not kept (State is ENABLED again).
      await client.send(new PutRuleCommand({ Name: name, EventBusName: busName, EventPattern: pattern }));
      expect((await client.send(new DescribeRuleCommand({ Name: name, EventBusName: busName }))).State).toBe('ENABLED');
      const onDefault = await client.send(new PutRuleCommand({ Name: name, EventPattern: pattern }));
      expect(onDefault.RuleArn).toBe(`arn:aws:events:us-east-1:000000000000:rule/${name}`);

      await expect(
        client.send(new PutRuleCommand({ Name: unique('r'), EventBusName: busName, EventPattern: '{"source": "pinrelay"}' })),
      ).rejects.toBeInstanceOf(InvalidEventPatternException);
      await expect(
        errorName(client.send(new PutRuleCommand({ Name: unique('r'), EventBusName: unique('nobus'), EventPattern: pattern }))),
      ).resolves.toBe('ResourceNotFoundException');

      const prefix = unique('paged');
      for (const suffix of ['c', 'a', 'b'])
        await client.send(new PutRuleCommand({ Name: `${prefix}-${suffix}`, EventBusName: busName, EventPattern: pattern }));
      const names: string[] = [];
      let nextToken: string | undefined;
      do {
        const page = await client.send(new ListRulesCommand({ EventBusName: busName, NamePrefix: prefix, Limit: 1, NextToken: nextToken }));
        names.push(...(page.Rules ?? []).map((rule) => rule.Name!));
        nextToken = page.NextToken;
      } while (nextToken);
      expect(names).toEqual(['a', 'b', 'c'].map((s) => `${prefix}-${s}`));

      const event = {
        id: '1',
        account: '000000000000',
        source: 'pinrelay',
        time: '2025-01-01T00:00:00Z',
        region: 'us-east-1',
        'detail-type': 'job.queued',
        resources: [],
        detail: { tenant_id: 'acme' },
      };
      expect((await client.send(new TestEventPatternCommand({ EventPattern: pattern, Event: JSON.stringify(event) }))).Result).toBe(true);
      expect(
        (await client.send(new TestEventPatternCommand({ EventPattern: pattern, Event: JSON.stringify({ ...event, source: 'x' }) })))
          .Result,
      ).toBe(false);
    });

    it('validates targets like AWS and echoes them in ListTargetsByRule', async () => {
      const connectionArn = await connection();
      const { ApiDestinationArn } = await client.send(
        new CreateApiDestinationCommand({
          Name: unique('dest'),
          ConnectionArn: connectionArn,
          InvocationEndpoint: 'https://hooks.example.com',
          HttpMethod: 'POST',
        }),
      );
      const rule = unique('rule');
      await client.send(new PutRuleCommand({ Name: rule, EventBusName: busName, EventPattern: '{"source": ["pinrelay"]}' }));
      const target = (overrides: Partial<Target> = {}): Target => ({
        Id: 'webhook',
        Arn: ApiDestinationArn,
        RoleArn: roleArn,
        InputTransformer: { InputPathsMap: { id: '$.detail.id' }, InputTemplate: '{"id": <id>}' },
        HttpParameters: { HeaderParameters: { 'webhook-id': '$.detail.id' } },
        RetryPolicy: { MaximumRetryAttempts: 8, MaximumEventAgeInSeconds: 3600 },
        DeadLetterConfig: { Arn: 'arn:aws:sqs:us-east-1:000000000000:webhooks-dlq' },
        ...overrides,
      });
      const put = (...targets: Target[]) => client.send(new PutTargetsCommand({ Rule: rule, EventBusName: busName, Targets: targets }));

      await expect(put(target())).resolves.toMatchObject({ FailedEntryCount: 0, FailedEntries: [] });
      expect((await client.send(new ListTargetsByRuleCommand({ Rule: rule, EventBusName: busName }))).Targets).toEqual([target()]);
      expect(standIn.targets(rule, busName)).toEqual([target()]);

      const invalid = async (overrides: Partial<Target>, message: RegExp) => {
        const error = await put(target(overrides)).catch((e: unknown) => e);
        expect((error as Error).name).toBe('ValidationException');
        expect((error as Error).message).toMatch(message);
      };
      await invalid({ RoleArn: undefined }, /RoleArn is required for target arn:aws:events:.*:api-destination\//);
      await invalid({ RetryPolicy: { MaximumRetryAttempts: 186 } }, /maximumRetryAttempts/);
      await invalid({ RetryPolicy: { MaximumEventAgeInSeconds: 59 } }, /maximumEventAgeInSeconds/);
      await invalid({ RetryPolicy: { MaximumEventAgeInSeconds: 86_401 } }, /maximumEventAgeInSeconds/);
      const paths = Object.fromEntries(Array.from({ length: 101 }, (_, i) => [`p${i}`, '$.detail.id']));
      await invalid({ InputTransformer: { InputPathsMap: paths, InputTemplate: '{}' } }, /at most 100/);
      await invalid({ InputTransformer: { InputTemplate: 'x'.repeat(8193) } }, /8192/);
      await invalid({ InputTransformer: { InputPathsMap: { id: '$.detail.id' }, InputTemplate: '{"id": <id>' } }, /not valid JSON/);
      await invalid({ Input: '{}' }, /Only one of Input, InputPath, or InputTransformer/);
      await invalid({ DeadLetterConfig: { Arn: 'arn:aws:sns:us-east-1:000000000000:topic' } }, /SQS queue ARN/);
      await invalid({ Arn: 'not-an-arn' }, /not in correct format/);

      await expect(put(...['a', 'b', 'c', 'd'].map((id) => target({ Id: id })))).resolves.toMatchObject({ FailedEntryCount: 0 });
      await expect(put(target({ Id: 'e' }))).rejects.toBeInstanceOf(LimitExceededException);
      await expect(
        errorName(client.send(new PutTargetsCommand({ Rule: unique('nope'), EventBusName: busName, Targets: [target()] }))),
      ).resolves.toBe('ResourceNotFoundException');
    });
  });
});
