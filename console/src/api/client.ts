import createClient from 'openapi-fetch';
import type { components, paths } from './schema.d.ts';

/**
 * The console's one way to the API: openapi-fetch over the paths generated from the OpenAPI document
 * (./schema.d.ts), so every call is typed by the same zod schemas that validate it on the server. The
 * tenant API key rides in the Authorization header of each request and nowhere else.
 */

type Schemas = components['schemas'];
export type Job = Schemas['Job'];
export type JobStatus = Schemas['JobStatus'];
export type JobList = Schemas['JobList'];
export type Attempt = Schemas['Attempt'];
export type PinFields = Schemas['PinFields'];
export type RequeueRequest = Schemas['RequeueRequest'];
export type Stats = Schemas['Stats'];
export type AccountStats = Schemas['AccountStats'];
export type Account = Schemas['Account'];
export type Webhook = Schemas['Webhook'];
export type WebhookWithSecret = Schemas['WebhookWithSecret'];
export type WebhookEventType = Schemas['WebhookEventType'];
export type ErrorDetail = NonNullable<Schemas['Error']['error']['details']>[number];

export type ApiClient = ReturnType<typeof createClient<paths>>;

/** Every job status, in the order a job moves through them (a compile error when the API's list changes). */
const STATUS_ORDER = {
  scheduled: 0,
  queued: 1,
  running: 2,
  retry_scheduled: 3,
  succeeded: 4,
  failed: 5,
  cancelled: 6,
} as const satisfies Record<JobStatus, number>;
export const JOB_STATUSES = Object.keys(STATUS_ORDER) as JobStatus[];

const TERMINAL: ReadonlySet<JobStatus> = new Set(['succeeded', 'failed', 'cancelled']);
export const isTerminal = (status: JobStatus) => TERMINAL.has(status);
/** POST /v1/jobs/{id}/cancel answers 409 for any other status. */
export const isCancellable = (status: JobStatus) => status === 'queued' || status === 'scheduled' || status === 'retry_scheduled';
/** POST /v1/jobs/{id}/requeue answers 409 unless the job failed. */
export const isRequeueable = (status: JobStatus) => status === 'failed';

/** Every webhook event type (a compile error when the API's list changes). */
const EVENT_TYPES = {
  'job.scheduled': true,
  'job.queued': true,
  'job.running': true,
  'job.retry_scheduled': true,
  'job.succeeded': true,
  'job.failed': true,
  'job.cancelled': true,
} as const satisfies Record<WebhookEventType, true>;
export const WEBHOOK_EVENT_TYPES = Object.keys(EVENT_TYPES) as WebhookEventType[];

/** A refused or failed call: the API's error envelope when it sent one, or what went wrong on the way. */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    /** The HTTP status; 0 when no answer arrived. */
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: readonly ErrorDetail[] = [],
  ) {
    super(message);
  }

  /** The key is missing, wrong or revoked: the console signs out. */
  get refusedKey(): boolean {
    return this.status === 401 || this.status === 403;
  }
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The ApiError for a non-2xx answer: the `{error: {code, message, details}}` envelope, or a plain description. */
export function apiErrorFrom(status: number, body: unknown): ApiError {
  const error = isRecord(body) ? body.error : undefined;
  if (isRecord(error) && typeof error.code === 'string' && typeof error.message === 'string') {
    const details = Array.isArray(error.details)
      ? error.details.filter((d): d is ErrorDetail => isRecord(d) && typeof d.path === 'string' && typeof d.message === 'string')
      : [];
    return new ApiError(status, error.code, error.message, details);
  }
  return new ApiError(status, `http_${status}`, `The API answered HTTP ${status}.`);
}

/**
 * Where the API is, from the page's own address: the console is served at `<api>/console/`, so the API is the
 * parent of its directory. Same origin in every deployment (local mode, CloudFront, a stage path prefix), and
 * the key is never part of it.
 */
export function apiBaseUrl(pageHref: string): string {
  return new URL('..', pageHref).href.replace(/\/$/, '');
}

export interface ApiOptions {
  readonly baseUrl: string;
  /** The key of the current session, read for each request (null: not signed in). */
  readonly key: () => string | null;
  /** Called when any call is answered 401 or 403. */
  readonly onRefusedKey?: (error: ApiError) => void;
  readonly fetch?: (request: Request) => Promise<Response>;
}

export interface Api {
  readonly client: ApiClient;
  /** The data of a 2xx answer; throws ApiError otherwise (and reports a refused key first). */
  call<T>(request: Promise<{ data?: T; error?: unknown; response: Response }>): Promise<T>;
}

export function createApi(options: ApiOptions): Api {
  const client = createClient<paths>({ baseUrl: options.baseUrl, ...(options.fetch ? { fetch: options.fetch } : {}) });
  client.use({
    onRequest({ request }) {
      const key = options.key();
      if (key) request.headers.set('Authorization', `Bearer ${key}`);
      return request;
    },
  });
  return {
    client,
    async call<T>(request: Promise<{ data?: T; error?: unknown; response: Response }>): Promise<T> {
      let answer: { data?: T; error?: unknown; response: Response };
      try {
        answer = await request;
      } catch (cause) {
        throw new ApiError(0, 'network', `The API could not be reached (${cause instanceof Error ? cause.message : String(cause)}).`);
      }
      if (answer.response.ok) return answer.data as T;
      const error = apiErrorFrom(answer.response.status, answer.error);
      if (error.refusedKey) options.onRefusedKey?.(error);
      throw error;
    },
  };
}
