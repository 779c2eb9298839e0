import fc from 'fast-check';
import { expect } from 'vitest';
import { type censusTaker, idsIn, NO_CHANGE, ownerOf, unexplained, type Census, type ExpectedChange } from './census.ts';
import { FUZZ_SEED, fuzzOptions } from './config.ts';
import { problemsWith } from './invariants.ts';
import { materialize, routeOf, type IdempotencyState, type Materialized } from './materialize.ts';
import { okShapeOf, type RouteFuzz } from './routes.ts';
import { describeRequest, send, type WireResponse } from './wire.ts';
import { TENANTS, type TenantName, type World } from './world.ts';

/**
 * One fuzz property per route: each generated request is sent to the local API Gateway, and the answer
 * and what is stored afterwards are checked against every invariant (invariants.ts, census.ts). What
 * valid requests stored is tracked, so the world stays whole for the next case.
 */

export interface Tally {
  readonly statuses: Record<string, number>;
}

type CensusTaker = ReturnType<typeof censusTaker>;

function parse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** What the answer says the caller stored: a 202 pin is a job, a 201 webhook a subscription, a 200 PUT maybe a new account. */
function expectedChange(world: World, m: Materialized, res: WireResponse, route: string | undefined): ExpectedChange {
  if (res.status === 202 && route === 'create-pin') return { ...NO_CHANGE, jobs: [1] };
  if (res.status === 201 && route === 'create-webhook') return { ...NO_CHANGE, webhooks: [1] };
  if (res.status === 204 && route === 'delete-webhook') return { ...NO_CHANGE, webhooks: [-1] };
  if (res.status === 200 && route === 'put-account') {
    const accountId = (parse(res.text) as { account_id?: string } | undefined)?.account_id ?? '';
    const known = m.acting.map((t) => world.tenants[t].accounts.has(accountId));
    // With two keys sent, which tenant connected the account is the API's choice: new to one, known to the other, both fit.
    return { ...NO_CHANGE, accounts: [...new Set(known.map((k) => (k ? 0 : 1)))] };
  }
  return NO_CHANGE;
}

const tenantNamed = (world: World, tenantId: string | undefined): TenantName | undefined =>
  TENANTS.find((t) => world.tenants[t].tenantId === tenantId);

/**
 * Adds what a success showed (ids, secrets, cursors) to the markers of the tenant that owns it, and keeps the
 * world whole. Returns whether it changed what is stored (then the next case needs a census of its own).
 */
async function keepWorld(world: World, res: WireResponse, route: string | undefined, after: Census): Promise<boolean> {
  if (res.status < 200 || res.status >= 300) return false;
  let wrote = false;
  const body = parse(res.text);
  const visit = (value: unknown): void => {
    if (Array.isArray(value)) {
      for (const item of value) visit(item);
      return;
    }
    if (!value || typeof value !== 'object') return;
    const record = value as Record<string, unknown>;
    if (typeof record.id === 'string' && /^(job|whk)_/.test(record.id)) {
      const owner = tenantNamed(world, ownerOf(after, record.id));
      if (owner) {
        const tenant = world.tenants[owner];
        // A job a fuzzed intake made is one more the other properties may read, cancel or reach for.
        if (route === 'create-pin' && res.status === 202 && !tenant.ids.has(record.id)) tenant.madeJobs.push(record.id);
        tenant.ids.add(record.id);
        if (typeof record.secret === 'string') tenant.secrets.add(record.secret);
      }
    }
    if (typeof record.next_cursor === 'string') {
      const decoded = Buffer.from(record.next_cursor, 'base64url').toString('utf8');
      const owner = TENANTS.find((t) => decoded.includes(world.tenants[t].tenantId));
      const cursors = owner ? world.tenants[owner].cursors : undefined;
      if (cursors && !cursors.includes(record.next_cursor)) cursors.push(record.next_cursor);
    }
    for (const field of Object.values(record)) visit(field);
  };
  visit(body);
  for (const t of TENANTS) {
    const tenant = world.tenants[t];
    for (const account of idsIn(after, tenant.tenantId, 'account')) tenant.accounts.add(account);
    // A subscription a fuzzed request made is removed again (the per-tenant cap stays far), one it deleted is replaced.
    const live = new Set(idsIn(after, tenant.tenantId, 'webhook'));
    for (const webhookId of live) {
      if (tenant.webhooks.includes(webhookId)) continue;
      const removed = await tenant.api('DELETE', `/v1/webhooks/${webhookId}`);
      expect(removed.status, `removing the fuzzed webhook ${webhookId}`).toBe(204);
      wrote = true;
    }
    tenant.webhooks.splice(0, tenant.webhooks.length, ...tenant.webhooks.filter((w) => live.has(w)));
    if (route === 'delete-webhook') {
      await world.replenishWebhooks(t);
      wrote = true;
    }
  }
  return wrote;
}

/** Differences between the answers for another tenant's object and for one nobody has (the id quoted in a message aside). */
function unlike(foreign: WireResponse, absent: WireResponse): string[] {
  const code = (res: WireResponse) => (parse(res.text) as { error?: { code?: string } } | undefined)?.error?.code;
  return foreign.status === absent.status && code(foreign) === code(absent)
    ? []
    : [`another tenant's object answered ${foreign.status} ${code(foreign)}, one nobody has ${absent.status} ${code(absent)}`];
}

/** Runs the route's property; returns how often each status came back. */
export async function fuzzRoute(world: World, census: CensusTaker, route: RouteFuzz): Promise<Tally> {
  const state: IdempotencyState = { counter: 0, previous: '' };
  const statuses: Record<string, number> = {};
  const label = `${route.method} ${route.path}`;
  // Nothing else writes between two cases (the worker is stopped): one case's census after is the next one's before.
  let last: Census | undefined;
  await fc.assert(
    fc.asyncProperty(route.requests, async (spec) => {
      const m = materialize(world, route, spec, state, `${FUZZ_SEED}-${route.name}`);
      const before = last ?? (await census.take());
      last = undefined;
      const res = await send(world.pipeline.apiUrl, m.wire);
      const matched = routeOf(m.wire.method, m.wire.path);
      const problems = problemsWith(world, m, res, matched && { name: matched.name, ok: okShapeOf(matched.name) ?? null });
      if (m.twin) problems.push(...unlike(res, await send(world.pipeline.apiUrl, m.twin)));
      const after = await census.take();
      const acting = m.acting.map((t) => world.tenants[t].tenantId);
      problems.push(...unexplained(before, after, acting, expectedChange(world, m, res, matched?.name)));
      if (!(await keepWorld(world, res, matched?.name, after))) last = after;
      statuses[res.status] = (statuses[res.status] ?? 0) + 1;
      expect(problems, `${describeRequest(m.wire)}\n→ ${res.status} ${res.text.slice(0, 500)}`).toEqual([]);
    }),
    fuzzOptions(label),
  );
  return { statuses };
}
