import type { PinFields } from '../../lambdas/domain/pin.ts';
import type { BoardPinsPage, PinterestApi, PinterestPin, RefreshedTokens } from '../../lambdas/use-cases/ports.ts';
import { retryPolicy } from '../../lambdas/domain/backoff.ts';
import { fixedClock } from '../../lambdas/domain/clock.ts';
import type { JobRecord } from '../../lambdas/domain/job.ts';
import { InMemoryJobStore } from './fake-job-store.ts';
import { FakePacer } from './fake-pacer.ts';
import type {
  AccessToken,
  AccountRecord,
  AccountTokens,
  ApiKeyRecord,
  EventPublisher,
  JobQueue,
  OutgoingEvent,
  PublishResult,
  TenantRecord,
  TenantStore,
  TokenProvider,
  TokenVault,
} from '../../lambdas/use-cases/ports.ts';

/**
 * In-memory fakes of the ports: same contracts as the DynamoDB/SQS/Secrets Manager adapters,
 * including the conditional semantics the use cases rely on. Records are copied in and out, as a
 * real store would, so a use case cannot change stored state by mutating what it read.
 * Every port call is appended to a shared `log`, so tests can assert the order of side effects.
 * The job store's fake has a module of its own (fake-job-store.ts), held to the adapter by a contract.
 */

const copy = <T>(value: T): T => structuredClone(value);

export { InMemoryJobStore };

export class InMemoryTenantStore implements TenantStore {
  readonly tenants = new Map<string, TenantRecord>();
  /** By key hash, as the table stores them. */
  readonly apiKeys = new Map<string, ApiKeyRecord & { keyHash: string; createdAt: string }>();
  readonly accounts = new Map<string, AccountRecord>();

  constructor(private readonly log: string[] = []) {}

  async createTenant(tenant: TenantRecord, key: ApiKeyRecord & { keyHash: string; createdAt: string }): Promise<void> {
    this.log.push(`tenants.createTenant ${tenant.tenantId}`);
    if (this.tenants.has(tenant.tenantId) || this.apiKeys.has(key.keyHash)) throw new Error('TransactionCanceledException');
    this.tenants.set(tenant.tenantId, copy(tenant));
    this.apiKeys.set(key.keyHash, copy(key));
  }

  async addApiKey(key: ApiKeyRecord & { keyHash: string; createdAt: string }): Promise<void> {
    this.log.push(`tenants.addApiKey ${key.tenantId}`);
    const existing = this.apiKeys.get(key.keyHash);
    if (existing && existing.tenantId !== key.tenantId) throw new Error('ConditionalCheckFailedException');
    this.apiKeys.set(key.keyHash, copy(key));
  }

  async getTenant(tenantId: string): Promise<TenantRecord | null> {
    return copy(this.tenants.get(tenantId) ?? null);
  }

  async apiKeyByHash(keyHash: string): Promise<ApiKeyRecord | null> {
    const key = this.apiKeys.get(keyHash);
    return key ? { keyId: key.keyId, tenantId: key.tenantId } : null;
  }

  async getAccount(tenantId: string, accountId: string): Promise<AccountRecord | null> {
    this.log.push(`tenants.getAccount ${accountId}`);
    return copy(this.accounts.get(`${tenantId}/${accountId}`) ?? null);
  }

  async putAccount(account: AccountRecord): Promise<void> {
    this.log.push(`tenants.putAccount ${account.account_id}`);
    this.accounts.set(`${account.tenantId}/${account.account_id}`, copy(account));
  }

  /** Like the table's conditional update: only while the account still holds `connectionId`. */
  async markReauthorizationRequired(tenantId: string, accountId: string, at: string, connectionId: string | null): Promise<boolean> {
    this.log.push(`tenants.markReauthorizationRequired ${accountId}`);
    const account = this.accounts.get(`${tenantId}/${accountId}`);
    if (!account || (account.connectionId ?? null) !== connectionId) return false;
    this.accounts.set(`${tenantId}/${accountId}`, { ...account, connection_status: 'reauthorization_required', updated_at: at });
    return true;
  }
}

export class RecordingTokenVault implements TokenVault {
  readonly saves: { tenantId: string; accountId: string; tokens: AccountTokens }[] = [];

  constructor(private readonly log: string[] = []) {}

