import { useState } from 'preact/hooks';
import { ApiError, JOB_STATUSES, type JobList, type JobStatus } from '../api/client.ts';
import { ErrorNotice, FieldError, invalidProps, PageHeading, TableScroll } from '../components.tsx';
import { formatTime } from '../format.ts';
import { useApi, usePoll } from '../hooks.ts';
import { fieldErrorsFromQuery } from '../query-errors.ts';
import { hrefOf } from '../router.ts';

const PAGE_SIZE = 25;
const LIVE_MS = 2000;

/** GET /v1/jobs, newest first: filters by status and account, cursor paging, and a live refresh of the page shown. */
export function JobsPage() {
  const api = useApi();
  const [status, setStatus] = useState<JobStatus | ''>('');
  const [account, setAccount] = useState('');
  const [live, setLive] = useState(true);
  /** The cursors that led to the current page (empty: the first page). */
  const [cursors, setCursors] = useState<string[]>([]);
  const [list, setList] = useState<JobList | null>(null);
  const [error, setError] = useState<unknown>(null);
  const cursor = cursors.at(-1);
  const accountId = account.trim();

  usePoll(
    async () => {
      try {
        const query = {
          limit: PAGE_SIZE,
          ...(status ? { status } : {}),
          ...(accountId ? { account_id: accountId } : {}),
          ...(cursor ? { cursor } : {}),
        };
        setList(await api.call(api.client.GET('/v1/jobs', { params: { query } })));
        setError(null);
      } catch (e) {
        if (!(e instanceof ApiError && e.refusedKey)) setError(e);
      }
    },
    LIVE_MS,
    live,
    [status, accountId, cursor],
  );

  const queryErrors = fieldErrorsFromQuery(error);
  const otherError = queryErrors.account_id || queryErrors.status ? null : error;

  return (
    <>
      <PageHeading>Jobs</PageHeading>
      <form class="filters" onSubmit={(e) => e.preventDefault()}>
        <div class="field">
          <label for="filter-status">Status</label>
          <select
            id="filter-status"
            value={status}
            onChange={(e) => {
              setStatus(e.currentTarget.value as JobStatus | '');
              setCursors([]);
            }}
          >
            <option value="">Any status</option>
            {JOB_STATUSES.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </div>
        <div class="field">
          <label for="filter-account">Account</label>
          <input
            id="filter-account"
            type="text"
            autoComplete="off"
            spellcheck={false}
            value={account}
            onInput={(e) => {
              setAccount(e.currentTarget.value);
              setCursors([]);
            }}
            {...invalidProps('filter-account', queryErrors.account_id)}
          />
          <FieldError id="filter-account" messages={queryErrors.account_id} />
        </div>
        <div class="field checkbox">
          <input id="filter-live" type="checkbox" checked={live} onChange={(e) => setLive(e.currentTarget.checked)} />
          <label for="filter-live">Live updates</label>
        </div>
      </form>
      <p class="muted">Newest first{live ? '; refreshed every 2 s' : ''}.</p>
      <ErrorNotice error={otherError} />

      {list && list.items.length === 0 && <p>No jobs match.</p>}
      {list && list.items.length > 0 && (
        <TableScroll label="Job list">
          <table class="jobs">
            <thead>
              <tr>
                <th scope="col">Job</th>
                <th scope="col">Status</th>
                <th scope="col">Account</th>
                <th scope="col">Attempts</th>
                <th scope="col">Created</th>
                <th scope="col">Updated</th>
              </tr>
            </thead>
            <tbody>
              {list.items.map((job) => (
                <tr key={job.id}>
                  <td>
                    <a href={hrefOf({ page: 'job', jobId: job.id })}>{job.id}</a>
                  </td>
                  <td>
                    <span class={`badge status-${job.status}`}>{job.status}</span>
                  </td>
                  <td>{job.account_id}</td>
                  <td>{job.attempt_count}</td>
                  <td>{formatTime(job.created_at)}</td>
                  <td>{formatTime(job.updated_at)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableScroll>
      )}

      <div class="pager">
        <button type="button" class="secondary" onClick={() => setCursors([])}>
          First page
        </button>
        {list?.next_cursor && (
          <button type="button" onClick={() => list.next_cursor && setCursors([...cursors, list.next_cursor])}>
            Next page
          </button>
        )}
        <span class="muted">Page {cursors.length + 1}</span>
      </div>
    </>
  );
}
