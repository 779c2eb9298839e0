import { describe, expect, it } from 'vitest';
import { adopt, effectiveLimit, isLowerLimit, probeStep, settled, type RecentCreate } from '../../../lambdas/domain/adaptive-limit.ts';

const T0 = Date.parse('2026-03-01T12:00:00.000Z');
const creates = (pattern: string): RecentCreate[] => [...pattern].map((c, i) => ({ grantAtMs: T0 + i * 1000, refused: c === 'x' }));

describe('isLowerLimit: a run of 429s, not a lone one', () => {
  it.each([
    ['', false],
    ['x', false],
    ['xx', false],
    ['x.x.x', true],
    ['xxx', true],
    ['..x.x', false],
    ['x....x', false],
    ['xx...x', false], // the oldest refusal has left the last five
    ['..xxx', true],
  ])('%j ⇒ %s', (pattern, expected) => {
    expect(isLowerLimit(creates(pattern))).toBe(expected);
  });
});

describe('adopt: what Pinterest just proved it accepts, with a margin', () => {
  it.each([
    // accepted in the last minute, limit in force ⇒ floor, ceiling
    [30, 60, 27, 30],
    [55, 60, 49, 55],
    [10, 10, 9, 10],
    [5, 60, 4, 5], // five got through: proven
    [4, 60, 27, 30], // thin proof: at most half the limit in force per verdict
    [0, 60, 27, 30],
    [3, 27, 12, 14], // … and the next verdict goes on down
    [0, 1, 1, 1],
    [1, 2, 1, 1],
    [80, 60, 54, 60], // never above what was in force
  ])('%i accepted at limit %i ⇒ floor %i, ceiling %i', (accepted, current, floor, ceiling) => {
    expect(adopt(accepted, current, T0)).toEqual({ floor, ceiling, sinceMs: T0 });
  });

  it('judges by what got through, never by how far it sits below the configured limit', () => {
    // Half the configured limit got through: adopt half, not "far below, so noise".
    expect(effectiveLimit(60, adopt(30, 60, T0), T0)).toBe(27);
  });
});

describe('effectiveLimit and settled', () => {
  it('is the configured limit without a state, at least 1, and never above the configured limit', () => {
    expect(effectiveLimit(60, undefined, T0)).toBe(60);
    expect(effectiveLimit(40, { floor: 45, ceiling: 50, sinceMs: T0 }, T0)).toBe(40); // the account's limit was lowered by a PUT
    expect(effectiveLimit(60, { floor: 1, ceiling: 1, sinceMs: T0 }, T0)).toBe(1);
  });

  it('steps by 5 % of the configured limit (at least 1) per interval above the ceiling', () => {
    expect(probeStep(60)).toBe(3);
    expect(probeStep(10)).toBe(1);
    expect(probeStep(1000)).toBe(50);
  });

  it('forgets the state once the configured limit is reached again', () => {
    const state = { floor: 27, ceiling: 30, sinceMs: T0 };
    expect(settled(60, state, T0 + 60_000)).toBe(state);
    expect(settled(60, state, T0 + 60_000 + 10 * 120_000)).toBeUndefined();
    expect(settled(60, undefined, T0)).toBeUndefined();
  });
});
