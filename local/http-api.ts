import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type {
  APIGatewayAuthorizerResult,
  APIGatewayProxyEvent,
  APIGatewayProxyResult,
  APIGatewayRequestAuthorizerEvent,
  Context,
} from 'aws-lambda';
import { FUNCTIONS, type ApiRoute } from '../definitions/functions.ts';
import {
  gatewayResponseBody,
  gatewayResponseFor,
  gatewayResponseStatus,
  type GatewayResponseType,
} from '../definitions/gateway-responses.ts';
import { runtimeSettingSchema, SETTINGS, type Setting } from '../definitions/settings.ts';
import { initialBucket, take, type BucketParams, type BucketState } from '../lambdas/domain/token-bucket.ts';
import { isConsolePath, serveConsole } from './console-assets.ts';

/**
 * Local stand-in for API Gateway (REST API, Lambda proxy integration): turns HTTP requests into the
 * same `APIGatewayProxyEvent`s API Gateway sends, runs the same REQUEST authorizer first, calls the
 * same handlers, and answers API Gateway's own errors with the same gateway responses
 * (definitions/gateway-responses.ts).
 *
 * It also plays the two stage settings that shape what a caller sees (LocalApiLimits, the settings with
 * access `api-gateway` in definitions/settings.ts):
 * - the authorizer cache: an authorizer's answer is reused for `authorizerCacheSeconds` per Authorization
 *   header, as API Gateway does, so a revoked key keeps working until its cached answer expires;
 * - the usage plan: per tenant (the authorizer's `usageIdentifierKey`, else its tenant id) a token bucket of
 *   `tenantLimits.burstLimit` tokens refilled at `tenantLimits.rateLimit` per second, and a daily quota
 *   (UTC days) when `tenantLimits.dailyQuota` > 0, answering THROTTLED / QUOTA_EXCEEDED. Public routes,
 *   without an authorizer, are not counted (they require no key in AWS either).
 * The stage-wide throttle (`apiThrottle`) and usage-plan keys themselves are not emulated: a local tenant
 * needs no usage-plan key.
 *
 * With `consoleDir`, the same server also serves the web console at /console/ (local/console-assets.ts), as
 * CloudFront serves it next to the API in a deployed stage.
 */

/** The API Gateway settings local mode emulates. */
export interface LocalApiLimits {
  /** Seconds an authorizer answer is reused per Authorization header; 0 asks the authorizer every time. */
  readonly authorizerCacheSeconds: number;
  /** Each tenant's throttle and daily quota (0 = none); false = no per-tenant limits. */
  readonly tenantLimits: { readonly rateLimit: number; readonly burstLimit: number; readonly dailyQuota: number } | false;
}

/**
 * The limits as a function reads its settings: the variables of definitions/settings.ts (AUTHORIZER_CACHE_SECONDS,
 * TENANT_RATE_LIMIT, TENANT_BURST_LIMIT, TENANT_DAILY_QUOTA), their defaults when unset, refused outside their range.
 */
export function localApiLimits(env: Readonly<Record<string, string | undefined>> = process.env): LocalApiLimits {
  const read = (setting: Setting): number => {
    const parsed = runtimeSettingSchema(setting).safeParse(env[setting.env]);
    if (!parsed.success) throw new Error(`${setting.env}=${env[setting.env]}: ${parsed.error.issues.map((i) => i.message).join('; ')}`);
    return parsed.data as number;
  };
  const limits = SETTINGS.tenantLimits;
  return {
    authorizerCacheSeconds: read(SETTINGS.authorizerCacheSeconds),
    tenantLimits: { rateLimit: read(limits.rateLimit), burstLimit: read(limits.burstLimit), dailyQuota: read(limits.dailyQuota) },
  };
}

/** One tenant's usage-plan state: its bucket, and the requests counted on its current UTC day. */
interface TenantUsage {
  bucket: BucketState;
  day: string;
  used: number;
}

/** At most this many cached authorizer answers: a flood of distinct keys must not grow memory without bound. */
const AUTHORIZER_CACHE_MAX = 10_000;

