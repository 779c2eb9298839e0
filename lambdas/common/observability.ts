import type { MetricBreakdown, MetricDefinition } from '../../definitions/metrics.ts';
import { logger, metrics, tracer } from './powertools.ts';

/**
 * What handlers use to be observable, on top of the shared Powertools instances: metrics from the
 * catalogue (definitions/metrics.ts), the job's identity as log keys and trace annotations, and a
 * trace subsegment per job when one invocation handles several. Use cases never import this: handlers
 * emit from what the use cases return.
 */

type BreakdownValue<M> = M extends { readonly breakdown: { readonly values: readonly (infer V)[] } } ? V : never;
/** A metric with a breakdown needs its value; one without takes none. */
type BreakdownArgs<M> = M extends { readonly breakdown: MetricBreakdown } ? [value: BreakdownValue<M>] : [];

/**
 * Records `value` of `metric`: the total (dimension `service` only) is buffered and written with the
 * invocation's other metrics when it ends; the breakdown (plus its dimension) is written at once, as
 * its own EMF line, so each line has one dimension set.
 */
export function emit<const M extends MetricDefinition>(metric: M, value: number, ...breakdown: BreakdownArgs<M>): void {
  metrics.addMetric(metric.name, metric.unit, value);
  const [dimension] = breakdown as [string?];
  if (!metric.breakdown || dimension === undefined) return;
  if (!metric.breakdown.values.includes(dimension)) {
    // Data from storage that the catalogue does not know: keep the total, never grow the dimension's values.
    logger.warn('metric breakdown value outside the catalogue; only the total is recorded', { metric: metric.name, value: dimension });
    return;
  }
  const single = metrics.singleMetric();
  single.addDimension(metric.breakdown.name, dimension);
  single.addMetric(metric.name, metric.unit, value);
}

/** One occurrence of a count metric. */
export function count<const M extends MetricDefinition & { readonly unit: 'Count' }>(metric: M, ...breakdown: BreakdownArgs<M>): void {
  emit(metric, 1, ...breakdown);
}

/** The keys that identify a job in log lines; job, tenant and account ids are also trace annotations. */
export interface JobKeys {
  readonly job_id?: string | undefined;
  readonly tenant_id?: string | undefined;
  readonly account_id?: string | undefined;
  readonly idempotency_key?: string | undefined;
}

const ANNOTATED = ['job_id', 'tenant_id', 'account_id'] as const;

const definedKeys = (keys: JobKeys): Record<string, string> =>
  Object.fromEntries(
    Object.entries(keys).filter((entry): entry is [string, string] => typeof entry[1] === 'string' && entry[1].length > 0),
  );

/**
 * For a handler working on one job at a time: the keys go on every later log line of the invocation
 * (the handler wrapper clears them at its end) and, unless `annotate` is false, on the current trace
 * segment as annotations, so `annotation.job_id = "job_…"` finds the trace.
 */
export function setJobContext(keys: JobKeys, options: { annotate?: boolean } = {}): void {
  const defined = definedKeys(keys);
  logger.appendKeys(defined);
  // A batch handler annotates each record's own subsegment instead (inJobSegment).
  if (options.annotate === false) return;
  for (const name of ANNOTATED) {
    const value = defined[name];
    if (value !== undefined) tracer.putAnnotation(name, value);
  }
}

/** Takes the keys setJobContext added off the logger again (between two jobs of one batch). */
export function clearJobContext(): void {
  logger.removeKeys(['job_id', 'tenant_id', 'account_id', 'idempotency_key']);
}

/**
 * Runs `work` in a trace subsegment `### <name>` annotated with the job's ids (one per record of a
 * batch). `current`: SDK and HTTP calls made meanwhile nest under it — only for records handled one at
 * a time (the FIFO worker); records handled side by side just get their annotated subsegment. Without
 * tracing (local mode, tests) it only runs `work`.
 */
export async function inJobSegment<T>(
  name: string,
  keys: JobKeys,
  work: () => Promise<T>,
  options: { current?: boolean } = {},
): Promise<T> {
  if (!tracer.isTracingEnabled()) return work();
  const parent = tracer.getSegment();
  if (!parent) return work();
  const segment = parent.addNewSubsegment(`### ${name}`);
  const defined = definedKeys(keys);
  for (const key of ANNOTATED) {
    const value = defined[key];
    if (value !== undefined) segment.addAnnotation(key, value);
  }
  if (options.current) tracer.setSegment(segment);
  try {
    return await work();
  } catch (error) {
    segment.addError(error as Error);
    throw error;
  } finally {
    segment.close();
    if (options.current) tracer.setSegment(parent);
  }
}
