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

/**
 * Local stand-in for API Gateway (REST API, Lambda proxy integration): turns HTTP requests into the
 * same `APIGatewayProxyEvent`s API Gateway sends, runs the same REQUEST authorizer first, calls the
 * same handlers, and answers API Gateway's own errors with the same gateway responses
 * (definitions/gateway-responses.ts).
 */

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
  const headers: Record<string, string> = {};
  const multiValueHeaders: Record<string, string[]> = {};
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

export async function startLocalApi(options: { host: string; port: number; onError?: (error: unknown) => void }): Promise<LocalApi> {
  const { routes, authorizer } = await loadRoutes();

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
    const match = routes.map((r) => ({ r, m: r.pattern.exec(url.pathname) })).find(({ r, m }) => m !== null && r.route.method === method);
    if (!match?.m) return sendGateway(res, 'MISSING_AUTHENTICATION_TOKEN', requestId);
    const { r: mounted, m } = match;

    const raw = await readBody(req);
    if (raw === 'too_large') return sendGateway(res, 'REQUEST_TOO_LARGE', requestId);
    const { headers, multiValueHeaders } = headerMaps(req);

    const query: Record<string, string> = {};
    const multiQuery: Record<string, string[]> = {};
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
        result = await authorizer(
          {
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
          },
          lambdaContext('authorize-request'),
        );
      } catch (error) {
        if (error instanceof Error && error.message === 'Unauthorized') return sendGateway(res, 'UNAUTHORIZED', requestId);
        options.onError?.(error);
        return sendGateway(res, 'DEFAULT_5XX', requestId);
      }
      const allowed = result.policyDocument.Statement.some((s) => s.Effect === 'Allow');
      if (!allowed) return sendGateway(res, 'ACCESS_DENIED', requestId);
      authorizerContext = { principalId: result.principalId, ...(result.context ?? {}) };
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
