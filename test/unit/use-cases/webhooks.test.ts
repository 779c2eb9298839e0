import { describe, expect, it } from 'vitest';
import { WEBHOOK_ID_PATTERN, WEBHOOK_PROVISIONING_STALE_SECONDS, WEBHOOK_RULE_QUOTA_MARGIN } from '../../../definitions/webhooks.ts';
import type { WebhookRecord } from '../../../lambdas/domain/webhook.ts';
import {
  InvalidWebhookUrl,
  WebhookDeletedDuringCreate,
  WebhookLimitReached,
  WebhookNotFound,
  WebhookQuotaExceeded,
  WebhookRuleQuotaNearlyFull,
} from '../../../lambdas/domain/errors.ts';
import { WebhookQuotaError } from '../../../lambdas/use-cases/ports.ts';
import {
  createWebhook,
  deleteWebhook,
  getWebhook,
  listWebhooks,
  rotateWebhookSecret,
  testWebhook,
} from '../../../lambdas/use-cases/webhooks.ts';
import { OTHER_TENANT, T0, TENANT } from '../builders.ts';
import { fakeWebhookDeps } from '../webhook-fakes.ts';

const REQUEST = { url: 'https://hooks.example.com/pinrelay?team=7', events: ['job.succeeded', 'job.failed'] as const, description: 'CMS' };
const request = (overrides: Partial<{ url: string; events: string[]; description: string }> = {}) =>
  ({ ...REQUEST, events: [...REQUEST.events], ...overrides }) as Parameters<typeof createWebhook>[2];

/** A stored subscription, as a create would have left it. */
function stored(id: string, status: WebhookRecord['status'], at: string, tenantId = TENANT): WebhookRecord {
  return {
    tenantId,
    id,
    url: 'https://hooks.example.com/x',
    events: ['job.succeeded'],
    description: null,
    created_at: at,
    updated_at: at,
    status,
    resources: {},
  };
}

const ID = (n: number) => `whk_${String(n).padStart(20, '0')}`;

