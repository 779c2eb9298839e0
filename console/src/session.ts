/**
 * The tenant API key for this tab only: sessionStorage (gone when the tab closes), never localStorage, a
 * cookie or the URL. The storage is passed in so the rule is testable without a browser.
 */

export interface KeyStorage {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

export const SESSION_KEY = 'pinrelay.console.api-key';

export function readKey(storage: KeyStorage): string | null {
  const key = storage.getItem(SESSION_KEY);
  return key && key.trim() !== '' ? key : null;
}

export function writeKey(storage: KeyStorage, key: string): void {
  storage.setItem(SESSION_KEY, key);
}

export function forgetKey(storage: KeyStorage): void {
  storage.removeItem(SESSION_KEY);
}

/** A pasted key loses surrounding whitespace and a copied "Bearer " prefix; anything else is sent as typed. */
export function normaliseKey(input: string): string {
  return input.trim().replace(/^Bearer\s+/i, '');
}
