/**
 * Retry-After as whole seconds from `now`: delta-seconds or an HTTP-date (RFC 9110 §10.2.3).
 * A date in the past is 0; anything unparseable is null.
 */
export function parseRetryAfter(value: string | null, now: Date): number | null {
  if (value === null) return null;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text);
  // Only accept something that looks like a date, not any string Date.parse happens to understand.
  if (!/[A-Za-z]{3}/.test(text)) return null;
  const at = Date.parse(text);
  if (Number.isNaN(at)) return null;
  return Math.max(0, Math.ceil((at - now.getTime()) / 1000));
}