describe('createWebhook', () => {
  it('answers the subscription with its secret, once; stores it provisioning, makes connection → destination → rule → target, then active', async () => {
    const deps = fakeWebhookDeps(T0);

    const created = await createWebhook(deps, TENANT, request());

    expect(created).toEqual({
      id: expect.stringMatching(WEBHOOK_ID_PATTERN),
      url: 'https://hooks.example.com/pinrelay?team=7',
      events: ['job.succeeded', 'job.failed'],
      description: 'CMS',
      created_at: T0,
      secret: expect.stringMatching(/^whsec_[A-Za-z0-9_-]{43}$/),
    });
    const id = created.id;
    expect(deps.log).toEqual([
      'store.list',
      'eventbridge.countRules',
      `store.create ${id} provisioning`,
      `eventbridge.createConnection ${id}`,
      `eventbridge.createApiDestination ${id}`,
      `eventbridge.putRule ${id}`,
      `eventbridge.putTarget ${id}`,
      `store.activate ${id}`,
    ]);
    // The secret lives in the connection only, never in the table.
    expect(deps.provisioner.connections.get(id)).toBe(created.secret);
    const record = deps.webhooks.rows.get(`${TENANT}/${id}`)!;
    expect(JSON.stringify(record)).not.toContain(created.secret);
    expect(record).toMatchObject({
      status: 'active',
      resources: {
        connectionArn: expect.stringContaining(':connection/'),
        apiDestinationArn: expect.stringContaining(':api-destination/'),
        ruleArn: expect.stringContaining(':rule/'),
      },
    });
    expect(deps.provisioner.destinations.get(id)).toMatchObject({
      url: 'https://hooks.example.com/pinrelay?team=7',
      connectionArn: record.resources.connectionArn,
    });
    expect(deps.provisioner.rules.get(id)).toEqual({ tenantId: TENANT, events: ['job.succeeded', 'job.failed'] });
    expect(deps.provisioner.targets.get(id)).toBe(record.resources.apiDestinationArn);
  });

  it('a new secret and id every time; description defaults to null; the URL is stored normalised', async () => {
    const deps = fakeWebhookDeps(T0);
    const a = await createWebhook(deps, TENANT, request({ url: 'HTTPS://Hooks.Example.com' }));
    const { description: _d, ...withoutDescription } = REQUEST;
    const b = await createWebhook(deps, TENANT, { ...withoutDescription, events: ['job.queued'] });

    expect(a.url).toBe('https://hooks.example.com/');
    expect(b.description).toBeNull();
    expect(a.id).not.toBe(b.id);
    expect(a.secret).not.toBe(b.secret);
  });

  const STEPS = ['createConnection', 'createApiDestination', 'putRule', 'putTarget'] as const;
  /** What the undo does when `step` fails: every step up to it is undone, last first (undoing a step that made nothing is a no-op). */
  const UNDO: Record<(typeof STEPS)[number], string[]> = {
    createConnection: ['deleteConnection'],
    createApiDestination: ['deleteApiDestination', 'deleteConnection'],
    putRule: ['deleteRule', 'deleteApiDestination', 'deleteConnection'],
    putTarget: ['removeTarget', 'deleteRule', 'deleteApiDestination', 'deleteConnection'],
  };

  it.each(STEPS)(
    '%s fails: what was made is deleted in reverse order, then the item; the error goes to the caller; nothing is left',
    async (step) => {
      const deps = fakeWebhookDeps(T0);
      const boom = new Error(`${step} exploded`);
      deps.provisioner.failOn.set(step, boom);

      await expect(createWebhook(deps, TENANT, request())).rejects.toBe(boom);

      const id = deps.log.find((line) => line.startsWith('store.create'))!.split(' ')[1]!;
      const failedAt = deps.log.indexOf(`eventbridge.${step} ${id}`);
      expect(deps.log.slice(failedAt + 1)).toEqual([...UNDO[step].map((undo) => `eventbridge.${undo} ${id}`), `store.remove ${id}`]);
      expect(deps.provisioner.resourceCount).toBe(0);
      expect(deps.webhooks.rows.size).toBe(0);
      expect(deps.warnings).toEqual([]);
    },
  );

  it('activation fails (a DELETE marked it meanwhile): everything made is undone and the caller is told it was deleted', async () => {
    const deps = fakeWebhookDeps(T0);
    const originalTarget = deps.provisioner.putTarget.bind(deps.provisioner);
    deps.provisioner.putTarget = async (id, arn) => {
      await originalTarget(id, arn);
      await deps.webhooks.markDeleting(TENANT, id, T0); // the concurrent DELETE's first step
    };

    await expect(createWebhook(deps, TENANT, request())).rejects.toBeInstanceOf(WebhookDeletedDuringCreate);

    expect(deps.provisioner.resourceCount).toBe(0);
    expect(deps.webhooks.rows.size).toBe(0);
  });

  it('the activation write fails: everything made is undone, the item removed', async () => {
    const deps = fakeWebhookDeps(T0);
    deps.webhooks.failNext.set('activate', new Error('ProvisionedThroughputExceededException'));

    await expect(createWebhook(deps, TENANT, request())).rejects.toThrow('ProvisionedThroughputExceededException');

    expect(deps.provisioner.resourceCount).toBe(0);
    expect(deps.webhooks.rows.size).toBe(0);
  });

  it('an undo step fails too: the item is marked deleting (never shown), and the next GET removes the rest', async () => {
    const deps = fakeWebhookDeps(T0);
    deps.provisioner.failOn.set('putTarget', new Error('throttled'));
    deps.provisioner.failOn.set('deleteApiDestination', new Error('throttled again'));

    await expect(createWebhook(deps, TENANT, request())).rejects.toThrow('throttled');

    const [record] = [...deps.webhooks.rows.values()];
    expect(record?.status).toBe('deleting');
    expect(deps.provisioner.leftFor(record!.id)).toEqual(['connection', 'api destination']);
    expect(deps.warnings).toHaveLength(1);
    expect((await listWebhooks({ ...deps, warn: () => undefined }, TENANT)).items).toEqual([]);

    deps.provisioner.failOn.clear();
    await expect(getWebhook(deps, TENANT, record!.id)).rejects.toBeInstanceOf(WebhookNotFound);
    expect(deps.provisioner.resourceCount).toBe(0);
    expect(deps.webhooks.rows.size).toBe(0);
  });

  it('EventBridge refuses for a full quota: a conflict naming the quotas, nothing left', async () => {
    const deps = fakeWebhookDeps(T0);
    deps.provisioner.failOn.set(
      'createApiDestination',
      new WebhookQuotaError('API destination: The requested resource exceeds the maximum number allowed.'),
    );

    const error = await createWebhook(deps, TENANT, request()).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(WebhookQuotaExceeded);
    expect((error as Error).message).toMatch(
      /EventBridge refused the subscription: API destination: .*3000 API destinations.*Service Quotas/,
    );
    expect(deps.provisioner.resourceCount).toBe(0);
    expect(deps.webhooks.rows.size).toBe(0);
  });

  describe('limits', () => {
    it('per tenant: at webhooks.maxPerTenant the next create is refused saying so; other tenants are not counted', async () => {
      const deps = fakeWebhookDeps(T0, { limits: { maxPerTenant: 2 } });
      await createWebhook(deps, TENANT, request());
      await createWebhook(deps, OTHER_TENANT, request());
      await createWebhook(deps, TENANT, request());
      const before = deps.provisioner.resourceCount;

      const error = await createWebhook(deps, TENANT, request()).catch((e: unknown) => e);

      expect(error).toBeInstanceOf(WebhookLimitReached);
      expect((error as Error).message).toBe(
        'this tenant already has 2 webhook subscriptions, the most allowed (webhooks.maxPerTenant = 2); delete one first, or subscribe one URL to several events',
      );
      expect(deps.provisioner.resourceCount).toBe(before);
    });

    it('a create still running counts; a leftover does not (and is removed on the way)', async () => {
      const deps = fakeWebhookDeps(T0, { limits: { maxPerTenant: 2 } });
      const staleAt = new Date(Date.parse(T0) - WEBHOOK_PROVISIONING_STALE_SECONDS * 1000).toISOString();
      deps.webhooks.seed(stored(ID(1), 'provisioning', T0)); // in flight
      deps.webhooks.seed(stored(ID(2), 'provisioning', staleAt)); // died
      deps.webhooks.seed(stored(ID(3), 'deleting', T0));

      await createWebhook(deps, TENANT, request());
      await expect(createWebhook(deps, TENANT, request())).rejects.toBeInstanceOf(WebhookLimitReached);

      expect(deps.webhooks.rows.has(`${TENANT}/${ID(1)}`)).toBe(true);
      expect(deps.webhooks.rows.has(`${TENANT}/${ID(2)}`)).toBe(false);
      expect(deps.webhooks.rows.has(`${TENANT}/${ID(3)}`)).toBe(false);
    });

    it.each([
      [300, 289, 'accepted'],
      [300, 290, 'refused'],
      [500, 489, 'accepted'],
      [500, 490, 'refused'],
    ] as const)('rules quota %i with %i rules under the prefix: %s (margin %i)', async (ruleQuota, rules, verdict) => {
      const deps = fakeWebhookDeps(T0, { limits: { ruleQuota } });
      deps.provisioner.extraRules = rules;

      const outcome = await createWebhook(deps, TENANT, request()).then(
        () => 'accepted',
        (e: unknown) => e,
      );

      if (verdict === 'accepted') {
        expect(outcome).toBe('accepted');
        return;
      }
      expect(outcome).toBeInstanceOf(WebhookRuleQuotaNearlyFull);
      expect((outcome as Error).message).toBe(
        `the deployment has ${rules} webhook subscriptions and is near EventBridge's quota of ${ruleQuota} rules per event bus ` +
          `(each subscription is one rule; new ones stop ${WEBHOOK_RULE_QUOTA_MARGIN} short of it). The operator can request a higher ` +
          '"Maximum number of rules per event bus" in Service Quotas and then raise webhooks.ruleQuota in cdk.json',
      );
      expect(deps.log).not.toContainEqual(expect.stringMatching(/^store\.create/));
    });
  });

  describe('URL rules: InvalidWebhookUrl on `url`, before anything is stored or made', () => {
    it.each([
      ['http://hooks.example.com/x', 'must use https://'],
      [
        'https://user:pw@hooks.example.com/x',
        'must not contain a user name or password (the subscription secret authenticates deliveries)',
      ],
      ['https://10.1.2.3/x', 'must not point to a private address (10.0.0.0/8)'],
      ['https://169.254.169.254/latest/meta-data', 'must not point to a cloud metadata endpoint (169.254.169.254/32)'],
      ['https://[::ffff:127.0.0.1]/x', 'must not point to a loopback address (127.0.0.0/8 via IPv4-mapped IPv6)'],
      ['https://internal.example.com/x', 'host name resolves to a private address (192.168.0.0/16)'],
      ['https://nowhere.example.com/x', 'host name does not resolve (no A or AAAA record): check the URL, or create the DNS record first'],
    ])('%s', async (url, message) => {
      const deps = fakeWebhookDeps(T0, { hosts: { 'internal.example.com': ['8.8.8.8', '192.168.1.20'] } });

      const error = await createWebhook(deps, TENANT, request({ url })).catch((e: unknown) => e);

      expect(error).toBeInstanceOf(InvalidWebhookUrl);
      expect((error as InvalidWebhookUrl).details).toEqual([{ path: 'url', message }]);
      expect(deps.log).toEqual([]);
    });

    it('local mode: http://127.0.0.1:<port> is accepted', async () => {
      const deps = fakeWebhookDeps(T0, { limits: { allowLoopback: true } });
      await expect(createWebhook(deps, TENANT, request({ url: 'http://127.0.0.1:4000/hook' }))).resolves.toMatchObject({
        url: 'http://127.0.0.1:4000/hook',
      });
    });
  });
});

