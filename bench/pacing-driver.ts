/**
 * The pacing benchmark's hands on local mode: the public API over HTTP (connect accounts, submit pins,
 * read jobs) and the Pinterest sandbox's request log, where every figure comes from.
 */
import type { Job } from '../lambdas/api/schemas.ts';
import type { PinterestSandbox, SandboxRequestLog } from '../local/pinterest-sandbox.ts';
import type { Pipeline } from '../local/pipeline.ts';

/** A sandbox user connected as an account, with the board its pins go to. */
export interface BenchAccount {
  readonly user: string;
  readonly boardId: string;
  readonly accountId: string;
}

export class BenchDriver {
  private accounts = 0;

  constructor(
    private readonly api: Pick<Pipeline, 'apiUrl' | 'apiKey'>,
    readonly sandbox: PinterestSandbox,
  ) {}

  async call(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
    const response = await fetch(`${this.api.apiUrl}${path}`, {
      method,
      headers: {
        Authorization: `Bearer ${this.api.apiKey}`,
        ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}),
        ...headers,
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await response.text();
    return { status: response.status, body: text ? (JSON.parse(text) as unknown) : undefined };
  }

  /** A fresh sandbox user with a board and a connected account (configured `limit`; Pinterest's own `real`). */
  async connect(limit: number, real: number, options: { retryAfter?: boolean } = {}): Promise<BenchAccount> {
    this.accounts++;
    const user = `bench${this.accounts}`;
    const boardId = `${500000 + this.accounts}`;
    const tokens = this.sandbox.addUser({
      username: user,
      boards: [boardId],
      ratePerMinute: real,
      rateLimitRetryAfter: options.retryAfter ?? true,
    });
    const accountId = `bench-${this.accounts}`;
    const put = await this.call('PUT', `/v1/accounts/${accountId}`, {
      access_token: tokens.accessToken,
      refresh_token: tokens.refreshToken,
      rate_limit_per_minute: limit,
    });
    if (put.status !== 200) throw new Error(`PUT account answered ${put.status}`);
    return { user, boardId, accountId };
  }

  async submit(accountId: string, boardId: string, count: number, prefix = accountId): Promise<string[]> {
    const ids: string[] = [];
    for (let i = 0; i < count; i += 20) {
      const batch = await Promise.all(
        Array.from({ length: Math.min(20, count - i) }, (_, k) => {
          const key = `${prefix}-${i + k}`;
          return this.call(
            'POST',
            '/v1/pins',
            {
              account_id: accountId,
              board_id: boardId,
              title: key,
              link: `https://shop.example.com/${key}`,
              media_source: { source_type: 'image_url', url: `https://cdn.example.com/${key}.jpg` },
            },
            { 'Idempotency-Key': key },
          );
        }),
      );
      for (const r of batch) {
        if (r.status !== 202) throw new Error(`POST /v1/pins answered ${r.status}`);
        ids.push((r.body as Job).id);
      }
    }
    return ids;
  }

  async jobs(ids: readonly string[]): Promise<Job[]> {
    const out: Job[] = [];
    for (let i = 0; i < ids.length; i += 25)
      out.push(...(await Promise.all(ids.slice(i, i + 25).map(async (id) => (await this.call('GET', `/v1/jobs/${id}`)).body as Job))));
    return out;
  }

  /** The user's create requests as the sandbox received them, in arrival order. */
  creates(user: string): SandboxRequestLog[] {
    return this.sandbox.requests().filter((r) => r.user === user && r.method === 'POST' && r.path === '/v5/pins');
  }

  /** The user's first create; throws when none arrived (the scenario waited for pins, so one did unless it timed out). */
  firstCreate(user: string): SandboxRequestLog {
    const first = this.creates(user)[0];
    if (!first) throw new Error(`no create request of ${user} reached the sandbox`);
    return first;
  }

  /** The user's last create that made a pin; throws when none did. */
  lastCreated(user: string): SandboxRequestLog {
    const last = this.creates(user)
      .filter((r) => r.status === 201)
      .at(-1);
    if (!last) throw new Error(`no create request of ${user} made a pin`);
    return last;
  }

  pins(user: string): number {
    return this.sandbox.pins({ user }).length;
  }
}

export async function until(what: string, probe: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!probe()) {
    if (Date.now() > deadline) {
      console.error(`  gave up waiting for ${what} after ${Math.round(timeoutMs / 1000)} s`);
      return false;
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  return true;
}
