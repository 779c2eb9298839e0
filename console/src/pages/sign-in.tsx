import { useMemo, useState } from 'preact/hooks';
import { type ApiError, apiBaseUrl, createApi } from '../api/client.ts';
import { ErrorNotice, PageHeading } from '../components.tsx';
import { normaliseKey } from '../session.ts';

export const REFUSED_MESSAGE = 'The API key was refused';

/**
 * The tenant API key, entered once per tab. It is tried with GET /v1/stats before it is kept; a 401 or 403
 * there (or later, anywhere) shows the refusal here.
 */
export function SignInPage({ refused, onSignedIn }: { refused: boolean; onSignedIn: (key: string) => void }) {
  const [input, setInput] = useState('');
  const [checking, setChecking] = useState(false);
  const [wasRefused, setWasRefused] = useState(refused);
  const [failure, setFailure] = useState<ApiError | null>(null);
  const candidate = useMemo(() => ({ key: '' }), []);
  const api = useMemo(() => createApi({ baseUrl: apiBaseUrl(window.location.href), key: () => candidate.key }), [candidate]);

  const submit = async (event: Event) => {
    event.preventDefault();
    const key = normaliseKey(input);
    if (!key) return;
    setChecking(true);
    setFailure(null);
    candidate.key = key;
    try {
      await api.call(api.client.GET('/v1/stats'));
      onSignedIn(key);
    } catch (error) {
      const apiError = error as ApiError;
      if (apiError.refusedKey) setWasRefused(true);
      else {
        setWasRefused(false);
        setFailure(apiError);
      }
      setChecking(false);
    }
  };

  return (
    <main id="main" class="sign-in">
      <PageHeading>Sign in to pinrelay</PageHeading>
      {wasRefused && (
        <div role="alert" class="notice error">
          <strong>{REFUSED_MESSAGE}</strong>: it is wrong or has been revoked. Enter a current key for your tenant (an operator creates one
          with <code>npm run admin -- create-key</code>).
        </div>
      )}
      <ErrorNotice error={failure} />
      <form onSubmit={submit}>
        <label for="api-key">API key</label>
        <input
          id="api-key"
          type="password"
          autoComplete="off"
          spellcheck={false}
          required
          value={input}
          onInput={(e) => setInput(e.currentTarget.value)}
          aria-describedby="api-key-hint"
        />
        <p id="api-key-hint" class="hint">
          Kept in this tab only, until you sign out or close it.
        </p>
        <button type="submit" disabled={checking}>
          Sign in
        </button>
      </form>
    </main>
  );
}
