import { describe, expect, it } from 'vitest';
import { fixedClock, systemClock } from '../../../lambdas/domain/clock.ts';

describe('fixedClock', () => {
  it('stands still until moved, by advance or set', () => {
    const clock = fixedClock('2026-03-01T12:00:00.000Z');

    expect(clock.now().toISOString()).toBe('2026-03-01T12:00:00.000Z');
    expect(clock.now().toISOString()).toBe('2026-03-01T12:00:00.000Z');
    clock.advance(1_500);
    expect(clock.now().toISOString()).toBe('2026-03-01T12:00:01.500Z');
    clock.set(new Date('2027-01-01T00:00:00.000Z'));
    expect(clock.now().toISOString()).toBe('2027-01-01T00:00:00.000Z');
  });

  it('hands out copies: mutating a returned Date does not move the clock', () => {
    const clock = fixedClock(new Date('2026-03-01T12:00:00.000Z'));

    clock.now().setUTCFullYear(1999);

    expect(clock.now().toISOString()).toBe('2026-03-01T12:00:00.000Z');
  });
});

describe('systemClock', () => {
  it('reads the real time', () => {
    const before = Date.now();
    const now = systemClock.now().getTime();
    expect(now).toBeGreaterThanOrEqual(before);
    expect(now).toBeLessThanOrEqual(Date.now());
  });
});
