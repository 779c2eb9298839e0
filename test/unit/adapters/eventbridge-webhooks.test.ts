import {
  CreateApiDestinationCommand,
  CreateConnectionCommand,
  DeleteApiDestinationCommand,
  DeleteConnectionCommand,
  DeleteRuleCommand,
  EventBridgeClient,
  LimitExceededException,
  ListRulesCommand,
  PutEventsCommand,
  PutRuleCommand,
  PutTargetsCommand,
  RemoveTargetsCommand,
  ResourceNotFoundException,
  UpdateConnectionCommand,
} from '@aws-sdk/client-eventbridge';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { EventBridgeWebhookProvisioner } from '../../../lambdas/adapters/eventbridge-webhooks.ts';
import { WebhookQuotaError, WebhookResourceMissingError } from '../../../lambdas/use-cases/ports.ts';
import { TENANT } from '../builders.ts';

const eb = mockClient(EventBridgeClient);
const client = new EventBridgeClient({ region: 'eu-west-1' });

const BUS = 'PinrelayprodStatefulJobEvents1A2B3C4D';
const PREFIX = 'pinrelay-prod-wh-';
const ID = 'whk_0123456789abcdefghjk';
const NAME = `${PREFIX}${ID}`;
const ROLE = 'arn:aws:iam::123456789012:role/Pinrelay-prod-Stateful-WebhooksTargetRole-ABC';
const DLQ = 'arn:aws:sqs:eu-west-1:123456789012:Pinrelay-prod-Stateful-QueuesWebhookDeadLetterQueue-XYZ';
const CONNECTION_ARN = `arn:aws:events:eu-west-1:123456789012:connection/${NAME}/6f1c0b1e-0000-4000-8000-000000000001`;
const DESTINATION_ARN = `arn:aws:events:eu-west-1:123456789012:api-destination/${NAME}/6f1c0b1e-0000-4000-8000-000000000002`;
const RULE_ARN = `arn:aws:events:eu-west-1:123456789012:rule/${BUS}/${NAME}`;

const provisioner = () =>
  new EventBridgeWebhookProvisioner(client, {
    eventBusName: BUS,
    namePrefix: PREFIX,
    targetRoleArn: ROLE,
    deadLetterQueueArn: DLQ,
    invocationRateLimitPerSecond: 10,
  });

const notFound = () => new ResourceNotFoundException({ message: 'does not exist', $metadata: {} });
/** EventBridge's ValidationException (the client has no class for it: it arrives as a service error by name). */
const validation = (message: string) => Object.assign(new Error(message), { name: 'ValidationException' });
const limit = () => new LimitExceededException({ message: 'The requested resource exceeds the maximum number allowed.', $metadata: {} });

beforeEach(() => {
  eb.reset();
});

