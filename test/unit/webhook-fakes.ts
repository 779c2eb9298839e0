import { fixedClock } from '../../lambdas/domain/clock.ts';
import { newestFirst, type WebhookRecord, type WebhookResources } from '../../lambdas/domain/webhook.ts';
import { HostNotFoundError } from '../../lambdas/domain/webhook-url.ts';
import type { HostResolver, WebhookProvisioner, WebhookStore } from '../../lambdas/use-cases/ports.ts';
import type { WebhookDeps, WebhookLimits } from '../../lambdas/use-cases/webhooks.ts';
import type { JobEventType } from '../../definitions/webhooks.ts';

/**
 * In-memory fakes of the webhook ports, with the adapters' contracts: the store's conditional activate and
 * markDeleting, the provisioner's "deleting something already gone is fine". Every call is appended to a
 * shared `log`, so tests assert the order of side effects (and what a failing step leaves behind).
 */

const copy = <T>(value: T): T => structuredClone(value);

export class InMemoryWebhookStore implements WebhookStore {
  readonly rows = new Map<string, WebhookRecord>();
  /** Method name → error thrown by its next call. */
  readonly failNext = new Map<keyof WebhookStore, Error>();

  constructor(private readonly log: string[] = []) {}

  private fail(method: keyof WebhookStore): void {
    const error = this.failNext.get(method);
    if (error) {
      this.failNext.delete(method);
      throw error;
    }
  }

  seed(record: WebhookRecord): void {
    this.rows.set(`${record.tenantId}/${record.id}`, copy(record));
  }

  async create(record: WebhookRecord): Promise<void> {
    this.log.push(`store.create ${record.id} ${record.status}`);
    this.fail('create');
    if (this.rows.has(`${record.tenantId}/${record.id}`)) throw new Error('ConditionalCheckFailedException');
    this.seed(record);
  }

  async get(tenantId: string, webhookId: string): Promise<WebhookRecord | null> {
    this.log.push(`store.get ${webhookId}`);
    return copy(this.rows.get(`${tenantId}/${webhookId}`) ?? null);
  }

  async list(tenantId: string): Promise<WebhookRecord[]> {
    this.log.push('store.list');
    return [...this.rows.values()]
      .filter((r) => r.tenantId === tenantId)
      .sort(newestFirst)
      .map(copy);
  }

  async activate(tenantId: string, webhookId: string, resources: WebhookResources, at: string): Promise<boolean> {
    this.log.push(`store.activate ${webhookId}`);
    this.fail('activate');
    const row = this.rows.get(`${tenantId}/${webhookId}`);
    if (row?.status !== 'provisioning') return false;
    this.seed({ ...row, status: 'active', resources: copy(resources), updated_at: at });
    return true;
  }

  async markDeleting(tenantId: string, webhookId: string, at: string): Promise<boolean> {
    this.log.push(`store.markDeleting ${webhookId}`);
    this.fail('markDeleting');
    const row = this.rows.get(`${tenantId}/${webhookId}`);
    if (!row) return false;
    this.seed({ ...row, status: 'deleting', updated_at: at });
    return true;
  }

  async remove(tenantId: string, webhookId: string): Promise<void> {
    this.log.push(`store.remove ${webhookId}`);
    this.fail('remove');
    this.rows.delete(`${tenantId}/${webhookId}`);
  }
}

type ProvisionerMethod = keyof WebhookProvisioner;

/**
 * EventBridge as a set of named resources: creates add, deletes remove (a missing one is fine), so a test
 * can check that nothing is left. `failOn` makes a method throw (every call, until cleared).
 */
export class FakeProvisioner implements WebhookProvisioner {
  readonly connections = new Map<string, string>(); // webhook id → secret
  readonly destinations = new Map<string, { connectionArn: string; url: string }>();
  readonly rules = new Map<string, { tenantId: string; events: readonly JobEventType[] }>();
  readonly targets = new Map<string, string>(); // webhook id → destination ARN
  readonly events: { detailType: string; detail: Record<string, unknown> }[] = [];
  readonly failOn = new Map<ProvisionerMethod, Error>();
  /** Rules on the bus that are not subscriptions of this fake (countRules adds them). */
  extraRules = 0;

  constructor(private readonly log: string[] = []) {}

  private step(method: ProvisionerMethod, webhookId?: string): void {
    this.log.push(`eventbridge.${method}${webhookId ? ` ${webhookId}` : ''}`);
    const error = this.failOn.get(method);
    if (error) throw error;
  }

