import type { ComponentChildren } from 'preact';
import { useEffect, useRef } from 'preact/hooks';
import { ApiError } from './api/client.ts';

/** The page's h1: focusable, and focused when the page opens, so keyboard and screen-reader users start there. */
export function PageHeading({ children }: { children: ComponentChildren }) {
  const ref = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    ref.current?.focus();
  }, []);
  return (
    <h1 ref={ref} tabIndex={-1}>
      {children}
    </h1>
  );
}

/** An API failure as the operator should read it; a refused key is handled by signing out, not here. */
export function ErrorNotice({ error }: { error: unknown }) {
  if (!error) return null;
  const message = error instanceof ApiError ? error.message : error instanceof Error ? error.message : String(error);
  const code = error instanceof ApiError && error.status > 0 ? ` (HTTP ${error.status}, ${error.code})` : '';
  return (
    <p role="alert" class="notice error">
      {message}
      {code}
    </p>
  );
}

export function errorIdOf(id: string): string {
  return `${id}-error`;
}

/** A field's messages, referenced by the field's aria-describedby. */
export function FieldError({ id, messages }: { id: string; messages: readonly string[] | undefined }) {
  if (!messages || messages.length === 0) return null;
  return (
    <span id={errorIdOf(id)} class="field-error">
      {messages.join(' ')}
    </span>
  );
}

/** Attributes that tie a field to its error, when it has one. */
export function invalidProps(id: string, messages: readonly string[] | undefined, hintId?: string) {
  const invalid = !!messages && messages.length > 0;
  const describedBy = [invalid ? errorIdOf(id) : null, hintId ?? null].filter(Boolean).join(' ');
  return { 'aria-invalid': invalid ? ('true' as const) : undefined, 'aria-describedby': describedBy || undefined };
}

/**
 * A wide table that scrolls sideways on a phone instead of squeezing; keyboard-scrollable (a focusable region).
 * Its label must not repeat a page region's name: tests find regions by name.
 */
export function TableScroll({ label, children }: { label: string; children: ComponentChildren }) {
  return (
    // biome-ignore lint/a11y/noNoninteractiveTabindex: a scrolling region must take focus so keyboard users can scroll it
    <section class="table-scroll" aria-label={label} tabIndex={0}>
      {children}
    </section>
  );
}
