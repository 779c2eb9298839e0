import { describe, expect, it } from 'vitest';
import { createTimelines, figuresOf } from '../../../bench/compare-figures.ts';
import type { SandboxPin, SandboxRequestLog } from '../../../local/pinterest-sandbox.ts';

// The side-by-side figures must count what "Pinterest" holds: an intent with two pins is a duplicate, an
// intent without a pin is lost unless its failure is recorded, 429s are split by cause, and a 60 s window
// with more creates than the limit is counted as the chaos run counts it.
const intents = [
  { key: 'k0', account: 0 },
  { key: 'k1', account: 0 },
  { key: 'k2', account: 1 },
  { key: 'k3', account: 1 },
];
const pin = (title: string, user: string, at = 0): SandboxPin => ({
  id: `p-${title}-${at}`,
  board_id: '1',
  title,
  media_source: {},
  created_at: new Date(at).toISOString(),
  user,
});
const create = (user: string, at: number, status: number, extra: Partial<SandboxRequestLog> = {}): SandboxRequestLog => ({
  at,
  method: 'POST',
  path: '/v5/pins',
  user,
  status,
  ...extra,
});

describe('comparison figures', () => {
  const figures = figuresOf({
    system: 'x',
    intents,
    submissions: 5,
    users: ['u0', 'u1'],
    pins: [pin('k0', 'u0'), pin('k0', 'u0', 5), pin('k1', 'u0'), pin('other', 'u0')],
    requests: [
      create('u0', 0, 201),
      create('u0', 1, 201),
      create('u0', 2, 0, { fault: 'drop_after_create' }),
      create('u0', 3, 429, { fault: 'rate_limit' }),
      create('u0', 4, 429, { limiter: 'org_write' }),
      create('u1', 5, 503, { fault: 'status' }),
      create('u1', 70_000, 201),
      { at: 6, method: 'GET', path: '/v5/boards/1/pins', user: 'u0', status: 200 },
    ],
    limitPerMinute: 3,
    explainedFailures: new Set(['k2']),
    wallSeconds: 1.5,
  });

  it('counts duplicates, explained failures and lost intents per intent', () => {
    expect(figures).toMatchObject({
      pinsCreated: 3,
      intentsPublished: 2,
      intentsDuplicated: 1,
      duplicatePins: 1,
      failedExplained: 1,
      lost: 1,
    });
  });

  it('splits 429s by cause and counts 5xx and dropped answers among the creates', () => {
    expect(figures.createRequests).toBe(7);
    expect(figures.received429).toEqual({ injected: 1, limiter: 1, total: 2 });
    expect(figures.received5xx).toBe(1);
    expect(figures.createThenDrop).toBe(1);
  });

  it('counts each create that ends a 60 s window over the limit', () => {
    // u0 sent 5 creates within 4 ms at a limit of 3: the 4th and the 5th end windows over it.
    expect(figures.windowsOverLimit).toBe(2);
    expect(figures.peakPerMinute).toBe(5);
  });

  it('gives each account its pin creations in time order, relative to the start', () => {
    const timelines = createTimelines([pin('a', 'u1', 2_000), pin('b', 'u0', 3_000), pin('c', 'u1', 1_500)], ['u0', 'u1', 'u2'], 1_000);
    expect(timelines).toEqual({ u0: [2_000], u1: [500, 1_000], u2: [] });
  });
});