describe('EventBridgeWebhookProvisioner: the exact control-plane calls', () => {
  it('CreateConnection: API-key auth, the secret as the x-pinrelay-webhook-secret header, named <prefix><id>', async () => {
    eb.on(CreateConnectionCommand).resolves({ ConnectionArn: CONNECTION_ARN });

    expect(await provisioner().createConnection(ID, 'whsec_s3cr3t')).toBe(CONNECTION_ARN);

    expect(eb.commandCalls(CreateConnectionCommand).map((c) => c.args[0].input)).toEqual([
      {
        Name: NAME,
        Description: `pinrelay webhook ${ID}`,
        AuthorizationType: 'API_KEY',
        AuthParameters: { ApiKeyAuthParameters: { ApiKeyName: 'x-pinrelay-webhook-secret', ApiKeyValue: 'whsec_s3cr3t' } },
      },
    ]);
  });

  it('CreateApiDestination: POST to the URL through the connection, at the stage rate limit', async () => {
    eb.on(CreateApiDestinationCommand).resolves({ ApiDestinationArn: DESTINATION_ARN });

    expect(await provisioner().createApiDestination(ID, CONNECTION_ARN, 'https://hooks.example.com/x?y=1')).toBe(DESTINATION_ARN);

    expect(eb.commandCalls(CreateApiDestinationCommand).map((c) => c.args[0].input)).toEqual([
      {
        Name: NAME,
        Description: `pinrelay webhook ${ID}`,
        ConnectionArn: CONNECTION_ARN,
        InvocationEndpoint: 'https://hooks.example.com/x?y=1',
        HttpMethod: 'POST',
        InvocationRateLimitPerSecond: 10,
      },
    ]);
  });

  it("PutRule: on the pinrelay bus, the tenant's chosen job events or anything addressed to this subscription", async () => {
    eb.on(PutRuleCommand).resolves({ RuleArn: RULE_ARN });

    expect(await provisioner().putRule(ID, TENANT, ['job.succeeded', 'job.failed'])).toBe(RULE_ARN);

    const [input] = eb.commandCalls(PutRuleCommand).map((c) => c.args[0].input);
    expect(input).toEqual({
      Name: NAME,
      EventBusName: BUS,
      Description: `pinrelay webhook ${ID} of tenant ${TENANT}`,
      EventPattern: expect.any(String),
      State: 'ENABLED',
    });
    expect(JSON.parse(input!.EventPattern!)).toEqual({
      source: ['pinrelay'],
      detail: { tenant_id: [TENANT] },
      $or: [{ 'detail-type': ['job.succeeded', 'job.failed'] }, { detail: { webhook_id: [ID] } }],
    });
  });

  it('PutTargets: the destination with the target role, input transformer, headers, 185 retries / 24 h, and the webhook DLQ', async () => {
    eb.on(PutTargetsCommand).resolves({ FailedEntryCount: 0, FailedEntries: [] });

    await provisioner().putTarget(ID, DESTINATION_ARN);

    expect(eb.commandCalls(PutTargetsCommand).map((c) => c.args[0].input)).toEqual([
      {
        Rule: NAME,
        EventBusName: BUS,
        Targets: [
          {
            Id: 'webhook',
            Arn: DESTINATION_ARN,
            RoleArn: ROLE,
            InputTransformer: {
              InputPathsMap: { id: '$.detail.id', type: '$.detail.type', created_at: '$.detail.created_at', data: '$.detail.data' },
              InputTemplate: '{"id": <id>, "type": <type>, "created_at": <created_at>, "data": <data>}',
            },
            HttpParameters: { HeaderParameters: { 'webhook-id': '$.detail.id', 'webhook-timestamp': '$.detail.timestamp' } },
            RetryPolicy: { MaximumRetryAttempts: 185, MaximumEventAgeInSeconds: 86_400 },
            DeadLetterConfig: { Arn: DLQ },
          },
        ],
      },
    ]);
  });

  it('PutTargets that reports a failed entry (not an exception) is an error', async () => {
    eb.on(PutTargetsCommand).resolves({
      FailedEntryCount: 1,
      FailedEntries: [{ TargetId: 'webhook', ErrorCode: 'ConcurrentModificationException', ErrorMessage: 'try again' }],
    });

    await expect(provisioner().putTarget(ID, DESTINATION_ARN)).rejects.toThrow(
      `PutTargets refused the target of ${ID}: ConcurrentModificationException try again`,
    );
  });

  it.each([
    ['createConnection', CreateConnectionCommand, () => provisioner().createConnection(ID, 's'), 'connection'],
    [
      'createApiDestination',
      CreateApiDestinationCommand,
      () => provisioner().createApiDestination(ID, CONNECTION_ARN, 'https://x.example.com'),
      'API destination',
    ],
    ['putRule', PutRuleCommand, () => provisioner().putRule(ID, TENANT, ['job.failed']), 'rule'],
    ['putTarget', PutTargetsCommand, () => provisioner().putTarget(ID, DESTINATION_ARN), 'target'],
  ] as const)('%s refused for a full quota: WebhookQuotaError naming what', async (_name, command, call, what) => {
    eb.on(command as never).rejects(limit());

    const error = await call().catch((e: unknown) => e);

    expect(error).toBeInstanceOf(WebhookQuotaError);
    expect((error as Error).message).toBe(`${what}: The requested resource exceeds the maximum number allowed.`);
  });

  it('other errors pass through unchanged', async () => {
    const invalid = validation('bad endpoint');
    eb.on(CreateApiDestinationCommand).rejects(invalid);

    await expect(provisioner().createApiDestination(ID, CONNECTION_ARN, 'https://x.example.com')).rejects.toBe(invalid);
  });
});

