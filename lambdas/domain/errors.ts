import { EVENTBRIDGE_QUOTAS } from '../../definitions/webhooks.ts';
import type { JobStatus } from './job.ts';

/**
 * What can go wrong in pinrelay's own rules, named for what went wrong. Use cases (and the adapters that
 * keep a port's promise, such as a job listing's cursor) throw these; none of them knows a status code.
 * Each one belongs to one family below, and only the HTTP layer (lambdas/common/http-errors.ts) turns a
 * family into a status, an error code and the envelope; the admin CLI prints the message and details.
 */

/** One field of the caller's input and what is wrong with it (`publish_at`, `pin.media_source.url`). */
export interface ErrorDetail {
  readonly path: string;
  readonly message: string;
}

export abstract class DomainError extends Error {
  readonly details: readonly ErrorDetail[];

  constructor(message: string, details: readonly ErrorDetail[] = []) {
    super(message);
    this.name = new.target.name;
    this.details = details;
  }
}

/** The input breaks a rule: `details` names the fields. */
export abstract class InvalidInput extends DomainError {}

/** There is no such thing for this tenant (unknown, or another tenant's: the two look the same). */
export abstract class NotFound extends DomainError {}

/** The thing exists, but its state (or a limit) does not allow what was asked now. */
export abstract class Conflict extends DomainError {}

/** The Idempotency-Key was used before for a different request: the same key must always mean the same pin. */
export class IdempotencyKeyReused extends DomainError {
  constructor(readonly jobId: string) {
    super(`Idempotency-Key was already used for a different request (job ${jobId})`);
  }
}

// ---- invalid input ----

/** A pin built from parts (a requeue's corrections merged into the stored pin) breaks the pin rules. */
export class InvalidPinFields extends InvalidInput {
  constructor(details: readonly ErrorDetail[]) {
    super('the corrected pin is invalid', details);
  }
}

export class PublishAtTooFarAhead extends InvalidInput {
  constructor(readonly maxDays: number) {
    super('publish_at is too far ahead', [{ path: 'publish_at', message: `must be within ${maxDays} days from now` }]);
  }
}

/** A listing cursor that this listing did not hand out (another tenant's, another filter's, or made up). */
export class InvalidCursor extends InvalidInput {
  constructor() {
    super('invalid cursor', [{ path: 'cursor', message: 'not a cursor returned by this listing' }]);
  }
}

/** The URL of a webhook subscription is refused (lambdas/domain/webhook-url.ts says why). */
export class InvalidWebhookUrl extends InvalidInput {
  constructor(reason: string) {
    super('invalid webhook url', [{ path: 'url', message: reason }]);
  }
}

/** Jobs named by id are looked up in one tenant: the ids alone do not say which. */
export class JobIdsWithoutTenant extends InvalidInput {
  constructor() {
    super('job ids need a tenant', [{ path: 'tenant', message: 'required with job ids' }]);
  }
}

// ---- not found ----

export class JobNotFound extends NotFound {
  constructor(readonly jobId: string) {
    super(`job ${jobId} not found`);
  }
}

export class AccountNotFound extends NotFound {
  constructor(readonly accountId: string) {
    super(`account ${accountId} not found`);
  }
}

/** A pin for an account the tenant never connected. */
export class AccountNotConnected extends NotFound {
  constructor(readonly accountId: string) {
    super(`account ${accountId} is not connected`, [
      { path: 'account_id', message: `connect it first with PUT /v1/accounts/${accountId}` },
    ]);
  }
}

export class WebhookNotFound extends NotFound {
  constructor(readonly webhookId: string) {
    super(`webhook ${webhookId} not found`);
  }
}

// ---- conflicts ----

export class JobNotCancellable extends Conflict {
  constructor(
    readonly jobId: string,
    readonly status: JobStatus,
  ) {
    super(`job ${jobId} is ${status}; only queued, scheduled or retry_scheduled jobs can be cancelled`);
  }
}

export class JobNotRequeueable extends Conflict {
  constructor(
    readonly jobId: string,
    readonly status: JobStatus,
  ) {
    super(`job ${jobId} is ${status}; only failed jobs can be requeued`);
  }
}

/** Someone else (the worker) kept changing the job between our read and our write. */
export class JobKeptChanging extends Conflict {
  constructor(
    readonly jobId: string,
    action: 'cancelled' | 'requeued',
  ) {
    super(`job ${jobId} kept changing while it was being ${action}; try again`);
  }
}

/** The tenant has as many subscriptions as it may. */
export class WebhookLimitReached extends Conflict {
  constructor(count: number, maxPerTenant: number) {
    super(
      `this tenant already has ${count} webhook subscriptions, the most allowed (webhooks.maxPerTenant = ${maxPerTenant}); ` +
        'delete one first, or subscribe one URL to several events',
    );
  }
}

/** The deployment is close to EventBridge's rules quota on the bus: new subscriptions stop short of it. */
export class WebhookRuleQuotaNearlyFull extends Conflict {
  constructor(rules: number, ruleQuota: number, margin: number) {
    super(
      `the deployment has ${rules} webhook subscriptions and is near EventBridge's quota of ${ruleQuota} rules per event bus ` +
        `(each subscription is one rule; new ones stop ${margin} short of it). The operator can request a higher ` +
        '"Maximum number of rules per event bus" in Service Quotas and then raise webhooks.ruleQuota in cdk.json',
    );
  }
}

/** EventBridge itself refused a create: an account or bus quota is full. */
export class WebhookQuotaExceeded extends Conflict {
  constructor(reason: string) {
    super(
      `EventBridge refused the subscription: ${reason} (quotas: ${EVENTBRIDGE_QUOTAS.rulesPerBus} rules per bus, ` +
        `${EVENTBRIDGE_QUOTAS.connections} connections and ${EVENTBRIDGE_QUOTAS.apiDestinations} API destinations per account and Region, adjustable in Service Quotas)`,
    );
  }
}

/** A DELETE got to the subscription while it was being created. */
export class WebhookDeletedDuringCreate extends Conflict {
  constructor(readonly webhookId: string) {
    super(`webhook ${webhookId} was deleted while it was being created`);
  }
}
