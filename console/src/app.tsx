import { useMemo, useRef, useState } from 'preact/hooks';
import { type Api, apiBaseUrl, createApi } from './api/client.ts';
import { ApiContext, useHashRoute } from './hooks.ts';
import { AccountsPage } from './pages/accounts.tsx';
import { JobPage } from './pages/job.tsx';
import { JobsPage } from './pages/jobs.tsx';
import { OverviewPage } from './pages/overview.tsx';
import { SignInPage } from './pages/sign-in.tsx';
import { WebhooksPage } from './pages/webhooks.tsx';
import { hrefOf, type Route, sectionOf } from './router.ts';
import { forgetKey, readKey, writeKey } from './session.ts';

/**
 * The console: a sign-in screen until the tab has a key that the API accepts, then the pages. Any 401 or 403
 * later (the key was revoked) forgets the key and returns to the sign-in screen with the same alert.
 */
export function App() {
  const [key, setKey] = useState(() => readKey(window.sessionStorage));
  const [refused, setRefused] = useState(false);
  const current = useRef(key);
  current.current = key;

  const api = useMemo<Api>(
    () =>
      createApi({
        baseUrl: apiBaseUrl(window.location.href),
        key: () => current.current,
        onRefusedKey: () => {
          forgetKey(window.sessionStorage);
          current.current = null;
          setKey(null);
          setRefused(true);
        },
      }),
    [],
  );

  if (!key) {
    return (
      <SignInPage
        refused={refused}
        onSignedIn={(accepted) => {
          writeKey(window.sessionStorage, accepted);
          setRefused(false);
          setKey(accepted);
        }}
      />
    );
  }
  return (
    <ApiContext.Provider value={api}>
      <Shell
        onSignOut={() => {
          forgetKey(window.sessionStorage);
          setRefused(false);
          setKey(null);
        }}
      />
    </ApiContext.Provider>
  );
}

const SECTIONS = [
  { section: 'overview', label: 'Overview', route: { page: 'overview' } },
  { section: 'jobs', label: 'Jobs', route: { page: 'jobs' } },
  { section: 'accounts', label: 'Accounts', route: { page: 'accounts' } },
  { section: 'webhooks', label: 'Webhooks', route: { page: 'webhooks' } },
] as const satisfies readonly { section: string; label: string; route: Route }[];

function Shell({ onSignOut }: { onSignOut: () => void }) {
  const route = useHashRoute();
  const section = sectionOf(route);
  const main = useRef<HTMLElement>(null);
  return (
    <>
      <button type="button" class="skip-link" onClick={() => main.current?.focus()}>
        Skip to content
      </button>
      <header class="site-header">
        <a class="brand" href="#/">
          pinrelay
        </a>
        <nav aria-label="Main">
          <ul>
            {SECTIONS.map((s) => (
              <li key={s.section}>
                <a href={hrefOf(s.route)} aria-current={section === s.section ? 'page' : undefined}>
                  {s.label}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <button type="button" class="secondary" onClick={onSignOut}>
          Sign out
        </button>
      </header>
      <main id="main" ref={main} tabIndex={-1}>
        <Page key={hrefOf(route)} route={route} />
      </main>
    </>
  );
}

function Page({ route }: { route: Route }) {
  switch (route.page) {
    case 'overview':
      return <OverviewPage />;
    case 'jobs':
      return <JobsPage />;
    case 'job':
      return <JobPage jobId={route.jobId} />;
    case 'accounts':
      return <AccountsPage />;
    case 'webhooks':
      return <WebhooksPage />;
    case 'not-found':
      return (
        <>
          <h1>Page not found</h1>
          <p>
            Nothing lives at <code>{route.path}</code>. <a href="#/">Go to the overview</a>.
          </p>
        </>
      );
  }
}