describe('deleting: target, rule, destination, connection by name; already gone is fine', () => {
  it('sends exactly these deletes', async () => {
    eb.on(RemoveTargetsCommand).resolves({ FailedEntryCount: 0, FailedEntries: [] });
    eb.on(DeleteRuleCommand).resolves({});
    eb.on(DeleteApiDestinationCommand).resolves({});
    eb.on(DeleteConnectionCommand).resolves({});
    const p = provisioner();

    await p.removeTarget(ID);
    await p.deleteRule(ID);
    await p.deleteApiDestination(ID);
    await p.deleteConnection(ID);

    expect(eb.commandCalls(RemoveTargetsCommand).map((c) => c.args[0].input)).toEqual([
      { Rule: NAME, EventBusName: BUS, Ids: ['webhook'] },
    ]);
    expect(eb.commandCalls(DeleteRuleCommand).map((c) => c.args[0].input)).toEqual([{ Name: NAME, EventBusName: BUS }]);
    expect(eb.commandCalls(DeleteApiDestinationCommand).map((c) => c.args[0].input)).toEqual([{ Name: NAME }]);
    expect(eb.commandCalls(DeleteConnectionCommand).map((c) => c.args[0].input)).toEqual([{ Name: NAME }]);
  });

  it('ResourceNotFoundException on each is success', async () => {
    eb.on(RemoveTargetsCommand).rejects(notFound());
    eb.on(DeleteRuleCommand).rejects(notFound());
    eb.on(DeleteApiDestinationCommand).rejects(notFound());
    eb.on(DeleteConnectionCommand).rejects(notFound());
    const p = provisioner();

    await expect(
      Promise.all([p.removeTarget(ID), p.deleteRule(ID), p.deleteApiDestination(ID), p.deleteConnection(ID)]),
    ).resolves.toBeDefined();
  });

  it('any other failure is not swallowed (the caller keeps the item marked and retries)', async () => {
    eb.on(DeleteRuleCommand).rejects(validation("Rule can't be deleted since it has targets."));
    eb.on(RemoveTargetsCommand).resolves({ FailedEntryCount: 1, FailedEntries: [{ TargetId: 'webhook', ErrorCode: 'InternalFailure' }] });

    await expect(provisioner().deleteRule(ID)).rejects.toThrow("Rule can't be deleted since it has targets.");
    await expect(provisioner().removeTarget(ID)).rejects.toThrow(`RemoveTargets failed for ${ID}: InternalFailure`);
  });
});

describe('rotate, test events, rule count', () => {
  it('rotateSecret: UpdateConnection with the new API key', async () => {
    eb.on(UpdateConnectionCommand).resolves({ ConnectionArn: CONNECTION_ARN });

    await provisioner().rotateSecret(ID, 'whsec_new');

    expect(eb.commandCalls(UpdateConnectionCommand).map((c) => c.args[0].input)).toEqual([
      {
        Name: NAME,
        AuthorizationType: 'API_KEY',
        AuthParameters: { ApiKeyAuthParameters: { ApiKeyName: 'x-pinrelay-webhook-secret', ApiKeyValue: 'whsec_new' } },
      },
    ]);
  });

  it('rotateSecret on a connection that is gone: WebhookResourceMissingError', async () => {
    eb.on(UpdateConnectionCommand).rejects(notFound());
    await expect(provisioner().rotateSecret(ID, 'whsec_new')).rejects.toBeInstanceOf(WebhookResourceMissingError);
  });

  it('putEvent: one entry, source pinrelay, on the bus; a refused entry is an error', async () => {
    eb.on(PutEventsCommand)
      .resolvesOnce({ FailedEntryCount: 0, Entries: [{ EventId: 'e1' }] })
      .resolvesOnce({
        FailedEntryCount: 1,
        Entries: [{ ErrorCode: 'InternalFailure', ErrorMessage: 'later' }],
      });
    const detail = { id: 'evt_1', type: 'webhook.test', webhook_id: ID };

    await provisioner().putEvent('webhook.test', detail);
    await expect(provisioner().putEvent('webhook.test', detail)).rejects.toThrow(
      'PutEvents refused the webhook.test event: InternalFailure later',
    );

    expect(eb.commandCalls(PutEventsCommand)[0]!.args[0].input).toEqual({
      Entries: [{ Source: 'pinrelay', DetailType: 'webhook.test', Detail: JSON.stringify(detail), EventBusName: BUS }],
    });
  });

  it('countRules: every page of ListRules under the prefix on the bus', async () => {
    eb.on(ListRulesCommand)
      .resolvesOnce({ Rules: Array.from({ length: 100 }, (_, i) => ({ Name: `${PREFIX}${i}` })), NextToken: 't1' })
      .resolvesOnce({ Rules: [{ Name: `${PREFIX}x` }, { Name: `${PREFIX}y` }] });

    expect(await provisioner().countRules()).toBe(102);

    expect(eb.commandCalls(ListRulesCommand).map((c) => c.args[0].input)).toEqual([
      { EventBusName: BUS, NamePrefix: PREFIX, Limit: 100 },
      { EventBusName: BUS, NamePrefix: PREFIX, Limit: 100, NextToken: 't1' },
    ]);
  });

  it('names are validated: a prefix that makes an invalid EventBridge name fails before any call', async () => {
    const bad = new EventBridgeWebhookProvisioner(client, {
      eventBusName: BUS,
      namePrefix: 'pinrelay/prod/',
      targetRoleArn: ROLE,
      deadLetterQueueArn: DLQ,
      invocationRateLimitPerSecond: 10,
    });
    await expect(bad.createConnection(ID, 's')).rejects.toThrow(RangeError);
    expect(eb.calls()).toHaveLength(0);
  });
});
