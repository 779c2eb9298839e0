import { createContext } from 'preact';
import { useContext, useEffect, useRef, useState } from 'preact/hooks';
import type { Api } from './api/client.ts';
import { parseRoute, type Route } from './router.ts';

export const ApiContext = createContext<Api | null>(null);

export function useApi(): Api {
  const api = useContext(ApiContext);
  if (!api) throw new Error('useApi outside ApiContext');
  return api;
}

/** The current hash route, following hashchange. */
export function useHashRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(window.location.hash));
  useEffect(() => {
    const follow = () => setRoute(parseRoute(window.location.hash));
    window.addEventListener('hashchange', follow);
    return () => window.removeEventListener('hashchange', follow);
  }, []);
  return route;
}

/**
 * Runs `load` now and whenever `deps` change; while `live`, again `intervalMs` after each load finishes (never
 * two at once). Stops when the component unmounts, `live` turns off or the deps change.
 */
export function usePoll(load: () => Promise<void>, intervalMs: number, live: boolean, deps: readonly unknown[]): void {
  const latest = useRef(load);
  latest.current = load;
  useEffect(() => {
    let stopped = false;
    let timer: number | undefined;
    const tick = async () => {
      try {
        await latest.current();
      } finally {
        if (!stopped && live) timer = window.setTimeout(tick, intervalMs);
      }
    };
    void tick();
    return () => {
      stopped = true;
      window.clearTimeout(timer);
    };
  }, [live, intervalMs, ...deps]);
}

/** The time now, refreshed every `intervalMs` (relative times stay true on a page left open). */
export function useNow(intervalMs = 5000): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = window.setInterval(() => setNow(Date.now()), intervalMs);
    return () => window.clearInterval(timer);
  }, [intervalMs]);
  return now;
}
