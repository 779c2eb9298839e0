/**
 * One attempt to reach a target, and what its outcome means for retrying.
 *
 * API destinations: one request per event, the destination's HttpMethod to its InvocationEndpoint (`*`
 * in it replaced by HttpParameters.PathParameterValues, in order), body = the target input (see
 * input-transformer.ts; no body for GET and HEAD), headers: `User-Agent: Amazon/EventBridge/ApiDestinations`,
 * `Content-Type: application/json; charset=utf-8`, `Range: bytes=0-1048575`, then the target's
 * HeaderParameters, then the connection's InvocationHttpParameters headers, then its authorization
 * (`<ApiKeyName>: <ApiKeyValue>` or `Authorization: Basic …`); query string = the target's
 * QueryStringParameters plus the connection's; the connection's BodyParameters are added to a JSON-object
 * body. HTTP parameter values starting with `$.` are JSON paths into the event (left out when the event
 * has no value). Redirects are not followed. 2xx is delivered; 401, 407, 409, 429, 5xx, timeouts and
 * network errors are retryable (with the response's `Retry-After`, if any); any other status is not.
 *
 * SQS queues (targets and dead-letter queues): SendMessage through the configured SQS endpoint.
 */
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { GetQueueUrlCommand, SendMessageCommand, SQSClient, type MessageAttributeValue } from '@aws-sdk/client-sqs';
import type { ApiDestinationSnapshot, ConnectionSnapshot } from './connections.ts';
import { parseRetryAfter } from './delivery-timing.ts';
import { resolveHttpParameter } from './input-transformer.ts';
import type { StoredTarget } from './rules.ts';
import type { EventEnvelope } from './types.ts';

/** Why an attempt did not deliver, as ERROR_CODE and ERROR_MESSAGE will say. */
export interface AttemptFailure {
  readonly code: string;
  readonly message: string;
  readonly retryable: boolean;
  readonly retryAfterMs?: number;
}

export type AttemptResult =
  | { readonly ok: true; readonly statusCode?: number }
  | ({ readonly ok: false; readonly statusCode?: number } & AttemptFailure);

export interface HttpRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: Record<string, string>;
  readonly body?: string;
}

/** The destination and connection as they are now: read at each attempt, so updates apply to retries. */
export interface DestinationLookup {
  readonly apiDestinationByArn: (arn: string) => ApiDestinationSnapshot | undefined;
  readonly connectionByArn: (arn: string) => ConnectionSnapshot | undefined;
}

const RETRYABLE_STATUS = new Set([401, 407, 409, 429]);

/** The request EventBridge makes for this event, or why it cannot make one (missing resource, unauthorized connection). */
export function buildApiDestinationRequest(
  target: StoredTarget,
  event: EventEnvelope,
  input: string | undefined,
  lookup: DestinationLookup,
): HttpRequest | { failure: AttemptFailure } {
  const destination = lookup.apiDestinationByArn(target.Arn);
  if (!destination) return { failure: { code: 'NO_RESOURCE', message: `ApiDestination ${target.Arn} does not exist.`, retryable: false } };
  const connection = lookup.connectionByArn(destination.connectionArn);
  if (!connection)
    return { failure: { code: 'NO_RESOURCE', message: `Connection ${destination.connectionArn} does not exist.`, retryable: false } };
  if (connection.state !== 'AUTHORIZED') {
    return {
      failure: {
        code: 'NO_PERMISSIONS',
        message: `Connection ${connection.name} is ${connection.state}: ${connection.stateReason ?? ''}`.trim(),
        retryable: false,
      },
    };
  }
  const http = target.HttpParameters ?? {};
  const pathValues = [...(http.PathParameterValues ?? [])].map((value) => resolveHttpParameter(value, event) ?? '');
  let url: URL;
  try {
    url = new URL(destination.invocationEndpoint.replace(/\*/g, () => encodeURIComponent(pathValues.shift() ?? '*')));
  } catch {
    return {
      failure: { code: 'INVALID_PARAMETER', message: `Invalid InvocationEndpoint ${destination.invocationEndpoint}.`, retryable: false },
    };
  }
  for (const [key, value] of Object.entries(http.QueryStringParameters ?? {})) {
    const resolved = resolveHttpParameter(value, event);
    if (resolved !== undefined) url.searchParams.append(key, resolved);
  }
  const invocation = connection.invocationHttpParameters;
  for (const parameter of invocation?.QueryStringParameters ?? []) url.searchParams.set(parameter.Key, parameter.Value);

  const headers: Record<string, string> = {};
  const setHeader = (name: string, value: string) => {
    for (const existing of Object.keys(headers)) if (existing.toLowerCase() === name.toLowerCase()) delete headers[existing];
    headers[name] = value;
  };
  setHeader('User-Agent', 'Amazon/EventBridge/ApiDestinations');
  setHeader('Content-Type', 'application/json; charset=utf-8');
  setHeader('Range', 'bytes=0-1048575');
  for (const [name, value] of Object.entries(http.HeaderParameters ?? {})) {
    const resolved = resolveHttpParameter(value, event);
    if (resolved !== undefined) setHeader(name, resolved);
  }
  for (const parameter of invocation?.HeaderParameters ?? []) setHeader(parameter.Key, parameter.Value);
  if (connection.apiKey) setHeader(connection.apiKey.name.trim(), connection.apiKey.value);
  if (connection.basic)
    setHeader('Authorization', `Basic ${Buffer.from(`${connection.basic.username}:${connection.basic.password}`).toString('base64')}`);

  let body = input ?? '';
  if (invocation && invocation.BodyParameters.length > 0) {
    try {
      const parsed: unknown = JSON.parse(body);
      if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)) {
        for (const parameter of invocation.BodyParameters) (parsed as Record<string, unknown>)[parameter.Key] = parameter.Value;
        body = JSON.stringify(parsed);
      }
    } catch {
      /* not a JSON object: body parameters do not apply */
    }
  }
  const method = destination.httpMethod;
  return { method, url: url.toString(), headers, body: method === 'GET' || method === 'HEAD' ? undefined : body };
}

