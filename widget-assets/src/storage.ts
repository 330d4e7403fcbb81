/**
 * sessionStorage access for the widget. Every call tolerates a missing or
 * throwing storage (privacy modes, sandboxed iframes): the widget then simply
 * forgets its state at the next page load.
 */

export const OPEN_KEY = "chatkit-inject:open";
export const THREAD_KEY = "chatkit-inject:thread";
export const SESSION_KEY = "chatkit-inject:session";

/** The subset of the Web Storage API the widget uses. */
export interface KeyValueStore {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

/** The page's sessionStorage, or null when the browser refuses access to it. */
export function sessionStore(): KeyValueStore | null {
  try {
    return window.sessionStorage;
  } catch {
    return null;
  }
}

// No storage (null) throws on access like a refusing one, and is caught the same way: small on
// purpose, the loader ships these.
export function readItem(store: KeyValueStore | null, key: string): string | null {
  try {
    return store!.getItem(key);
  } catch {
    return null;
  }
}

/** Writes `value`, or removes the key when `value` is null. */
export function writeItem(store: KeyValueStore | null, key: string, value: string | null): void {
  try {
    if (value === null) store!.removeItem(key);
    else store!.setItem(key, value);
  } catch {
    // Quota or access errors (or no storage) only cost persistence, never the widget.
  }
}
