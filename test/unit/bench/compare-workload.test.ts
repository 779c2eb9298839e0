import { describe, expect, it } from 'vitest';
import { chainedProbabilities, faultPlan, seeded, workload } from '../../../bench/compare-workload.ts';

// The comparison is only fair if both systems get the very same workload and fault mix: the workload is a
// pure function of its seed, every intent is submitted once plus exactly the planned share of repeats, each
// repeat after its first submission, and the chained sandbox faults hit their planned shares.
describe('compare workload', () => {
  it('is the same for the same seed and differs for another', () => {
    const a = workload({ intents: 200, accounts: 5, seed: 3 });
    expect(workload({ intents: 200, accounts: 5, seed: 3 })).toEqual(a);
    expect(workload({ intents: 200, accounts: 5, seed: 4 }).submissions).not.toEqual(a.submissions);
  });

  it('submits each intent once and repeats exactly 20 % of them, each repeat after its first submission', () => {
    const { intents, submissions } = workload({ intents: 1000, accounts: 20, seed: 12 });
    expect(submissions).toHaveLength(1200);
    const firsts = submissions.filter((s) => !s.repeat).map((s) => s.intent);
    expect(new Set(firsts).size).toBe(1000);
    const repeats = submissions.filter((s) => s.repeat).map((s) => s.intent);
    expect(new Set(repeats).size).toBe(200);
    for (const intent of repeats) {
      const first = submissions.findIndex((s) => s.intent === intent && !s.repeat);
      const repeat = submissions.findIndex((s) => s.intent === intent && s.repeat);
      expect(repeat).toBeGreaterThan(first);
    }
    expect(new Set(intents.map((i) => i.key)).size).toBe(1000);
  });

  it('spreads the intents evenly over the accounts', () => {
    const { intents } = workload({ intents: 1000, accounts: 20, seed: 1 });
    const perAccount = new Map<number, number>();
    for (const i of intents) perAccount.set(i.account, (perAccount.get(i.account) ?? 0) + 1);
    expect([...perAccount.values()]).toEqual(Array.from({ length: 20 }, () => 50));
  });

  it('refuses an empty workload', () => {
    expect(() => workload({ intents: 0, accounts: 1, seed: 1 })).toThrow(/intents/);
  });
});

describe('chained fault probabilities', () => {
  it('make each fault hit its planned share of all requests when tried one after another', () => {
    const plan = faultPlan(1);
    const shares = [plan.serverError, plan.createThenDrop, plan.rateLimitedNoRetryAfter];
    const probabilities = chainedProbabilities(shares);
    // Simulate the sandbox's FaultBook: each entry draws from its own stream until one hits.
    const streams = probabilities.map((_, i) => seeded(100 + i));
    const hits = [0, 0, 0];
    const requests = 200_000;
    for (let r = 0; r < requests; r++) {
      for (const [i, p] of probabilities.entries()) {
        if ((streams[i] as () => number)() < p) {
          hits[i] = (hits[i] ?? 0) + 1;
          break;
        }
      }
    }
    for (const [i, share] of shares.entries()) expect((hits[i] ?? 0) / requests).toBeCloseTo(share, 2);
  });

  it('refuses shares over 1', () => {
    expect(() => chainedProbabilities([0.6, 0.5])).toThrow(/more than 1/);
  });
});