export function invokeHttp(request: HttpRequest, timeoutMs: number): Promise<AttemptResult> {
  return new Promise((resolve) => {
    let settled = false;
    let timedOut = false;
    const done = (result: AttemptResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(result);
    };
    const url = new URL(request.url);
    const body = request.body === undefined ? undefined : Buffer.from(request.body, 'utf8');
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    let req: ReturnType<typeof httpRequest>;
    try {
      req = send(url, {
        method: request.method,
        headers: { ...request.headers, Connection: 'close', ...(body ? { 'Content-Length': String(body.length) } : {}) },
        agent: false,
      });
    } catch (error) {
      // e.g. a header value Node refuses to send
      resolve({
        ok: false,
        code: 'INVALID_PARAMETER',
        message: `Unable to invoke ApiDestination endpoint: ${(error as Error).message}`,
        retryable: false,
      });
      return;
    }
    const timer = setTimeout(() => {
      timedOut = true;
      req.destroy(new Error(`no response within ${timeoutMs} ms`));
    }, timeoutMs);
    req.on('response', (response) => {
      response.resume();
      const finish = () => done(classify(response.statusCode ?? 0, response.headers));
      response.on('end', finish);
      response.on('close', finish);
      response.on('error', finish);
    });
    req.on('error', (error) => {
      done(
        timedOut
          ? {
              ok: false,
              code: 'TIMEOUT',
              message: `Unable to invoke ApiDestination endpoint: the endpoint did not answer within ${timeoutMs} ms.`,
              retryable: true,
            }
          : {
              ok: false,
              code: 'CONNECTION_FAILURE',
              message: `Unable to invoke ApiDestination endpoint: ${error.message}`,
              retryable: true,
            },
      );
    });
    req.end(body);
  });
}

function classify(status: number, headers: IncomingHttpHeaders): AttemptResult {
  if (status >= 200 && status < 300) return { ok: true, statusCode: status };
  const retryable = RETRYABLE_STATUS.has(status) || status >= 500;
  const retryAfterMs = retryable ? parseRetryAfter(headers['retry-after'], Date.now()) : undefined;
  return {
    ok: false,
    statusCode: status,
    code: 'SDK_CLIENT_ERROR',
    message: `Unable to invoke ApiDestination endpoint: The endpoint responded with status code ${status}.`,
    retryable,
    ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
  };
}

export interface SqsSender {
  /** SendMessage to the queue with this ARN; resolves to the MessageId. */
  send(
    queueArn: string,
    body: string,
    attributes: Record<string, string>,
    groupId?: string,
    deduplicationId?: string,
  ): Promise<string | undefined>;
  destroy(): void;
}

export function createSqsSender(endpoint: string | undefined): SqsSender {
  const clients = new Map<string, SQSClient>();
  const urls = new Map<string, string>();
  const clientFor = (region: string): SQSClient => {
    let client = clients.get(region);
    if (!client) {
      client = new SQSClient({ endpoint, region, credentials: { accessKeyId: 'local', secretAccessKey: 'local' }, maxAttempts: 1 });
      clients.set(region, client);
    }
    return client;
  };
  return {
    async send(queueArn, body, attributes, groupId, deduplicationId) {
      if (!endpoint) throw new Error('the EventBridge stand-in has no sqsEndpoint option');
      const [, , , region = '', , name = ''] = queueArn.split(':');
      const client = clientFor(region);
      let url = urls.get(queueArn);
      if (!url) {
        url = (await client.send(new GetQueueUrlCommand({ QueueName: name }))).QueueUrl;
        if (!url) throw new Error(`no queue URL for ${queueArn}`);
        urls.set(queueArn, url);
      }
      const messageAttributes: Record<string, MessageAttributeValue> = {};
      for (const [key, value] of Object.entries(attributes)) messageAttributes[key] = { DataType: 'String', StringValue: value };
      const fifo = name.endsWith('.fifo');
      const result = await client.send(
        new SendMessageCommand({
          QueueUrl: url,
          MessageBody: body,
          ...(Object.keys(messageAttributes).length > 0 ? { MessageAttributes: messageAttributes } : {}),
          ...(fifo && groupId ? { MessageGroupId: groupId } : {}),
          ...(fifo && deduplicationId ? { MessageDeduplicationId: deduplicationId } : {}),
        }),
      );
      return result.MessageId;
    },
    destroy() {
      for (const client of clients.values()) client.destroy();
      clients.clear();
    },
  };
}

export function sqsFailure(error: unknown): AttemptFailure {
  const name = error instanceof Error ? error.name : '';
  const message = error instanceof Error ? error.message : String(error);
  if (name === 'QueueDoesNotExist' || name === 'AWS.SimpleQueueService.NonExistentQueue')
    return { code: 'NO_RESOURCE', message, retryable: false };
  return { code: 'SDK_CLIENT_ERROR', message, retryable: true };
}
