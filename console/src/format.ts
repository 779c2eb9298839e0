/**
 * How the console writes times and numbers: absolute times in UTC (operators compare them with logs), with
 * a relative hint ("3 min ago", "in 12 s") against an injected now.
 */

export function formatTime(iso: string | null | undefined): string {
  if (!iso) return '—';
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) return iso;
  return `${new Date(ms)
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d{3}Z$/, '')} UTC`;
}

/** "12 s", "4 min", "3 h", "2 d": the largest unit that keeps the figure at least 1. */
export function formatDuration(ms: number): string {
  const s = Math.round(Math.abs(ms) / 1000);
  if (s < 60) return `${s} s`;
  const min = Math.floor(s / 60);
  if (min < 60) return `${min} min`;
  const h = Math.floor(min / 60);
  if (h < 48) return `${h} h`;
  return `${Math.floor(h / 24)} d`;
}

export function formatRelative(iso: string | null | undefined, nowMs: number): string {
  if (!iso) return '';
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) return '';
  const delta = ms - nowMs;
  if (Math.abs(delta) < 1000) return 'now';
  return delta > 0 ? `in ${formatDuration(delta)}` : `${formatDuration(delta)} ago`;
}

/** "12:00:01 UTC (3 min ago)" style: the absolute time, and the relative one when known. */
export function formatWhen(iso: string | null | undefined, nowMs: number): string {
  const relative = formatRelative(iso, nowMs);
  return relative ? `${formatTime(iso)} (${relative})` : formatTime(iso);
}

export function formatRate(perMinute: number): string {
  return `${perMinute.toFixed(2)}/min`;
}

/** A status or outcome code as words: `retry_scheduled` → `retry scheduled`. */
export function humanise(code: string): string {
  return code.replaceAll('_', ' ');
}
