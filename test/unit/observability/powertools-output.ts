import { vi } from 'vitest';

/**
 * What the Powertools logger and metrics write, as Lambda would ship it: JSON lines on stdout and stderr.
 * The observability tests load the handlers afresh (vi.resetModules) under POWERTOOLS_ENV, so the
 * shared logger and metrics are built with metrics on and a known namespace whatever other test files
 * loaded before, then read what the real Powertools instances printed.
 */

export const TEST_NAMESPACE = 'Pinrelay/test';

export const POWERTOOLS_ENV = {
  POWERTOOLS_SERVICE_NAME: 'pinrelay',
  POWERTOOLS_METRICS_NAMESPACE: TEST_NAMESPACE,
  POWERTOOLS_METRICS_DISABLED: 'false',
  POWERTOOLS_TRACE_ENABLED: 'false',
  POWERTOOLS_LOG_LEVEL: 'DEBUG',
  POWERTOOLS_DEV: '',
  AWS_REGION: 'eu-west-1',
} as const;

/** Sets POWERTOOLS_ENV (vi.unstubAllEnvs restores) and forgets loaded modules so the next imports build new instances. */
export function freshPowertools(extra: Record<string, string> = {}): void {
  vi.resetModules();
  for (const [name, value] of Object.entries({ ...POWERTOOLS_ENV, ...extra })) vi.stubEnv(name, value);
}

export interface Captured {
  /** Every line written since the capture started (or was cleared). */
  readonly lines: string[];
  clear(): void;
  restore(): void;
}

/** Captures stdout and stderr (and keeps them off the test output) until `restore`. */
export function captureOutput(): Captured {
  const lines: string[] = [];
  const grab = (chunk: unknown): boolean => {
    lines.push(
      ...String(chunk)
        .split('\n')
        .filter((line) => line.trim().length > 0),
    );
    return true;
  };
  const out = vi.spyOn(process.stdout, 'write').mockImplementation(grab as never);
  const err = vi.spyOn(process.stderr, 'write').mockImplementation(grab as never);
  return {
    lines,
    clear: () => {
      lines.length = 0;
    },
    restore: () => {
      out.mockRestore();
      err.mockRestore();
    },
  };
}

const parse = (line: string): Record<string, unknown> | null => {
  try {
    const value: unknown = JSON.parse(line);
    return value !== null && typeof value === 'object' ? (value as Record<string, unknown>) : null;
  } catch {
    return null;
  }
};

export interface MetricPoint {
  readonly namespace: string;
  readonly name: string;
  readonly unit: string;
  /** The dimension set this value was published under, with the values. */
  readonly dimensions: Readonly<Record<string, string>>;
  readonly values: readonly number[];
}

interface EmfDirective {
  Namespace: string;
  Dimensions: string[][];
  Metrics: { Name: string; Unit: string }[];
}

/** Every metric value in the captured EMF lines, once per dimension set it was published under. */
export function metricPoints(lines: readonly string[]): MetricPoint[] {
  const points: MetricPoint[] = [];
  for (const line of lines) {
    const emf = parse(line);
    const directives = (emf?._aws as { CloudWatchMetrics?: EmfDirective[] } | undefined)?.CloudWatchMetrics;
    if (!emf || !directives) continue;
    for (const directive of directives) {
      for (const metric of directive.Metrics) {
        const raw = emf[metric.Name];
        const values = (Array.isArray(raw) ? raw : [raw]).map(Number);
        for (const set of directive.Dimensions) {
          const dimensions = Object.fromEntries(set.map((name) => [name, String(emf[name])]));
          points.push({ namespace: directive.Namespace, name: metric.Name, unit: metric.Unit, dimensions, values });
        }
      }
    }
  }
  return points;
}

/**
 * The sum of `name` published under exactly `dimensions` plus `service` (no extra: the total is the
 * `service`-only series), 0 when never published.
 */
export function metricSum(lines: readonly string[], name: string, dimensions: Record<string, string> = {}): number {
  const wanted = { service: 'pinrelay', ...dimensions };
  const same = (dims: Readonly<Record<string, string>>) =>
    Object.keys(dims).length === Object.keys(wanted).length && Object.entries(wanted).every(([k, v]) => dims[k] === v);
  return metricPoints(lines)
    .filter((p) => p.name === name && same(p.dimensions))
    .reduce((sum, p) => sum + p.values.reduce((a, b) => a + b, 0), 0);
}

/** The metric names published, each once. */
export function metricNames(lines: readonly string[]): string[] {
  return [...new Set(metricPoints(lines).map((p) => p.name))].sort();
}

/** The captured log lines (JSON with a level and a message), EMF lines excluded. */
export function logRecords(lines: readonly string[]): Record<string, unknown>[] {
  return lines.map(parse).filter((r): r is Record<string, unknown> => r !== null && !('_aws' in r) && 'level' in r && 'message' in r);
}
