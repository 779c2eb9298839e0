import { randomBytes } from 'node:crypto';
import { FUNCTIONS, type ApiRoute } from '../../../definitions/functions.ts';
import { CreateWebhookRequest } from '../../../lambdas/api/schemas.ts';
import { parseWebhookUrl } from '../../../lambdas/domain/webhook-url.ts';
import { RECEIVER, type BodySpec } from './arbitraries/bodies.ts';
import type { CallerSpec, IdempotencySpec } from './arbitraries/headers.ts';
import type { CursorTamper, IdSpec, QueryValue } from './arbitraries/targets.ts';
import type { WireRequest } from './wire.ts';
import { JOB_KINDS, TENANTS, type TenantName, type TenantWorld, type World } from './world.ts';

/**
 * Turns a generated request (symbols: "tenant B's key", "A's second job", "A's cursor with an empty sort
 * key") into the bytes sent, against the world as it is now, and says what the answer may show: which
 * tenants the caller holds keys of, and whether the request names another tenant's real object.
 */

export type ObjectKind = 'job' | 'account' | 'webhook';

export interface RequestSpec {
  readonly caller: CallerSpec;
  readonly id?: IdSpec;
  readonly query: ReadonlyArray<readonly [string, QueryValue]>;
  readonly queryEncoding: 'encoded' | 'verbatim';
  readonly contentType: readonly string[];
  readonly idempotency?: IdempotencySpec;
  readonly extra: ReadonlyArray<readonly [string, string | { readonly tenantIdOf: TenantName }]>;
  readonly body: BodySpec;
}

export interface Materialized {
  readonly wire: WireRequest;
  /** The tenants whose keys the request carries: only their data may appear in the answer. */
  readonly acting: readonly TenantName[];
  /** The request names an object (or a cursor) of a tenant it holds no key of. */
  readonly foreign: boolean;
  /**
   * When it names another tenant's object by its exact id: the same request naming an object nobody has,
   * which must be answered alike (same status and code), or the answer tells that the object exists.
   */
  readonly twin?: WireRequest;
}