  async save(tenantId: string, accountId: string, tokens: AccountTokens): Promise<string> {
    this.log.push(`vault.save ${accountId}`);
    this.saves.push({ tenantId, accountId, tokens: copy(tokens) });
    return `arn:aws:secretsmanager:eu-west-1:123456789012:secret:pinrelay/${tenantId}/${accountId}-AbCdEf`;
  }
}

export class RecordingJobQueue implements JobQueue {
  /** `slotMs` (pacing holds and releases) and `holdId` (releases) appear only when given. */
  readonly sent: {
    kind: 'enqueue' | 'hold' | 'pacing' | 'release';
    record: JobRecord;
    now?: Date;
    waitMs?: number;
    slotMs?: number;
    holdId?: string;
  }[] = [];

  constructor(private readonly log: string[] = []) {}

  async enqueue(record: JobRecord): Promise<void> {
    this.log.push(`queue.enqueue ${record.job.id} v${record.version}`);
    this.sent.push({ kind: 'enqueue', record: copy(record) });
  }

  async hold(record: JobRecord, now: Date): Promise<void> {
    this.log.push(`queue.hold ${record.job.id} v${record.version}`);
    this.sent.push({ kind: 'hold', record: copy(record), now });
  }

  async holdForPacing(record: JobRecord, waitMs: number, slotMs?: number): Promise<void> {
    this.log.push(`queue.holdForPacing ${record.job.id} v${record.version} ${waitMs}ms`);
    this.sent.push({ kind: 'pacing', record: copy(record), waitMs, ...(slotMs !== undefined ? { slotMs } : {}) });
  }

  async releaseHold(record: JobRecord, holdId: string, slotMs?: number): Promise<void> {
    this.log.push(`queue.releaseHold ${record.job.id} v${record.version} ${holdId}`);
    this.sent.push({ kind: 'release', record: copy(record), holdId, ...(slotMs !== undefined ? { slotMs } : {}) });
  }
}

/**
 * The pinrelay bus: records what it accepted. `refuse` answers an error code for entries the bus should
 * refuse one by one (PutEvents' per-entry failures); `unavailable` makes the next calls throw.
 */
export class RecordingEventPublisher implements EventPublisher {
  readonly published: OutgoingEvent[] = [];
  refuse: ((event: OutgoingEvent) => string | undefined) | undefined;
  unavailable: Error | undefined;
  private next = 1;

  constructor(private readonly log: string[] = []) {}

  async publish(events: readonly OutgoingEvent[]): Promise<readonly PublishResult[]> {
    this.log.push(`events.publish ${events.map((e) => `${e.detailType} ${(e.detail as { id?: string }).id ?? ''}`.trim()).join(', ')}`);
    if (this.unavailable) throw this.unavailable;
    return events.map((event) => {
      const code = this.refuse?.(event);
      if (code) return { ok: false, errorCode: code, errorMessage: `refused: ${code}` };
      this.published.push(copy(event));
      return { ok: true, eventId: `bus-${this.next++}` };
    });
  }
}

/** A full set of fakes sharing one call log, with a clock fixed at `start`. */
export function fakeDeps(start: string) {
  const log: string[] = [];
  return {
    log,
    jobs: new InMemoryJobStore(log),
    tenants: new InMemoryTenantStore(log),
    vault: new RecordingTokenVault(log),
    queue: new RecordingJobQueue(log),
    events: new RecordingEventPublisher(log),
    clock: fixedClock(start),
  };
}

/** A connected account record, as connectAccount would have stored it. */
export function accountRecord(tenantId: string, accountId: string, at: string): AccountRecord {
  return {
    tenantId,
    account_id: accountId,
    connection_status: 'connected',
    token_expires_at: null,
    refresh_token_expires_at: null,
    has_refresh_token: false,
    rate_limit_per_minute: null,
    created_at: at,
    updated_at: at,
    secretRef: `arn:aws:secretsmanager:eu-west-1:123456789012:secret:pinrelay/${tenantId}/${accountId}-AbCdEf`,
    connectionId: null,
  };
}

/** One scripted answer: a value to return, an error to throw, or a function run at call time. */
export type Step<T> = T | Error | (() => T | Promise<T>);

async function play<T>(step: Step<T> | undefined, what: string): Promise<T> {
  if (step === undefined) throw new Error(`unscripted call: ${what}`);
  if (step instanceof Error) throw step;
  if (typeof step === 'function') return (step as () => T | Promise<T>)();
  return copy(step);
}