  /** Every resource left for a webhook id. */
  leftFor(webhookId: string): string[] {
    return [
      this.connections.has(webhookId) ? 'connection' : undefined,
      this.destinations.has(webhookId) ? 'api destination' : undefined,
      this.rules.has(webhookId) ? 'rule' : undefined,
      this.targets.has(webhookId) ? 'target' : undefined,
    ].filter((x): x is string => x !== undefined);
  }

  get resourceCount(): number {
    return this.connections.size + this.destinations.size + this.rules.size + this.targets.size;
  }

  async createConnection(webhookId: string, secret: string): Promise<string> {
    this.step('createConnection', webhookId);
    this.connections.set(webhookId, secret);
    return `arn:aws:events:eu-west-1:123456789012:connection/wh-${webhookId}/c1`;
  }

  async createApiDestination(webhookId: string, connectionArn: string, url: string): Promise<string> {
    this.step('createApiDestination', webhookId);
    this.destinations.set(webhookId, { connectionArn, url });
    return `arn:aws:events:eu-west-1:123456789012:api-destination/wh-${webhookId}/d1`;
  }

  async putRule(webhookId: string, tenantId: string, events: readonly JobEventType[]): Promise<string> {
    this.step('putRule', webhookId);
    this.rules.set(webhookId, { tenantId, events: [...events] });
    return `arn:aws:events:eu-west-1:123456789012:rule/bus/wh-${webhookId}`;
  }

  async putTarget(webhookId: string, apiDestinationArn: string): Promise<void> {
    this.step('putTarget', webhookId);
    this.targets.set(webhookId, apiDestinationArn);
  }

  async removeTarget(webhookId: string): Promise<void> {
    this.step('removeTarget', webhookId);
    this.targets.delete(webhookId);
  }

  async deleteRule(webhookId: string): Promise<void> {
    this.step('deleteRule', webhookId);
    if (this.targets.has(webhookId)) throw new Error("ValidationException: Rule can't be deleted since it has targets.");
    this.rules.delete(webhookId);
  }

  async deleteApiDestination(webhookId: string): Promise<void> {
    this.step('deleteApiDestination', webhookId);
    this.destinations.delete(webhookId);
  }

  async deleteConnection(webhookId: string): Promise<void> {
    this.step('deleteConnection', webhookId);
    this.connections.delete(webhookId);
  }

  async rotateSecret(webhookId: string, secret: string): Promise<void> {
    this.step('rotateSecret', webhookId);
    this.connections.set(webhookId, secret);
  }

  async putEvent(detailType: string, detail: Readonly<Record<string, unknown>>): Promise<void> {
    this.step('putEvent');
    this.events.push({ detailType, detail: copy(detail) as Record<string, unknown> });
  }

  async countRules(): Promise<number> {
    this.step('countRules');
    return this.rules.size + this.extraRules;
  }
}

/** Host names → addresses; an unknown name does not resolve. Records every look-up. */
export class FakeResolver implements HostResolver {
  readonly lookups: string[] = [];

  constructor(private readonly answers: Readonly<Record<string, readonly string[]>> = {}) {}

  async resolve(hostname: string): Promise<readonly string[]> {
    this.lookups.push(hostname);
    const addresses = this.answers[hostname];
    if (!addresses) throw new HostNotFoundError();
    return addresses;
  }
}

export const WEBHOOK_LIMITS: WebhookLimits = { maxPerTenant: 10, ruleQuota: 300, allowLoopback: false };

/** The webhook use cases' dependencies as fakes sharing one log, the clock fixed at `start`. */
export function fakeWebhookDeps(
  start: string,
  options: { limits?: Partial<WebhookLimits>; hosts?: Record<string, readonly string[]> } = {},
) {
  const log: string[] = [];
  const warnings: string[] = [];
  const deps = {
    log,
    warnings,
    webhooks: new InMemoryWebhookStore(log),
    provisioner: new FakeProvisioner(log),
    resolver: new FakeResolver({ 'hooks.example.com': ['93.184.216.34', '2606:2800:220:1:248:1893:25c8:1946'], ...options.hosts }),
    clock: fixedClock(start),
    limits: { ...WEBHOOK_LIMITS, ...options.limits },
    warn: (message: string) => {
      warnings.push(message);
    },
  };
  return deps satisfies WebhookDeps & { log: string[] };
}