/** Percent-encodes UTF-8 (a lone surrogate becomes the bytes of its code unit, which are not valid UTF-8). */
function percent(char: string): string {
  const c = char.codePointAt(0) ?? 0;
  const bytes =
    c < 0x80
      ? [c]
      : c < 0x800
        ? [0xc0 | (c >> 6), 0x80 | (c & 63)]
        : c < 0x10000
          ? [0xe0 | (c >> 12), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63)]
          : [0xf0 | (c >> 18), 0x80 | ((c >> 12) & 63), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63)];
  return bytes.map((b) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`).join('');
}

/** `verbatim`: only what cannot go on the wire (outside 0x21–0x7E) is encoded; otherwise all but unreserved characters. */
export function encode(text: string, verbatim: boolean): string {
  const keep = verbatim ? /^[\x21-\x7E]$/ : /^[A-Za-z0-9\-._~]$/;
  return Array.from(text, (ch) => (keep.test(ch) ? ch : percent(ch))).join('');
}

const other = (t: TenantName): TenantName => (t === 'A' ? 'B' : 'A');
const pick = <T>(items: readonly T[], n: number): T | undefined => (items.length > 0 ? items[n % items.length] : undefined);

function actingOf(caller: CallerSpec): TenantName[] {
  if (caller.kind === 'tenant') return [caller.tenant];
  if (caller.kind === 'both') return [...TENANTS];
  return [];
}

function authorization(world: World, caller: CallerSpec): string[] {
  switch (caller.kind) {
    case 'tenant':
      return [caller.form.replace('K', world.tenants[caller.tenant].apiKey)];
    case 'both':
      return [world.tenants[caller.first].apiKey, world.tenants[other(caller.first)].apiKey].map((k) => `Bearer ${k}`);
    case 'revoked':
      return [`Bearer ${world.revokedKey}`];
    case 'unknown':
      return [`Bearer ${world.unknownKey}`];
    case 'none':
      return [];
    case 'malformed':
      return [caller.value];
  }
}

function idsOf(tenant: TenantWorld, kind: ObjectKind, caller: TenantWorld): string[] {
  if (kind === 'job') return [...JOB_KINDS.flatMap((k) => tenant.jobs[k]), ...tenant.madeJobs];
  if (kind === 'webhook') return [...tenant.webhooks];
  // Account ids are names each tenant chooses: another tenant's is foreign only while the caller has none by that name.
  return tenant === caller ? [...tenant.accounts] : [...tenant.accounts].filter((a) => !caller.accounts.has(a));
}

const ABSENT: Record<ObjectKind, string> = {
  job: 'job_00000000000000000000000000',
  account: 'nobody-has-this',
  webhook: 'whk_00000000000000000000',
};

/** An id of `kind` that nobody has (a fresh account name: the fuzzers connect the fixed one). */
const absentId = (kind: ObjectKind) => (kind === 'account' ? `absent-${randomBytes(6).toString('hex')}` : ABSENT[kind]);

interface Segment {
  readonly text: string;
  readonly foreign: boolean;
  /** For another tenant's real id: the same segment with an id nobody has instead. */
  readonly twin?: string;
}

function segment(world: World, self: TenantName, kind: ObjectKind, spec: IdSpec): Segment {
  const mine = world.tenants[self];
  const theirs = world.tenants[other(self)];
  switch (spec.kind) {
    case 'own':
      return { text: pick(idsOf(mine, kind, mine), spec.n) ?? ABSENT[kind], foreign: false };
    case 'foreign': {
      const id = pick(idsOf(theirs, kind, mine), spec.n);
      return id === undefined ? { text: ABSENT[kind], foreign: false } : { text: id, foreign: true, twin: absentId(kind) };
    }
    case 'foreign-variant': {
      const id = pick(idsOf(theirs, kind, mine), spec.n);
      const real = id ?? ABSENT[kind];
      const text = { upper: real.toUpperCase(), suffix: `${real}x`, dotdot: `x/../${real}`, 'encoded-slash': `x%2F..%2F${real}` }[
        spec.variant
      ];
      // Account ids are the tenants' own names: a variant may well be one the caller chose for itself.
      const foreign = id !== undefined && !(kind === 'account' && mine.accounts.has(text));
      return { text, foreign, ...(foreign && spec.variant === 'dotdot' ? { twin: `x/../${absentId(kind)}` } : {}) };
    }
    case 'absent':
      return { text: ABSENT[kind], foreign: false };
    case 'text':
      return { text: encode(spec.text, spec.verbatim), foreign: false };
  }
}

/** A real cursor, forged as asked: the cursor is base64url JSON of the index key it resumes from. */
function forged(cursor: string, tamper: CursorTamper | undefined, world: World): string {
  if (!tamper) return cursor;
  if (tamper.field === 'truncate') return cursor.slice(0, tamper.at);
  if (tamper.field === 'padding') return `${cursor}==`;
  const key = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as Record<string, unknown>;
  const names = Object.keys(key);
  const sort = names.find((n) => n.endsWith('_sk')) ?? names[0] ?? 'x';
  const partition = names.find((n) => n !== 'pk' && n !== sort) ?? 'x';
  if (tamper.field === 'sort') key[sort] = tamper.value;
  else if (tamper.field === 'table') key.pk = tamper.value;
  else if (tamper.field === 'partition') key[partition] = tamper.value;
  else if (tamper.field === 'extra') key.tenant_id = 'x';
  else if (tamper.field === 'drop') delete key[sort];
  else {
    const [a, b] = [world.tenants.A.tenantId, world.tenants.B.tenantId];
    for (const n of names)
      if (typeof key[n] === 'string') key[n] = (key[n] as string).replaceAll(a, '\u0001').replaceAll(b, a).replaceAll('\u0001', b);
  }
  return Buffer.from(JSON.stringify(key), 'utf8').toString('base64url');
}

function queryText(world: World, self: TenantName, spec: RequestSpec): { text: string; foreign: boolean } {
  let foreign = false;
  const mine = world.tenants[self];
  const pairs = spec.query.flatMap(([name, value]): Array<[string, string]> => {
    if (typeof value === 'string') return [[name, value]];
    if ('resume' in value) {
      const owner = value.resume === 'own' ? mine : world.tenants[other(self)];
      // Swapping the tenant ids makes the other tenant's cursor one of the caller's own partition.
      if (value.resume === 'foreign' && value.tamper?.field !== 'swap-tenant') foreign = true;
      const listing = pick(owner.listings, value.n);
      return [
        ...(listing?.filters ?? []).map(([n, v]): [string, string] => [n, v]),
        [name, forged(listing?.cursor ?? '', value.tamper, world)],
      ];
    }
    if ('ownAccount' in value) return [[name, pick([...mine.accounts], value.ownAccount) ?? 'shared-main']];
    if ('foreignAccount' in value) return [[name, pick(idsOf(world.tenants[other(self)], 'account', mine), 0) ?? 'b-only']];
    const owner = value.cursor === 'own' ? mine : world.tenants[other(self)];
    if (value.cursor === 'foreign' && value.tamper?.field !== 'swap-tenant') foreign = true;
    return [[name, forged(pick(owner.cursors, value.n) ?? '', value.tamper, world)]];
  });
  if (pairs.length === 0) return { text: '', foreign };
  const verbatim = spec.queryEncoding === 'verbatim';
  return { text: `?${pairs.map(([n, v]) => `${encode(n, verbatim)}=${encode(v, verbatim)}`).join('&')}`, foreign };
}

/** Node refuses header values outside tab, 0x20–0x7E and 0x80–0xFF: those characters are sent as `?`. */
const headerSafe = (value: string) => value.replace(/[^\t\x20-\x7E\x80-\xFF]/g, '?');

export interface IdempotencyState {
  counter: number;
  /** The last key made, and the body sent with it. */
  previous: string;
  previousBody?: string | undefined;
}

function idempotencyHeaders(world: World, spec: IdempotencySpec | undefined, state: IdempotencyState, label: string): string[] {
  const fresh = () => {
    state.counter++;
    state.previous = `fz-${label}-${state.counter}`;
    return state.previous;
  };
  if (!spec) return [];
  switch (spec.kind) {
    case 'fresh':
      return [fresh()];
    case 'previous':
    case 'replay':
      return [state.previous || fresh()];
    case 'world':
      return [world.tenants[spec.tenant].idempotencyKeys[0] ?? fresh()];
    case 'none':
      return [];
    case 'twice':
      return [fresh(), fresh()];
    case 'raw':
      return [spec.value];
  }
}

/** The route the API will run for this method and path (after URL normalisation), with its raw path parameters. */
export function routeOf(method: string, path: string): { name: string; route: ApiRoute } | undefined {
  let pathname: string;
  try {
    pathname = new URL(path, 'http://localhost').pathname;
  } catch {
    return undefined;
  }
  for (const fn of FUNCTIONS) {
    if (fn.trigger.kind !== 'api') continue;
    for (const route of fn.trigger.routes) {
      const pattern = new RegExp(`^${route.path.replace(/\{[a-z_]+\}/g, '[^/]+')}$`);
      if (route.method === method && pattern.test(pathname)) return { name: fn.name, route };
    }
  }
  return undefined;
}

/** A create-webhook body the API would accept for a URL other than the world's receiver gets the receiver's URL: all traffic stays on 127.0.0.1. */
function onlyLoopback(body: string, receiverUrl: string): string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return body;
  }
  const request = CreateWebhookRequest.safeParse(parsed);
  if (!request.success) return body;
  try {
    const { url } = parseWebhookUrl(request.data.url, { allowLoopback: true });
    if (url.host === new URL(receiverUrl).host) return body;
  } catch {
    return body; // refused before any name is resolved
  }
  return JSON.stringify({ ...(parsed as object), url: `${receiverUrl}/redirected` });
}

export function materialize(
  world: World,
  route: { readonly name: string; readonly method: string; readonly path: string; readonly param?: ObjectKind },
  spec: RequestSpec,
  state: IdempotencyState,
  label: string,
): Materialized {
  const acting = actingOf(spec.caller);
  const self = acting[0] ?? 'A';
  let foreign = false;
  let path = route.path;
  let twinPath: string | undefined;
  if (route.param && spec.id) {
    const seg = segment(world, self, route.param, spec.id);
    // A PUT names the account the caller connects: another tenant's name makes an account of the caller's own.
    foreign = seg.foreign && route.name !== 'put-account';
    if (foreign && seg.twin !== undefined) twinPath = path.replace(/\{[a-z_]+\}/, seg.twin);
    path = path.replace(/\{[a-z_]+\}/, seg.text);
  }
  const query = queryText(world, self, spec);
  foreign ||= query.foreign;
  path += query.text;
  if (twinPath !== undefined) twinPath += query.text;

  const headers: Array<[string, string]> = [];
  for (const value of authorization(world, spec.caller)) headers.push(['Authorization', value]);
  for (const value of spec.contentType) headers.push(['Content-Type', value]);
  for (const value of idempotencyHeaders(world, spec.idempotency, state, label)) headers.push(['Idempotency-Key', value]);
  for (const [name, value] of spec.extra)
    headers.push([name, typeof value === 'string' ? value : world.tenants[value.tenantIdOf].tenantId]);

  let body: string | undefined;
  if (spec.body.kind === 'text') body = spec.body.text.replaceAll(RECEIVER, world.receiverUrl);
  else if (spec.body.kind === 'oversize')
    body = JSON.stringify({ url: world.receiverUrl, metadata: { blob: 'x'.repeat(spec.body.bytes) } });
  if (body !== undefined && routeOf(route.method, path)?.name === 'create-webhook') body = onlyLoopback(body, world.receiverUrl);
  const kind = spec.idempotency?.kind;
  if (kind === 'replay' && state.previousBody !== undefined) body = state.previousBody;
  if (kind === 'fresh' || kind === 'twice') state.previousBody = body;

  const wire = {
    method: route.method,
    path,
    headers: headers.map(([n, v]) => [n, headerSafe(v)] as const),
    ...(body === undefined ? {} : { body }),
  };
  const single = acting.length === 1;
  return { wire, acting, foreign: foreign && single, ...(single && twinPath !== undefined ? { twin: { ...wire, path: twinPath } } : {}) };
}