type ProxyHandler = (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult>;
type AuthorizerHandler = (event: APIGatewayRequestAuthorizerEvent, context: Context) => Promise<APIGatewayAuthorizerResult>;

/** API Gateway's own payload limit for REST APIs. */
const GATEWAY_MAX_BODY_BYTES = 10 * 1024 * 1024;
const STAGE = 'local';
const API_ID = 'local';

interface MountedRoute {
  readonly route: ApiRoute;
  readonly functionName: string;
  readonly pattern: RegExp;
  readonly params: readonly string[];
  readonly handler: ProxyHandler;
}

export function lambdaContext(functionName: string, timeoutMs = 10_000): Context {
  const deadline = Date.now() + timeoutMs;
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:us-east-1:000000000000:function:${functionName}`,
    memoryLimitInMB: '256',
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

function compile(path: string): { pattern: RegExp; params: string[] } {
  const params: string[] = [];
  const source = path.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\\?\{([a-z_]+)\\?\}/g, (_m, name: string) => {
    params.push(name);
    return '([^/]+)';
  });
  return { pattern: new RegExp(`^${source}$`), params };
}

/** Imports every API function's handler (the same modules Lambda runs). */
export async function loadRoutes(): Promise<{ routes: MountedRoute[]; authorizer: AuthorizerHandler }> {
  const routes: MountedRoute[] = [];
  let authorizer: AuthorizerHandler | undefined;
  for (const fn of FUNCTIONS) {
    if (fn.trigger.kind === 'authorizer') {
      authorizer = (await import(`../lambdas/${fn.name}/handler.ts`)).handler as AuthorizerHandler;
    }
    if (fn.trigger.kind !== 'api') continue;
    const handler = (await import(`../lambdas/${fn.name}/handler.ts`)).handler as ProxyHandler;
    for (const route of fn.trigger.routes) {
      routes.push({ route, functionName: fn.name, handler, ...compile(route.path) });
    }
  }
  if (!authorizer) throw new Error('no authorizer function in definitions/functions.ts');
  return { routes, authorizer };
}

function send(res: ServerResponse, status: number, headers: Record<string, string | number | boolean>, body: string | Buffer) {
  res.writeHead(status, Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, String(v)])));
  res.end(body);
}

function sendGateway(res: ServerResponse, type: GatewayResponseType, requestId: string) {
  const def = gatewayResponseFor(type);
  send(
    res,
    gatewayResponseStatus(def),
    { 'Content-Type': 'application/json', 'x-amzn-RequestId': requestId, ...('headers' in def ? def.headers : {}) },
    gatewayResponseBody(def),
  );
}

/**
 * The usage plan's decision for one request of `tenant`: null to let it through (and count it), or the
 * gateway response that refuses it. The quota is checked first: a refused request uses no token.
 */
function usagePlanVerdict(
  usage: Map<string, TenantUsage>,
  limits: Exclude<LocalApiLimits['tenantLimits'], false>,
  tenant: string,
  nowMs: number,
): 'THROTTLED' | 'QUOTA_EXCEEDED' | null {
  const params: BucketParams = { capacity: limits.burstLimit, refillPerSecond: limits.rateLimit };
  const day = new Date(nowMs).toISOString().slice(0, 10);
  const state = usage.get(tenant) ?? { bucket: initialBucket(params, nowMs), day, used: 0 };
  usage.set(tenant, state);
  if (state.day !== day) Object.assign(state, { day, used: 0 });
  if (limits.dailyQuota > 0 && state.used >= limits.dailyQuota) return 'QUOTA_EXCEEDED';
  const taken = take(state.bucket, params, nowMs);
  if (!taken.granted) return 'THROTTLED';
  state.bucket = taken.state;
  state.used += 1;
  return null;
}

async function readBody(req: IncomingMessage): Promise<Buffer | 'too_large'> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > GATEWAY_MAX_BODY_BYTES) return 'too_large';
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/** Adds `value` to the list under `key`, as API Gateway's multi-value maps collect repeated names. */
function append(map: Record<string, string[]>, key: string, value: string): void {
  const values = map[key];
  if (values) values.push(value);
  else map[key] = [value];
}

function headerMaps(req: IncomingMessage) {
  // No prototype: `__proto__` and `constructor` are names like any other, as in API Gateway's event.
  const headers: Record<string, string> = Object.create(null);
  const multiValueHeaders: Record<string, string[]> = Object.create(null);
  // rawHeaders is a flat [name, value, name, value, …] list; Node always pairs them.
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    const name = req.rawHeaders[i];
    const value = req.rawHeaders[i + 1];
    if (name === undefined || value === undefined) continue;
    headers[name] = value;
    append(multiValueHeaders, name, value);
  }
  return { headers, multiValueHeaders };
}

/** The request target as a URL, or null when it is not one (an absolute-form target with a broken host). */
function parseRequestUrl(target: string | undefined): URL | null {
  try {
    return new URL(target ?? '/', 'http://localhost');
  } catch {
    return null;
  }
}

/** Percent-decoded path parameters, or null when one is not valid percent-encoded UTF-8. */
export function decodePathParameters(names: readonly string[], match: RegExpExecArray): Record<string, string> | null {
  const decoded: Record<string, string> = {};
  for (const [i, name] of names.entries()) {
    const raw = match[i + 1];
    // compile() gives every parameter a mandatory group, so a missing one is a routing bug, not a bad request.
    if (raw === undefined) throw new Error(`path ${match.input} matched a route without a value for {${name}}`);
    try {
      decoded[name] = decodeURIComponent(raw);
    } catch {
      return null; // URIError: malformed escape or invalid UTF-8
    }
  }
  return decoded;
}

export interface LocalApi {
  readonly url: string;
  readonly server: Server;
  stop(): Promise<void>;
}

export interface LocalApiOptions {
  readonly host: string;
  readonly port: number;
  readonly onError?: (error: unknown) => void;
  /** Overrides of the limits read from the environment (localApiLimits). */
  readonly limits?: Partial<LocalApiLimits>;
  /** Millisecond clock of the authorizer cache and the usage plan. @default Date.now */
  readonly now?: () => number;
  /** The web console's build directory, served at /console/ (local/console-assets.ts); omitted = no console. */
  readonly consoleDir?: string;
}

export async function startLocalApi(options: LocalApiOptions): Promise<LocalApi> {
  const { routes, authorizer } = await loadRoutes();
  const limits = { ...localApiLimits(), ...options.limits };
  const now = options.now ?? Date.now;
  /** Authorizer answers by Authorization header, with when they expire (only answers: a refusal is not kept). */
  const authorizerCache = new Map<string, { result: APIGatewayAuthorizerResult; expiresAtMs: number }>();
  const usage = new Map<string, TenantUsage>();

  /** The authorizer's answer for this header, from the cache while it is fresh; throws what the authorizer throws. */
  async function authorize(authorization: string, event: APIGatewayRequestAuthorizerEvent): Promise<APIGatewayAuthorizerResult> {
    const cached = authorizerCache.get(authorization);
    if (cached && cached.expiresAtMs > now()) return cached.result;
    const result = await authorizer(event, lambdaContext('authorize-request'));
    if (limits.authorizerCacheSeconds > 0) {
      authorizerCache.delete(authorization);
      if (authorizerCache.size >= AUTHORIZER_CACHE_MAX) authorizerCache.delete(authorizerCache.keys().next().value as string);
      authorizerCache.set(authorization, { result, expiresAtMs: now() + limits.authorizerCacheSeconds * 1000 });
    }
    return result;
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      options.onError?.(error);
      if (!res.headersSent) sendGateway(res, 'DEFAULT_5XX', 'unknown');
      else res.destroy();
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse) {
    const requestId = randomUUID();
    const url = parseRequestUrl(req.url);
    if (!url) return sendGateway(res, 'DEFAULT_4XX', requestId);
    const method = req.method ?? 'GET';
    // The console's files share the API's origin (as behind CloudFront): no CORS, and the page's CSP stays 'self'.
    if (options.consoleDir && isConsolePath(url.pathname)) return serveConsole(req, res, url.pathname, options.consoleDir);
    const match = routes.map((r) => ({ r, m: r.pattern.exec(url.pathname) })).find(({ r, m }) => m !== null && r.route.method === method);
    if (!match?.m) return sendGateway(res, 'MISSING_AUTHENTICATION_TOKEN', requestId);
    const { r: mounted, m } = match;

    const raw = await readBody(req);
    if (raw === 'too_large') return sendGateway(res, 'REQUEST_TOO_LARGE', requestId);
    const { headers, multiValueHeaders } = headerMaps(req);

    const query: Record<string, string> = Object.create(null);
    const multiQuery: Record<string, string[]> = Object.create(null);
    for (const [k, v] of url.searchParams) {
      query[k] = v;
      append(multiQuery, k, v);
    }
    const pathParameters = decodePathParameters(mounted.params, m);
    // API Gateway refuses a path it cannot percent-decode (`%zz`, a lone `%`, bytes that are not UTF-8) with a
    // 400 of its own, before the authorizer or any handler runs; DEFAULT_4XX is that answer in our envelope.
    if (!pathParameters) return sendGateway(res, 'DEFAULT_4XX', requestId);

    let authorizerContext: Record<string, unknown> | null = null;
    if (mounted.route.authorized) {
      const authorization = Object.entries(headers).find(([k]) => k.toLowerCase() === 'authorization')?.[1];
      // API Gateway does not call the authorizer when its identity source is missing.
      if (!authorization) return sendGateway(res, 'UNAUTHORIZED', requestId);
      const methodArn = `arn:aws:execute-api:us-east-1:000000000000:${API_ID}/${STAGE}/${method}${mounted.route.path}`;
      let result: APIGatewayAuthorizerResult;
      try {
        result = await authorize(authorization, {
          type: 'REQUEST',
          methodArn,
          resource: mounted.route.path,
          path: url.pathname,
          httpMethod: method,
          headers,
          multiValueHeaders,
          pathParameters,
          queryStringParameters: query,
          multiValueQueryStringParameters: multiQuery,
          stageVariables: {},
          requestContext: {} as never,
        });
      } catch (error) {
        if (error instanceof Error && error.message === 'Unauthorized') return sendGateway(res, 'UNAUTHORIZED', requestId);
        options.onError?.(error);
        return sendGateway(res, 'DEFAULT_5XX', requestId);
      }
      const allowed = result.policyDocument.Statement.some((s) => s.Effect === 'Allow');
      if (!allowed) return sendGateway(res, 'ACCESS_DENIED', requestId);
      authorizerContext = { principalId: result.principalId, ...(result.context ?? {}) };
      if (limits.tenantLimits) {
        const tenant = result.usageIdentifierKey ?? String(result.context?.tenant_id ?? result.principalId);
        const refused = usagePlanVerdict(usage, limits.tenantLimits, tenant, now());
        if (refused) return sendGateway(res, refused, requestId);
      }
    }

    const event: APIGatewayProxyEvent = {
      resource: mounted.route.path,
      path: url.pathname,
      httpMethod: method,
      headers,
      multiValueHeaders,
      queryStringParameters: Object.keys(query).length > 0 ? query : null,
      multiValueQueryStringParameters: Object.keys(multiQuery).length > 0 ? multiQuery : null,
      pathParameters: mounted.params.length > 0 ? pathParameters : null,
      stageVariables: null,
      body: raw.length > 0 ? raw.toString('utf8') : null,
      isBase64Encoded: false,
      requestContext: {
        accountId: '000000000000',
        apiId: API_ID,
        authorizer: authorizerContext,
        httpMethod: method,
        identity: { sourceIp: req.socket.remoteAddress ?? '127.0.0.1', userAgent: headers['User-Agent'] ?? null } as never,
        path: `/${STAGE}${url.pathname}`,
        protocol: `HTTP/${req.httpVersion}`,
        requestId,
        requestTimeEpoch: Date.now(),
        resourceId: 'local',
        resourcePath: mounted.route.path,
        stage: STAGE,
      },
    };
    let result: APIGatewayProxyResult;
    try {
      result = await mounted.handler(event, lambdaContext(mounted.functionName));
    } catch (error) {
      // A handler that throws is an integration failure: API Gateway answers 502/500 with DEFAULT_5XX.
      options.onError?.(error);
      return sendGateway(res, 'DEFAULT_5XX', requestId);
    }
    const body = result.isBase64Encoded ? Buffer.from(result.body, 'base64') : result.body;
    send(res, result.statusCode, { ...(result.headers ?? {}), 'x-amzn-RequestId': requestId }, body);
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `http://${host}:${address.port}`,
    server,
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
