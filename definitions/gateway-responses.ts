/**
 * The responses API Gateway produces by itself (no Lambda involved: missing/invalid API key, unknown
 * route, oversize body, throttling, integration failures), rendered in pinrelay's error envelope
 * `{"error": {"code": "…", "message": "…"}}` with `Content-Type: application/json`.
 *
 * The CDK PublicApi construct turns each entry into an API Gateway Gateway Response; local mode renders
 * the same bodies (`gatewayResponseBody`) for the same situations, so clients see one contract.
 *
 * Plain data only: imported by CDK code and local mode alike.
 */

/** The API Gateway (REST, v1) gateway response types pinrelay customises. */
export type GatewayResponseType =
  | 'UNAUTHORIZED'
  | 'ACCESS_DENIED'
  | 'MISSING_AUTHENTICATION_TOKEN'
  | 'REQUEST_TOO_LARGE'
  | 'UNSUPPORTED_MEDIA_TYPE'
  | 'THROTTLED'
  | 'QUOTA_EXCEEDED'
  | 'INVALID_API_KEY'
  | 'DEFAULT_4XX'
  | 'DEFAULT_5XX';

/** The public API's error codes (README, "Errors") that API Gateway itself can produce. */
export type GatewayErrorCode =
  | 'unauthorized'
  | 'not_found'
  | 'payload_too_large'
  | 'unsupported_media_type'
  | 'rate_limited'
  | 'validation_error'
  | 'internal';

export interface GatewayResponseDefinition {
  readonly type: GatewayResponseType;
  /**
   * HTTP status sent to the client. Absent: API Gateway keeps the status of the underlying response
   * (the DEFAULT_4XX family covers several 4xx statuses); local mode uses `fallbackStatusCode` then.
   */
  readonly statusCode?: number;
  /** Status local mode uses when `statusCode` is absent. */
  readonly fallbackStatusCode: number;
  readonly code: GatewayErrorCode;
  readonly message: string;
  /** Extra response headers (Content-Type is always application/json). */
  readonly headers?: Readonly<Record<string, string>>;
}

const BEARER_CHALLENGE = { 'WWW-Authenticate': 'Bearer' } as const;

export const GATEWAY_RESPONSES = [
  {
    // Authorization header missing, or the authorizer rejected the key ("Unauthorized").
    type: 'UNAUTHORIZED',
    statusCode: 401,
    fallbackStatusCode: 401,
    code: 'unauthorized',
    message: 'Missing or invalid API key.',
    headers: BEARER_CHALLENGE,
  },
  {
    // The authorizer returned a Deny policy. pinrelay has no per-key permissions (another tenant's ids
    // answer 404), so every deny means "this key is not valid": answer 401 like UNAUTHORIZED.
    type: 'ACCESS_DENIED',
    statusCode: 401,
    fallbackStatusCode: 401,
    code: 'unauthorized',
    message: 'Missing or invalid API key.',
    headers: BEARER_CHALLENGE,
  },
  {
    // REST APIs answer an unknown resource or method with this type (403 by default): it is a 404.
    type: 'MISSING_AUTHENTICATION_TOKEN',
    statusCode: 404,
    fallbackStatusCode: 404,
    code: 'not_found',
    message: 'No such route.',
  },
  {
    type: 'REQUEST_TOO_LARGE',
    statusCode: 413,
    fallbackStatusCode: 413,
    code: 'payload_too_large',
    message: 'The request is too large.',
  },
  {
    type: 'UNSUPPORTED_MEDIA_TYPE',
    statusCode: 415,
    fallbackStatusCode: 415,
    code: 'unsupported_media_type',
    message: 'Unsupported media type.',
  },
  {
    // The stage's throttle, or the tenant's (its usage-plan key: tenantLimits.rateLimit / burstLimit). With a
    // rate of at least 1 request per second, the next request is allowed within a second.
    type: 'THROTTLED',
    statusCode: 429,
    fallbackStatusCode: 429,
    code: 'rate_limited',
    message: 'Too many requests; slow down and retry.',
    headers: { 'Retry-After': '1' },
  },
  {
    // The tenant's daily quota (tenantLimits.dailyQuota) is used up: nothing passes before 00:00 UTC.
    type: 'QUOTA_EXCEEDED',
    statusCode: 429,
    fallbackStatusCode: 429,
    code: 'rate_limited',
    message: "Today's request quota is used up; it resets at 00:00 UTC.",
  },
  {
    // The authorizer accepted the caller's key but returned no usage-plan key API Gateway knows: a tenant the
    // operator has not given one yet (`npm run admin -- usage-keys`). The deployment's fault, not the caller's:
    // a 5xx, so the API 5xx alarm sees it.
    type: 'INVALID_API_KEY',
    statusCode: 500,
    fallbackStatusCode: 500,
    code: 'internal',
    message: 'Internal error: this tenant is not set up for the API yet; contact the operator.',
  },
  {
    // Any other 4xx API Gateway raises itself; its own status is kept.
    type: 'DEFAULT_4XX',
    fallbackStatusCode: 400,
    code: 'validation_error',
    message: 'The request could not be processed.',
  },
  {
    // Integration failures (handler crash, timeout) and authorizer failures: never leak details.
    type: 'DEFAULT_5XX',
    statusCode: 500,
    fallbackStatusCode: 500,
    code: 'internal',
    message: 'Internal error.',
  },
] as const satisfies readonly GatewayResponseDefinition[];

/** The JSON body of a gateway response (also the API Gateway mapping template: it is static JSON). */
export function gatewayResponseBody(def: Pick<GatewayResponseDefinition, 'code' | 'message'>): string {
  return JSON.stringify({ error: { code: def.code, message: def.message } });
}

/** The status a client receives for a gateway response in local mode. */
export function gatewayResponseStatus(def: GatewayResponseDefinition): number {
  return def.statusCode ?? def.fallbackStatusCode;
}

export function gatewayResponseFor(type: GatewayResponseType): GatewayResponseDefinition {
  const def = (GATEWAY_RESPONSES as readonly GatewayResponseDefinition[]).find((r) => r.type === type);
  if (!def) throw new Error(`no gateway response defined for ${type}`);
  return def;
}