describe('listWebhooks / getWebhook', () => {
  it("lists the tenant's active subscriptions, newest first, never a secret; GET shows the same", async () => {
    const deps = fakeWebhookDeps(T0);
    const first = await createWebhook(deps, TENANT, request({ description: 'first' }));
    deps.clock.advance(1000);
    const second = await createWebhook(deps, TENANT, request({ description: 'second' }));
    await createWebhook(deps, OTHER_TENANT, request());
    deps.webhooks.seed(stored(ID(9), 'provisioning', new Date(deps.clock.now()).toISOString())); // still being created

    const { items } = await listWebhooks(deps, TENANT);

    expect(items.map((w) => w.id)).toEqual([second.id, first.id]);
    const { secret: _secret, ...publicFirst } = first;
    expect(items[1]).toEqual(publicFirst);
    expect(JSON.stringify(items)).not.toMatch(/whsec_/);
    expect(await getWebhook(deps, TENANT, first.id)).toEqual(publicFirst);
  });

  it("another tenant's id, an unknown id and a malformed id are all not found", async () => {
    const deps = fakeWebhookDeps(T0);
    const mine = await createWebhook(deps, TENANT, request());

    for (const id of [mine.id, ID(5), 'whk_nope', '../x']) {
      await expect(getWebhook(deps, OTHER_TENANT, id)).rejects.toBeInstanceOf(WebhookNotFound);
    }
  });

  it('a subscription still being created is not found and is left alone; one whose create died is removed with everything it made', async () => {
    const deps = fakeWebhookDeps(T0);
    deps.webhooks.seed(stored(ID(1), 'provisioning', T0));
    await deps.provisioner.createConnection(ID(1), 'whsec_x');
    deps.webhooks.seed(stored(ID(2), 'provisioning', T0));
    await deps.provisioner.createConnection(ID(2), 'whsec_y');
    await deps.provisioner.putRule(ID(2), TENANT, ['job.failed']);

    await expect(getWebhook(deps, TENANT, ID(1))).rejects.toBeInstanceOf(WebhookNotFound);
    expect(deps.webhooks.rows.get(`${TENANT}/${ID(1)}`)?.status).toBe('provisioning');
    expect(deps.provisioner.leftFor(ID(1))).toEqual(['connection']);

    deps.clock.advance(WEBHOOK_PROVISIONING_STALE_SECONDS * 1000);
    await expect(getWebhook(deps, TENANT, ID(2))).rejects.toBeInstanceOf(WebhookNotFound);
    expect(deps.webhooks.rows.has(`${TENANT}/${ID(2)}`)).toBe(false);
    expect(deps.provisioner.leftFor(ID(2))).toEqual([]);

    // A listing removes the other one now that it is stale too.
    await listWebhooks(deps, TENANT);
    expect(deps.webhooks.rows.size).toBe(0);
    expect(deps.provisioner.resourceCount).toBe(0);
  });
});

