/**
 * The EventBridge stand-in, driven by the real AWS SDK v3 client: connections, API destinations, rules and
 * targets as pinrelay's webhook adapter creates them (buses and PutEvents: eventbridge-buses.test.ts).
 */
import {
  CreateApiDestinationCommand,
  CreateConnectionCommand,
  CreateEventBusCommand,
  DeleteApiDestinationCommand,
  DeleteConnectionCommand,
  DescribeApiDestinationCommand,
  DescribeConnectionCommand,
  DescribeRuleCommand,
  EventBridgeClient,
  InvalidEventPatternException,
  LimitExceededException,
  ListApiDestinationsCommand,
  ListConnectionsCommand,
  ListRulesCommand,
  ListTargetsByRuleCommand,
  PutRuleCommand,
  PutTargetsCommand,
  ResourceNotFoundException as EventBusNotFound,
  TestEventPatternCommand,
  UpdateApiDestinationCommand,
  UpdateConnectionCommand,
  type Target,
} from '@aws-sdk/client-eventbridge';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEventBridgeStandIn, type EventBridgeStandIn } from '../../../local/stand-ins/eventbridge.ts';
import { clientConfig, unique } from './clients.ts';

describe('EventBridge stand-in', () => {
  let standIn: EventBridgeStandIn;
  let client: EventBridgeClient;
  const busName = unique('pinrelay-bus');

  beforeAll(async () => {
    standIn = await startEventBridgeStandIn();
    client = new EventBridgeClient(clientConfig(standIn.endpoint));
    await client.send(new CreateEventBusCommand({ Name: busName }));
  });
  afterAll(async () => {
    client?.destroy();
    await standIn?.stop();
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
