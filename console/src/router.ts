/**
 * Hash routes under /console/, so any static host serves every page from one index.html:
 * `#/` Overview, `#/jobs`, `#/jobs/<job_id>`, `#/accounts`, `#/webhooks`.
 */

export type Route =
  | { readonly page: 'overview' }
  | { readonly page: 'jobs' }
  | { readonly page: 'job'; readonly jobId: string }
  | { readonly page: 'accounts' }
  | { readonly page: 'webhooks' }
  | { readonly page: 'not-found'; readonly path: string };

export function parseRoute(hash: string): Route {
  const path = hash.replace(/^#/, '').replace(/\/+$/, '') || '/';
  if (path === '/') return { page: 'overview' };
  if (path === '/jobs') return { page: 'jobs' };
  if (path === '/accounts') return { page: 'accounts' };
  if (path === '/webhooks') return { page: 'webhooks' };
  const job = /^\/jobs\/([^/]+)$/.exec(path);
  if (job?.[1]) {
    try {
      return { page: 'job', jobId: decodeURIComponent(job[1]) };
    } catch {
      return { page: 'not-found', path };
    }
  }
  return { page: 'not-found', path };
}

export function hrefOf(route: Route): string {
  switch (route.page) {
    case 'overview':
      return '#/';
    case 'job':
      return `#/jobs/${encodeURIComponent(route.jobId)}`;
    case 'not-found':
      return `#${route.path}`;
    default:
      return `#/${route.page}`;
  }
}

/** The navigation entry a route belongs to (a job belongs to Jobs). */
export function sectionOf(route: Route): 'overview' | 'jobs' | 'accounts' | 'webhooks' | null {
  switch (route.page) {
    case 'job':
      return 'jobs';
    case 'not-found':
      return null;
    default:
      return route.page;
  }
}