describe('leftovers whose clean-up fails', () => {
  it('GET still answers not found (and warns); the leftover stays marked deleting for the next try', async () => {
    const deps = fakeWebhookDeps(T0);
    deps.webhooks.seed(stored(ID(4), 'deleting', T0));
    await deps.provisioner.createConnection(ID(4), 'whsec_z');
    deps.provisioner.failOn.set('deleteConnection', new Error('throttled'));

    await expect(getWebhook(deps, TENANT, ID(4))).rejects.toBeInstanceOf(WebhookNotFound);
    expect(deps.warnings).toEqual(['a leftover webhook could not be removed yet']);
    expect(deps.webhooks.rows.get(`${TENANT}/${ID(4)}`)?.status).toBe('deleting');

    deps.provisioner.failOn.clear();
    await expect(getWebhook(deps, TENANT, ID(4))).rejects.toBeInstanceOf(WebhookNotFound);
    expect(deps.webhooks.rows.size).toBe(0);
    expect(deps.provisioner.resourceCount).toBe(0);
  });
});

describe('deleteWebhook', () => {
  it('marks it deleting, removes target, rule, API destination, connection, then the item', async () => {
    const deps = fakeWebhookDeps(T0);
    const { id } = await createWebhook(deps, TENANT, request());
    deps.log.length = 0;

    await deleteWebhook(deps, TENANT, id);

    expect(deps.log).toEqual([
      `store.get ${id}`,
      `store.markDeleting ${id}`,
      `eventbridge.removeTarget ${id}`,
      `eventbridge.deleteRule ${id}`,
      `eventbridge.deleteApiDestination ${id}`,
      `eventbridge.deleteConnection ${id}`,
      `store.remove ${id}`,
    ]);
    expect(deps.provisioner.resourceCount).toBe(0);
    expect(deps.webhooks.rows.size).toBe(0);
    await expect(getWebhook(deps, TENANT, id)).rejects.toBeInstanceOf(WebhookNotFound);
  });

  it("another tenant's id is not found and removes nothing", async () => {
    const deps = fakeWebhookDeps(T0);
    const { id } = await createWebhook(deps, TENANT, request());

    await expect(deleteWebhook(deps, OTHER_TENANT, id)).rejects.toBeInstanceOf(WebhookNotFound);
    expect(deps.provisioner.leftFor(id)).toEqual(['connection', 'api destination', 'rule', 'target']);
  });

  it('a step fails: the subscription stays hidden (deleting); a second DELETE finishes the job', async () => {
    const deps = fakeWebhookDeps(T0);
    const { id } = await createWebhook(deps, TENANT, request());
    deps.provisioner.failOn.set('deleteApiDestination', new Error('throttled'));

    await expect(deleteWebhook(deps, TENANT, id)).rejects.toThrow('throttled');
    expect((await listWebhooks(deps, TENANT)).items).toEqual([]);

    deps.provisioner.failOn.clear();
    await deleteWebhook(deps, TENANT, id);
    expect(deps.provisioner.resourceCount).toBe(0);
    expect(deps.webhooks.rows.size).toBe(0);
  });
});

