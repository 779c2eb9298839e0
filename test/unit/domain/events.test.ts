import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  EVENT_ID_PATTERN,
  EVENT_SCHEMA_VERSION,
  EVENT_SOURCE,
  eventIdFor,
  eventJob,
  jobEventFor,
  jobEventOf,
  statusChangeOf,
} from '../../../lambdas/domain/events.ts';
import { JOB_STATUSES, transition, type JobRecord, type JobStatus } from '../../../lambdas/domain/job.ts';
import { redispatched, stranded, withIncident } from '../../../lambdas/domain/reconciliation.ts';
import { jobRecord, pinRequest, T0, TENANT, OTHER_TENANT } from '../builders.ts';

const at = (ms: number) => new Date(Date.parse(T0) + ms).toISOString();

/** A job's records from its creation to `status`, one version per status change (builders' paths). */
function versionsTo(status: JobStatus): JobRecord[] {
  const last = jobRecord({ status });
  const history = last.job.status_history;
  let record = jobRecord({ status: history[0]!.status === 'scheduled' ? 'scheduled' : 'queued' });
  const versions = [record];
  for (const change of history.slice(1)) {
    record = transition(
      record,
      change.status,
      new Date(change.at),
      change.status === 'retry_scheduled' ? { next_attempt_at: at(120_000) } : {},
    );
    versions.push(record);
  }
  return versions;
}

describe('jobEventFor', () => {
  it('an insert is the event of the first status, with the documented detail', () => {
    // Prepare
    const created = jobRecord();

    // Act
    const event = jobEventFor(null, created);

    // Assess
    expect(event).toEqual({
      id: eventIdFor(TENANT, created.job.id, created.job.created_at, 1),
      type: 'job.queued',
      schema_version: 1,
      created_at: T0,
      timestamp: Date.parse(T0) / 1000,
      tenant_id: TENANT,
      data: { job: created.job },
    });
    expect(event!.id).toMatch(EVENT_ID_PATTERN);
    expect(EVENT_SCHEMA_VERSION).toBe(1);
    expect(EVENT_SOURCE).toBe('pinrelay');
  });

  it.each(JOB_STATUSES.filter((s) => s !== 'queued' && s !== 'scheduled'))(
    "a change to %s is that status's event, dated when the status changed",
    (status) => {
      const versions = versionsTo(status);
      const before = versions.at(-2)!;
      const after = versions.at(-1)!;

      const event = jobEventFor(before, after)!;

      expect(event.type).toBe(`job.${status}`);
      expect(event.created_at).toBe(after.job.updated_at);
      expect(event.timestamp).toBe(Math.floor(Date.parse(after.job.updated_at) / 1000));
      expect(event.data.job).toEqual(after.job);
      expect(event.id).toBe(eventIdFor(TENANT, after.job.id, after.job.created_at, after.version));
    },
  );

  it('timestamp is whole Unix seconds, rounded down', () => {
    const created = jobRecord({ now: '2026-03-01T12:00:00.999Z' });
    expect(jobEventFor(null, created)!.timestamp).toBe(Date.parse('2026-03-01T12:00:00Z') / 1000);
  });

  it.each([
    [
      'a version bump without a status change (the reconciler re-dispatching)',
      jobRecord(),
      redispatched(jobRecord(), new Date(at(3_600_000)), { maxRedispatches: 3 }),
    ],
    [
      'a rewrite of the same version (marker, incident, due time)',
      jobRecord(),
      withIncident(jobRecord(), { at: at(1), kind: 'message_dead_lettered', detail: 'x' }),
    ],
    ['a removal (TTL)', jobRecord({ status: 'succeeded' }), null],
  ] as const)('is null for %s', (_what, before, after) => {
    expect(jobEventFor(before, after)).toBeNull();
  });

  it('a stream record processed twice yields the same event, id included', () => {
    const [v1, v2] = versionsTo('running');
    expect(jobEventFor(v1!, v2!)).toEqual(jobEventFor(structuredClone(v1!), structuredClone(v2!)));
  });

  it('ids differ per version, per tenant, and per incarnation of a job id (same key re-used after the job expired)', () => {
    const first = jobRecord({ key: 'cms-1' });
    const again = jobRecord({ key: 'cms-1', now: at(40 * 86_400_000) }); // same job id, version 1, created later
    const otherTenant = jobRecord({ key: 'cms-1', tenantId: OTHER_TENANT });
    const running = transition(first, 'running', new Date(at(1000)));

    const ids = [first, again, otherTenant].map((r) => jobEventFor(null, r)!.id).concat(jobEventFor(first, running)!.id);

    expect(again.job.id).toBe(first.job.id);
    expect(new Set(ids).size).toBe(4);
  });
});

