import type { z } from 'zod';
import type * as account from '../domain/account.ts';
import type * as job from '../domain/job.ts';
import type * as pin from '../domain/pin.ts';
import type * as stats from '../domain/stats.ts';
import type * as webhook from '../domain/webhook.ts';
import type * as wire from './schemas.ts';

/**
 * The wire schemas describe the domain's types, no more and no less: each pair below is checked in both
 * directions (a value of either type is a value of the other), so a field added, dropped, renamed,
 * loosened or made optional on one side only breaks `tsc` here. Responses are domain models; requests
 * are the commands the use cases take once the handler has parsed them.
 */

/** True when A and B accept the same values; false as soon as either has a value the other refuses. */
export type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;

type Wire<S extends z.ZodType> = z.infer<S>;

/** One entry per wire schema with a domain twin; `true` is the only value the checker allows. */
export const DOMAIN_MATCH: {
  readonly [name: string]: true;
} = {
  PinFields: true satisfies Same<Wire<typeof wire.PinFields>, pin.PinFields>,
  MediaSource: true satisfies Same<Wire<typeof wire.MediaSource>, pin.MediaSource>,
  CreatePinRequest: true satisfies Same<Wire<typeof wire.CreatePinRequest>, job.SubmitPinCommand>,
  RequeueRequest: true satisfies Same<NonNullable<Wire<typeof wire.RequeueRequest>['pin']>, pin.PinCorrections>,
  JobStatus: true satisfies Same<Wire<typeof wire.JobStatus>, job.JobStatus>,
  Attempt: true satisfies Same<Wire<typeof wire.Attempt>, job.Attempt>,
  JobFailure: true satisfies Same<Wire<typeof wire.JobFailure>, job.JobFailure>,
  Incident: true satisfies Same<Wire<typeof wire.Incident>, job.Incident>,
  Job: true satisfies Same<Wire<typeof wire.Job>, job.Job>,
  PutAccountRequest: true satisfies Same<Wire<typeof wire.PutAccountRequest>, account.ConnectAccountCommand>,
  Account: true satisfies Same<Wire<typeof wire.Account>, account.Account>,
  AccountRate: true satisfies Same<Wire<typeof wire.AccountRate>, account.AccountRate>,
  CreateWebhookRequest: true satisfies Same<Wire<typeof wire.CreateWebhookRequest>, webhook.CreateWebhookCommand>,
  Webhook: true satisfies Same<Wire<typeof wire.Webhook>, webhook.Webhook>,
  WebhookWithSecret: true satisfies Same<Wire<typeof wire.WebhookWithSecret>, webhook.WebhookWithSecret>,
  JobStatusCounts: true satisfies Same<Wire<typeof wire.JobStatusCounts>, stats.JobStatusCounts>,
  Stats: true satisfies Same<Wire<typeof wire.Stats>, stats.Stats>,
};
