/** The sandbox's HTTP server: each request's path through logging, faults and the endpoints, and the test/CLI API. */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Accounts, type TokenPair } from './accounts.ts';
import { controlReply } from './control-plane.ts';
import { PinterestEndpoints } from './endpoints.ts';
import { FaultBook, faultReply } from './faults.ts';
import { bearerToken, drop, MAX_BODY_BYTES, readBody, send } from './http.ts';
import { PinStore } from './pins.ts';
import type { Fault, FaultMatch, NewUser, PinterestSandbox, SandboxConfig, SandboxPin, SandboxRequestLog, UserLimits } from './types.ts';

interface PendingDelay {
  timer: NodeJS.Timeout;
  resolve: (elapsed: boolean) => void;
}

export class Sandbox implements PinterestSandbox {
  private readonly server = createServer((request, response) => {
    void this.handle(request, response).catch((error: unknown) => {
      console.error('[pinterest-sandbox] internal error', error);
      if (!response.headersSent) send(response, { status: 500, body: { code: 0, message: 'Internal sandbox error.' } });
      else response.destroy();
    });
  });
  private origin = '';
  private stopping: Promise<void> | undefined;

  private readonly accounts: Accounts;
  private readonly store = new PinStore();
  private readonly faults = new FaultBook();
  private readonly endpoints: PinterestEndpoints;
  private log: SandboxRequestLog[] = [];
  private readonly delays = new Set<PendingDelay>();

  constructor(private readonly config: SandboxConfig) {
    this.accounts = new Accounts(config);
    this.endpoints = new PinterestEndpoints(this.accounts, this.store, config);
  }

  get url(): string {
    return this.origin;
  }

  async listen(host: string, port: number): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen({ host, port }, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    const address = this.server.address() as AddressInfo;
    const shown = address.family === 'IPv6' ? `[${address.address}]` : address.address;
    this.origin = `http://${shown}:${address.port}`;
  }

  // ---- test/CLI API ----

  addUser(input: NewUser): TokenPair {
    return this.accounts.addUser(input);
  }

  addBoard(username: string, boardId: string, sections: string[] = []): void {
    this.accounts.addBoard(username, boardId, sections);
  }

  pins(filter: { boardId?: string; user?: string } = {}): SandboxPin[] {
    return this.store.list(filter);
  }

  requests(): SandboxRequestLog[] {
    return this.log.map((entry) => ({ ...entry }));
  }

  setLimits(username: string, limits: UserLimits): void {
    this.accounts.setLimits(username, limits);
  }

  inject(fault: Fault, options: { times?: number; match?: FaultMatch; nth?: number } = {}): void {
    this.faults.inject(fault, options);
  }

  injectRate(fault: Fault, probability: number, options: { seed?: number; match?: FaultMatch } = {}): void {
    this.faults.injectRate(fault, probability, options);
  }

  clearFaults(): void {
    this.faults.clear();
  }

  revokeRefreshToken(refreshToken: string): void {
    this.accounts.revokeRefreshToken(refreshToken);
  }

  expireAccessToken(accessToken: string): void {
    this.accounts.expireAccessToken(accessToken);
  }

  reset(): void {
    this.store.clear();
    this.log = [];
    this.faults.clear();
    this.accounts.clearRateWindows();
  }

  stop(): Promise<void> {
    this.stopping ??= new Promise<void>((resolve, reject) => {
      for (const pending of this.delays) {
        clearTimeout(pending.timer);
        pending.resolve(false);
      }
      this.delays.clear();
      this.server.close((error) => (error ? reject(error) : resolve()));
      // fetch keeps connections alive; without this close() would wait for them to time out.
      this.server.closeAllConnections();
    });
    return this.stopping;
  }

  // ---- request pipeline ----

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const at = this.config.now();
    const url = new URL(request.url ?? '/', 'http://sandbox.invalid');
    const path = url.pathname.length > 1 ? url.pathname.replace(/\/+$/, '') : url.pathname;
    const method = (request.method ?? 'GET').toUpperCase();
    const controlPlane = path === '/_sandbox' || path.startsWith('/_sandbox/');
    const entry: SandboxRequestLog = { at, method, path, status: 0 };
    if (!controlPlane) this.log.push(entry);
    const raw = await readBody(request);
    if (raw === null) return; // the client went away mid-body
    if (raw === undefined) {
      entry.status = 413;
      send(response, { status: 413, body: { code: 1, message: `Request body is larger than ${MAX_BODY_BYTES} bytes.` } });
      return;
    }
    if (controlPlane) {
      send(response, controlReply(this, this.faults, method, path, url.searchParams, raw));
      return;
    }

    const user = this.identify(request, path, raw);
    if (user !== undefined) entry.user = user;

    // Faults are decided on arrival, before normal handling; only matching requests consume them.
    const fault = this.faults.take(method, path, user);
    if (fault) entry.fault = fault.kind;
    if (fault?.kind === 'drop_before') {
      drop(response);
      return;
    }
    if (fault?.kind === 'slow' && !(await this.delay(fault.delayMs))) {
      drop(response); // the sandbox is stopping
      return;
    }
    const reply =
      fault && fault.kind !== 'slow' && fault.kind !== 'drop_after_create'
        ? faultReply(fault)
        : this.endpoints.answer(method, path, url.searchParams, request, raw);
    if (fault?.kind === 'drop_after_create') {
      drop(response);
      return;
    }
    entry.status = reply.status;
    if (reply.limiter) entry.limiter = reply.limiter;
    const { limiter: _limiter, ...wire } = reply;
    send(response, wire);
  }

  /** The token owner for logging and fault matching, whether or not the token is still valid. */
  private identify(request: IncomingMessage, path: string, raw: string): string | undefined {
    if (path === '/v5/oauth/token') {
      const refreshToken = new URLSearchParams(raw).get('refresh_token');
      return refreshToken ? this.accounts.ownerOf('refresh', refreshToken) : undefined;
    }
    const token = bearerToken(request);
    return token ? this.accounts.ownerOf('access', token) : undefined;
  }

  private delay(ms: number): Promise<boolean> {
    return new Promise<boolean>((resolve) => {
      const pending: PendingDelay = {
        timer: setTimeout(() => {
          this.delays.delete(pending);
          resolve(true);
        }, ms),
        resolve,
      };
      this.delays.add(pending);
    });
  }
}
