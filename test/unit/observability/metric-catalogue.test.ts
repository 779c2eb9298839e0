import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { FUNCTIONS } from '../../../definitions/functions.ts';
import {
  FAILURE_ROUTE_VALUES,
  METRIC_LIST,
  METRICS,
  metricsNamespace,
  metricsTable,
  OUTCOME_VALUES,
  REJECTION_CODE_VALUES,
  TERMINAL_STATUS_VALUES,
} from '../../../definitions/metrics.ts';
import { JobFailure, type ErrorCode } from '../../../lambdas/api/schemas.ts';
import { OUTCOMES, TERMINAL } from '../../../lambdas/domain/job.ts';
import type { ReleaseResult } from '../../../lambdas/use-cases/release-due.ts';
import type { DeadLetterResult } from '../../../lambdas/use-cases/reconcile.ts';

/** The metric catalogue (definitions/metrics.ts) is the one place metric names live, and matches the code's value sets. */

const sorted = (values: readonly string[]) => [...values].sort();

describe('metric catalogue', () => {
  it('one namespace per stage', () => {
    expect(metricsNamespace('prod')).toBe('Pinrelay/prod');
    expect(metricsNamespace('dev')).not.toBe(metricsNamespace('prod'));
  });

  it('each entry is keyed by its CloudWatch name, names are unique, and units are Count or Milliseconds', () => {
    for (const [key, metric] of Object.entries(METRICS)) expect(metric.name).toBe(key);
    expect(new Set(METRIC_LIST.map((m) => m.name)).size).toBe(METRIC_LIST.length);
    for (const metric of METRIC_LIST) expect(['Count', 'Milliseconds']).toContain(metric.unit);
  });

  it('every emitter is a function of the catalogue', () => {
    const names = new Set<string>(FUNCTIONS.map((f) => f.name));
    for (const metric of METRIC_LIST) {
      expect(metric.emittedBy.length, metric.name).toBeGreaterThan(0);
      for (const fn of metric.emittedBy) expect(names, `${metric.name}: ${fn}`).toContain(fn);
    }
  });

  it('breakdown dimensions are small fixed sets, never an id', () => {
    for (const metric of METRIC_LIST) {
      if (!('breakdown' in metric) || !metric.breakdown) continue;
      expect(metric.breakdown.values.length, metric.name).toBeLessThanOrEqual(10);
      expect(metric.breakdown.name).not.toMatch(/_id$|^id$/);
    }
  });

  it("breakdown values are the code's own value sets", () => {
    expect(sorted(OUTCOME_VALUES)).toEqual(sorted(OUTCOMES));
    expect(sorted(FAILURE_ROUTE_VALUES)).toEqual(sorted(JobFailure.shape.route.options));
    expect(sorted(TERMINAL_STATUS_VALUES)).toEqual(sorted([...TERMINAL]));
    // Exhaustive records: a new result or error code does not compile until it is listed here, then in the catalogue.
    const requeue: Record<ReleaseResult, true> = { released: true, queued: true, redelayed: true, dropped: true };
    expect(sorted(METRICS.DelayQueueMessages.breakdown.values)).toEqual(sorted(Object.keys(requeue)));
    const deadLetter: Record<DeadLetterResult, true> = { recorded: true, stale: true, job_gone: true, parked: true };
    expect(sorted(METRICS.DeadLettersRecorded.breakdown.values)).toEqual(sorted(Object.keys(deadLetter)));
    const rejection: Record<Exclude<ErrorCode, 'internal'>, true> = {
      validation_error: true,
      unauthorized: true,
      not_found: true,
      conflict: true,
      idempotency_key_reused: true,
      payload_too_large: true,
      unsupported_media_type: true,
      rate_limited: true,
    };
    expect(sorted(REJECTION_CODE_VALUES)).toEqual(sorted(Object.keys(rejection)));
  });

  it('no metric is emitted around the catalogue: addMetric appears only in lambdas/common/observability.ts', () => {
    const root = new URL('../../../lambdas/', import.meta.url);
    const offenders = (readdirSync(root, { recursive: true }) as string[])
      .filter((file) => file.endsWith('.ts') && file !== 'common/observability.ts')
      .filter((file) => /\.addMetric\(/.test(readFileSync(new URL(file, root), 'utf8')));
    expect(offenders).toEqual([]);
  });

  it('the docs table has one row per metric', () => {
    const rows = metricsTable().split('\n').slice(2);
    expect(rows).toHaveLength(METRIC_LIST.length);
    expect(rows[0]).toMatch(/^\| `ApiResponses` \| Count \| `status_class`: `2xx`, `4xx`, `5xx` \|/);
  });
});