/**
 * Pinterest answering from scripts, one step per call in order; an unscripted call throws a plain Error
 * (which the worker treats as its own bug), so a test never passes on a call it did not expect.
 */
export class ScriptedPinterest implements PinterestApi {
  readonly creates: Step<PinterestPin>[] = [];
  readonly listings: Step<BoardPinsPage>[] = [];
  readonly refreshes: Step<RefreshedTokens>[] = [];
  readonly calls: {
    op: 'createPin' | 'listBoardPins' | 'refreshAccessToken';
    token: string;
    pin?: PinFields;
    boardId?: string;
    page?: { pageSize?: number; bookmark?: string };
  }[] = [];

  constructor(private readonly log: string[] = []) {}

  async createPin(accessToken: string, pin: PinFields): Promise<PinterestPin> {
    this.log.push(`pinterest.createPin ${accessToken}`);
    this.calls.push({ op: 'createPin', token: accessToken, pin: copy(pin) });
    return play(this.creates.shift(), 'createPin');
  }

  async listBoardPins(accessToken: string, boardId: string, page?: { pageSize?: number; bookmark?: string }): Promise<BoardPinsPage> {
    this.log.push(`pinterest.listBoardPins ${boardId}${page?.bookmark ? ` ${page.bookmark}` : ''}`);
    this.calls.push({ op: 'listBoardPins', token: accessToken, boardId, ...(page ? { page: copy(page) } : {}) });
    return play(this.listings.shift(), 'listBoardPins');
  }

  async refreshAccessToken(refreshToken: string): Promise<RefreshedTokens> {
    this.log.push('pinterest.refreshAccessToken');
    this.calls.push({ op: 'refreshAccessToken', token: refreshToken });
    return play(this.refreshes.shift(), 'refreshAccessToken');
  }
}

/**
 * Access tokens `token-1`, `token-2`, …: a forced refresh moves to the next one. `failures` maps a
 * call number (1-based) to the error that call throws. The tokens belong to `connectionId` when set,
 * else to the connection the caller asked for.
 */
export class FakeTokenProvider implements TokenProvider {
  readonly calls: { tenantId: string; accountId: string; forceRefresh: boolean; connectionId?: string | null }[] = [];
  readonly failures = new Map<number, Error>();
  connectionId: string | null | undefined;
  private generation = 1;

  constructor(private readonly log: string[] = []) {}

  async accessToken(
    tenantId: string,
    accountId: string,
    options: { forceRefresh?: boolean; connectionId?: string | null } = {},
  ): Promise<AccessToken> {
    const forceRefresh = options.forceRefresh ?? false;
    this.log.push(`tokens.accessToken ${accountId}${forceRefresh ? ' forceRefresh' : ''}`);
    this.calls.push({
      tenantId,
      accountId,
      forceRefresh,
      ...(options.connectionId !== undefined ? { connectionId: options.connectionId } : {}),
    });
    const failure = this.failures.get(this.calls.length);
    if (failure) throw failure;
    if (forceRefresh) this.generation += 1;
    return {
      token: `token-${this.generation}`,
      connectionId: this.connectionId !== undefined ? this.connectionId : (options.connectionId ?? null),
    };
  }
}

export { FakePacer } from './fake-pacer.ts';

/**
 * The worker's dependencies (PublishDeps) as fakes sharing one log: random fixed at 0.5, a sleep that
 * moves the clock, retry policy base 5 s / 2 attempts, default pacing 100 per minute, 60 s lease.
 */
export function fakePublishDeps(start: string) {
  const base = fakeDeps(start);
  const sleeps: number[] = [];
  return {
    ...base,
    tokens: new FakeTokenProvider(base.log),
    pinterest: new ScriptedPinterest(base.log),
    pacer: new FakePacer(base.log, () => base.clock.now().getTime()),
    random: () => 0.5,
    sleeps,
    sleep: async (ms: number) => {
      base.log.push(`sleep ${ms}`);
      sleeps.push(ms);
      base.clock.advance(ms);
    },
    policy: retryPolicy({ baseSeconds: 5, maxAttempts: 2 }),
    defaultAccountPerMinute: 100,
    leaseMs: 60_000,
    callBudgetMs: 12_000,
  };
}
