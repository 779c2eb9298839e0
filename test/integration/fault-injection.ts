/**
 * What the fault-injection suites (test/integration/faults/) share: faults on the functions' SDK clients
 * (local/sdk-faults.ts) that are taken off after each test, one fresh Pinterest user per test, intake
 * that retries like a client, and the promise checked after every fault (bench/chaos-invariants.ts): no
 * job lost, no duplicate pin, never over an account's limit, every failure explained.
 */
import { afterEach, expect } from 'vitest';
import type { Job } from '../../lambdas/api/schemas.ts';
import type { Pipeline } from '../../local/pipeline.ts';
import {
  attributeOf,
  failPutEventsEntries,
  injectSdkFault,
  type FaultableClient,
  type SdkFault,
  type SdkFaultSpec,
} from '../../local/sdk-faults.ts';
import { checkPromise, isTerminal, violations, type PromiseReport, type WebhookDeliveryView } from '../../bench/chaos-invariants.ts';
import { callerFor, waitFor, type Caller } from './harness.ts';

/** Faults of the current test; each is released and removed after it, whether it passed or not. */
export function useFaults() {
  const active: SdkFault[] = [];
  afterEach(() => {
    for (const fault of active.splice(0)) {
      fault.release();
      fault.remove();
    }
  });
  return {
    inject(client: FaultableClient, spec: SdkFaultSpec): SdkFault {
      const fault = injectSdkFault(client, spec);
      active.push(fault);
      return fault;
    },
    refusePutEvents(client: FaultableClient, options: Parameters<typeof failPutEventsEntries>[1]) {
      const fault = failPutEventsEntries(client, options);
      active.push(fault);
      return fault;
    },
  };
}

/** The worker's conditional write that moves one job to `status` (the claim is `running`). */
export function jobWrite(jobId: string, status: string) {
  return (input: Record<string, unknown>) =>
    attributeOf(input, ['ExpressionAttributeValues', ':job_id']) === jobId &&
    attributeOf(input, ['ExpressionAttributeValues', ':status']) === status;
}

export interface Account {
  readonly user: string;
  readonly accountId: string;
  readonly boardId: string;
  readonly limit: number;
  readonly accessToken: string;
  readonly refreshToken: string;
}

/**
 * A pipeline's hands for the suites: fresh accounts, submissions, waits, and the promise check over
 * everything submitted through it.
 */
export function faultRig(pipeline: Pipeline, options: { readonly limit: number }) {
  const api: Caller = callerFor(pipeline, pipeline.apiKey);
  const sandbox = pipeline.sandbox;
  if (!sandbox) throw new Error('the fault suites need the built-in Pinterest sandbox');
  let accounts = 0;

  return {
    api,
    sandbox,

    /** A new sandbox user (its own limit window) connected as an account with the same limit. */
    async account(name: string): Promise<Account> {
      accounts++;
      const user = `${name}-${accounts}`;
      const boardId = `${700000 + accounts}`;
      const tokens = sandbox.addUser({ username: user, boards: [boardId], ratePerMinute: options.limit });
      const put = await api('PUT', `/v1/accounts/${user}`, {
        body: { access_token: tokens.accessToken, refresh_token: tokens.refreshToken, rate_limit_per_minute: options.limit },
      });
      expect(put.status, JSON.stringify(put.body)).toBe(200);
      return { user, accountId: user, boardId, limit: options.limit, ...tokens };
    },

    /** Submits one pin per key (title = key) and returns the job ids; a 5xx or a dropped answer is retried like a client would. */
    async submit(account: Account, keys: readonly string[]): Promise<string[]> {
      const ids: string[] = [];
      for (let i = 0; i < keys.length; i += 10) {
        const batch = await Promise.all(keys.slice(i, i + 10).map((key) => submitOne(api, account, key)));
        ids.push(...batch);
      }
      return ids;
    },

    async jobs(ids: readonly string[]): Promise<Job[]> {
      return Promise.all(ids.map(async (id) => (await api<Job>('GET', `/v1/jobs/${id}`)).body));
    },

    /** Waits until every job is terminal and returns them. */
    async settle(ids: readonly string[], timeoutMs = 40_000): Promise<Job[]> {
      return waitFor(() => Promise.all(ids.map(async (id) => (await api<Job>('GET', `/v1/jobs/${id}`)).body)), {
        until: (jobs) => jobs.every((job) => job?.status !== undefined && isTerminal(job)),
        what: `${ids.length} job(s) to end`,
        timeoutMs,
        everyMs: 250,
        show: (jobs) =>
          JSON.stringify(jobs.filter((j) => !isTerminal(j)).map((j) => ({ id: j.id, status: j.status, attempts: j.attempts }))),
      });
    },

    /** The promise over these jobs and accounts; fails the test naming every violation. */
    async expectPromise(
      ids: readonly string[],
      users: readonly Account[],
      extra: { deliveries?: readonly WebhookDeliveryView[] } = {},
    ): Promise<PromiseReport> {
      const jobs = await Promise.all(ids.map(async (id) => (await api<Job>('GET', `/v1/jobs/${id}`)).body));
      const names = new Set(users.map((u) => u.user));
      const report = checkPromise({
        jobs,
        pins: sandbox.pins().filter((p) => names.has(p.user)),
        requests: sandbox.requests(),
        limits: new Map(users.map((u) => [u.user, u.limit])),
        ...extra,
      });
      const zero = Object.fromEntries(Object.keys(violations(report)).map((name) => [name, 0]));
      expect(violations(report), JSON.stringify({ ...report, peaks: undefined }, null, 1).slice(0, 4_000)).toEqual(zero);
      return report;
    },

    /** Create requests of a user as the sandbox received them. */
    creates(user: string) {
      return sandbox.requests().filter((r) => r.user === user && r.method === 'POST' && r.path === '/v5/pins');
    },
  };
}

async function submitOne(api: Caller, account: Account, key: string): Promise<string> {
  const body = {
    account_id: account.accountId,
    board_id: account.boardId,
    title: key,
    link: `https://shop.example.com/${key}`,
    media_source: { source_type: 'image_url', url: `https://cdn.example.com/${key}.jpg` },
  };
  const answer = await waitFor(
    async () => {
      try {
        const response = await api<Job>('POST', '/v1/pins', { body, headers: { 'Idempotency-Key': key } });
        return response.status < 500 && response;
      } catch {
        return undefined; // the connection dropped: the client does not know, and sends it again
      }
    },
    { what: `POST /v1/pins ${key} to be answered below 500`, everyMs: 200, timeoutMs: 20_000 },
  );
  expect([200, 202], JSON.stringify(answer.body)).toContain(answer.status);
  return answer.body.id;
}
