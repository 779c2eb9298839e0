import { useState } from 'preact/hooks';
import { type Account, type AccountStats, ApiError } from '../api/client.ts';
import { ErrorNotice, PageHeading } from '../components.tsx';
import { formatTime, formatWhen } from '../format.ts';
import { useApi, useNow, usePoll } from '../hooks.ts';

const REFRESH_MS = 5000;

interface Row {
  readonly stats: AccountStats;
  /** GET /v1/accounts/{id}: the token expiry (null when that read failed). */
  readonly account: Account | null;
}

/**
 * The tenant's connected accounts (GET /v1/stats lists them with backlog and pacing state; GET
 * /v1/accounts/{id} adds the token expiry): connection, rate against the limit, backlog.
 */
export function AccountsPage() {
  const api = useApi();
  const now = useNow();
  const [rows, setRows] = useState<Row[] | null>(null);
  const [truncated, setTruncated] = useState(false);
  const [error, setError] = useState<unknown>(null);

  usePoll(
    async () => {
      try {
        const stats = await api.call(api.client.GET('/v1/stats'));
        const accounts = await Promise.all(
          stats.accounts.map((a) =>
            api
              .call(api.client.GET('/v1/accounts/{account_id}', { params: { path: { account_id: a.account_id } } }))
              .catch((e: unknown) => {
                if (e instanceof ApiError && e.refusedKey) throw e;
                return null;
              }),
          ),
        );
        setRows(stats.accounts.map((s, i) => ({ stats: s, account: accounts[i] ?? null })));
        setTruncated(stats.accounts_truncated);
        setError(null);
      } catch (e) {
        if (!(e instanceof ApiError && e.refusedKey)) setError(e);
      }
    },
    REFRESH_MS,
    true,
    [],
  );

  return (
    <>
      <PageHeading>Accounts</PageHeading>
      <ErrorNotice error={error} />
      {rows && rows.length === 0 && (
        <p>
          No connected accounts yet. Connect one with <code>PUT /v1/accounts/&#123;account_id&#125;</code>.
        </p>
      )}
      <div class="cards">
        {rows?.map((row) => (
          <AccountCard key={row.stats.account_id} row={row} now={now} />
        ))}
      </div>
      {truncated && <p class="muted">The tenant has more accounts than the 20 that GET /v1/stats lists.</p>}
    </>
  );
}

function AccountCard({ row, now }: { row: Row; now: number }) {
  const { stats, account } = row;
  const { rate, backlog } = stats;
  const reauth = stats.connection_status === 'reauthorization_required';
  const headingId = `account-${stats.account_id}`;
  const meterId = `rate-${stats.account_id}`;
  return (
    <article class={reauth ? 'card attention' : 'card'} aria-labelledby={headingId}>
      <h2 id={headingId}>{stats.account_id}</h2>
      <p role="status" class={reauth ? 'connection reauth' : 'connection'}>
        Connection: <strong>{stats.connection_status}</strong>
        {reauth && ' — reconnect the account (PUT /v1/accounts/{account_id} with new tokens); its jobs fail until then.'}
      </p>
      <p>
        Token expires:{' '}
        {account ? (account.token_expires_at ? formatWhen(account.token_expires_at, now) : 'not given') : 'could not be read'}
        {account?.has_refresh_token ? ' (refreshed automatically)' : ''}
      </p>
      <div class="meter-row">
        <label for={meterId}>Rate</label>
        <meter id={meterId} min={0} max={rate.limit} value={rate.sent_last_minute} high={rate.effective_limit} optimum={0} />
        <span>
          {rate.sent_last_minute} of {rate.limit} creates in the last minute
          {rate.effective_limit < rate.limit ? `; Pinterest accepts ${rate.effective_limit} now` : ''}
        </span>
      </div>
      {rate.held_until && Date.parse(rate.held_until) > now && <p>Held until {formatTime(rate.held_until)} (Pinterest asked to wait).</p>}
      <p>
        Backlog: <strong>{backlog.total}</strong>
        <span class="muted">
          {' '}
          ({backlog.queued} queued, {backlog.running} running, {backlog.retry_scheduled} retry scheduled, {backlog.scheduled} scheduled)
        </span>
      </p>
    </article>
  );
}