describe('rotateWebhookSecret', () => {
  it('puts a new secret in the connection and shows it once', async () => {
    const deps = fakeWebhookDeps(T0);
    const created = await createWebhook(deps, TENANT, request());

    const rotated = await rotateWebhookSecret(deps, TENANT, created.id);

    expect(rotated).toEqual({ ...created, secret: expect.stringMatching(/^whsec_/) });
    expect(rotated.secret).not.toBe(created.secret);
    expect(deps.provisioner.connections.get(created.id)).toBe(rotated.secret);
    expect(JSON.stringify(await getWebhook(deps, TENANT, created.id))).not.toContain('whsec_');
    await expect(rotateWebhookSecret(deps, OTHER_TENANT, created.id)).rejects.toBeInstanceOf(WebhookNotFound);
  });
});

describe('testWebhook', () => {
  it('puts one webhook.test event on the bus addressed to this subscription', async () => {
    const deps = fakeWebhookDeps(T0);
    const created = await createWebhook(deps, TENANT, request());
    deps.clock.advance(1500);

    const sent = await testWebhook(deps, TENANT, created.id);

    expect(sent.event_id).toMatch(/^evt_[0-9a-f]{32}$/);
    expect(deps.provisioner.events).toEqual([
      {
        detailType: 'webhook.test',
        detail: {
          id: sent.event_id,
          type: 'webhook.test',
          schema_version: 1,
          created_at: '2026-03-01T12:00:01.500Z',
          timestamp: Math.floor(Date.parse('2026-03-01T12:00:01.500Z') / 1000),
          tenant_id: TENANT,
          webhook_id: created.id,
          data: { webhook: { id: created.id, url: created.url, events: ['job.succeeded', 'job.failed'] } },
        },
      },
    ]);
    await expect(testWebhook(deps, OTHER_TENANT, created.id)).rejects.toBeInstanceOf(WebhookNotFound);
  });
});