describe('statusChangeOf', () => {
  it.each(JOB_STATUSES)('names the change every version on the way to %s made, exactly when jobEventFor has an event', (status) => {
    const versions = versionsTo(status);
    versions.forEach((record, i) => {
      const event = jobEventFor(versions[i - 1] ?? null, record);
      expect(statusChangeOf(record)).toEqual({ version: record.version, status: record.job.status, at: record.job.updated_at });
      expect(event?.type).toBe(`job.${record.job.status}`);
    });
  });

  it('is null for a re-dispatch (a new version, the same status), and back for the next status change', () => {
    const queued = jobRecord();
    const again = redispatched(queued, new Date(at(3_600_000)), { maxRedispatches: 3 });
    const failed = stranded(again, new Date(at(7_200_000)), { maxRedispatches: 1 });

    expect(statusChangeOf(again)).toBeNull();
    expect(statusChangeOf(failed)).toEqual({ version: 3, status: 'failed', at: at(7_200_000) });
  });
});

describe('jobEventOf', () => {
  it('a change still owed after the job moved on: same id, type and date as the event of that version, with the job as it is now', () => {
    // Prepare: v1 queued (its event never published), then v2 running.
    const [v1, v2] = versionsTo('running');
    const owed = statusChangeOf(v1!)!;

    // Act
    const late = jobEventOf(v2!, owed);

    // Assess
    const original = jobEventFor(null, v1!)!;
    expect(late).toEqual({ ...original, data: { job: v2!.job } });
  });
});

describe('eventJob', () => {
  it('replaces inline image bytes with their SHA-256 and size, leaving the job itself untouched', () => {
    // Prepare
    const bytes = Buffer.from('\x89PNG\r\n\x1a\n fake image bytes');
    const data = bytes.toString('base64');
    const record = jobRecord({ request: pinRequest({ media_source: { source_type: 'image_base64', content_type: 'image/png', data } }) });
    const before = structuredClone(record.job);

    // Act
    const job = eventJob(record.job);

    // Assess
    expect(job.pin.media_source).toEqual({
      source_type: 'image_base64',
      content_type: 'image/png',
      data: `sha256:${createHash('sha256').update(bytes).digest('hex')}`,
      data_bytes: bytes.length,
    });
    expect({ ...job, pin: { ...job.pin, media_source: before.pin.media_source } }).toEqual(before);
    expect(record.job).toEqual(before);
    expect(JSON.stringify(jobEventFor(null, record))).not.toContain(data);
  });

  it('returns other jobs as they are', () => {
    const record = jobRecord();
    expect(eventJob(record.job)).toBe(record.job);
  });
});

describe('events and secrets', () => {
  it('carry nothing but the job: no token, no secret reference, no internal field', () => {
    // The job record holds no tokens; the store-only fields (lease, sent pins, body hash) stay out too.
    const record: JobRecord = { ...jobRecord({ status: 'running' }), leaseUntil: at(60_000), sentPins: [{ board_id: '1' }], crashCount: 1 };
    const event = jobEventFor(jobRecord(), record)!;

    expect(Object.keys(event).sort()).toEqual(['created_at', 'data', 'id', 'schema_version', 'tenant_id', 'timestamp', 'type']);
    expect(Object.keys(event.data)).toEqual(['job']);
    const text = JSON.stringify(event);
    for (const secret of ['token', 'secret', 'pina_', 'pinr_', 'arn:aws:secretsmanager', record.bodyHash, 'lease', 'sent_pins']) {
      expect(text).not.toContain(secret);
    }
  });
});
