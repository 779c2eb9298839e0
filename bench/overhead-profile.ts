/**
 * A V8 CPU profile (node:inspector's Profiler) summarised for the overhead benchmark: self time by code
 * area (the AWS SDK, Powertools, our lambdas/, local mode, the benchmark's own proxies, node internals,
 * the garbage collector, idle) and the hottest functions.
 */
import { round } from './overhead-stats.ts';

export interface CpuProfile {
  readonly nodes: readonly { id: number; callFrame: { functionName: string; url: string; lineNumber: number } }[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

/** The code area a profile node's script belongs to. */
export function areaOf(url: string, functionName: string): string {
  if (!url) return functionName.startsWith('(') ? functionName : '(native)';
  const modules = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (modules?.[1]) {
    const name = modules[1];
    if (name.startsWith('@aws-sdk/') || name.startsWith('@smithy/')) return 'AWS SDK (@aws-sdk, @smithy)';
    if (name.startsWith('@aws-lambda-powertools/')) return 'Powertools';
    return name;
  }
  if (url.startsWith('node:')) return 'node internals';
  const repo = /\/(lambdas|local|bench|definitions)\//.exec(url);
  return repo?.[1] ? `${repo[1]}/` : 'other';
}

/** Self time by area (percent of samples) and the ten hottest functions. */
export function summarizeProfile(profile: CpuProfile): { byArea: Record<string, number>; topFunctions: string[] } {
  const byNode = new Map(profile.nodes.map((n) => [n.id, n]));
  const areaTime = new Map<string, number>();
  const fnTime = new Map<string, number>();
  let total = 0;
  profile.samples.forEach((id, i) => {
    const node = byNode.get(id);
    const dt = profile.timeDeltas[i] ?? 0;
    if (!node) return;
    total += dt;
    const { url, functionName, lineNumber } = node.callFrame;
    const area = areaOf(url, functionName);
    areaTime.set(area, (areaTime.get(area) ?? 0) + dt);
    const fn = `${functionName || '(anonymous)'} ${url.replace(/^.*node_modules\//, '').replace(/^.*\/wt\d*\//, '')}:${lineNumber + 1}`;
    fnTime.set(fn, (fnTime.get(fn) ?? 0) + dt);
  });
  const pct = (v: number) => (total > 0 ? round((100 * v) / total, 1) : 0);
  const sorted = (m: Map<string, number>) => [...m.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  return {
    byArea: Object.fromEntries(sorted(areaTime).map(([k, v]) => [k, pct(v)])),
    topFunctions: sorted(fnTime)
      .slice(0, 10)
      .map(([k, v]) => `${pct(v)} % ${k}`),
  };
}
