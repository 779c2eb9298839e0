import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, WEBHOOK_EVENT_TYPES, type Webhook, type WebhookEventType, type WebhookWithSecret } from '../api/client.ts';
import { ErrorNotice, FieldError, invalidProps, PageHeading, TableScroll } from '../components.tsx';
import { formatTime } from '../format.ts';
import { useApi, usePoll } from '../hooks.ts';

/** Webhook subscriptions: list, create (secret shown once), send a test event, rotate the secret, delete. */
export function WebhooksPage() {
  const api = useApi();
  const [webhooks, setWebhooks] = useState<Webhook[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [secret, setSecret] = useState<{ webhook: WebhookWithSecret; rotated: boolean } | null>(null);
  const [message, setMessage] = useState('');
  const [reloads, setReloads] = useState(0);

  usePoll(
    async () => {
      try {
        setWebhooks((await api.call(api.client.GET('/v1/webhooks'))).items);
        setError(null);
      } catch (e) {
        if (!(e instanceof ApiError && e.refusedKey)) setError(e);
      }
    },
    0,
    false,
    [reloads],
  );
  const reload = () => setReloads((n) => n + 1);

  return (
    <>
      <PageHeading>Webhooks</PageHeading>
      <p role="status" class="notice">
        {message}
      </p>
      {secret && (
        <SecretPanel
          webhook={secret.webhook}
          rotated={secret.rotated}
          onDone={() => {
            setSecret(null);
            document.getElementById('webhooks-table-heading')?.focus();
          }}
        />
      )}
      <NewWebhookForm
        onCreated={(created) => {
          setSecret({ webhook: created, rotated: false });
          setMessage('');
          reload();
        }}
      />
      <section aria-labelledby="webhooks-table-heading">
        <h2 id="webhooks-table-heading" tabIndex={-1}>
          Subscriptions
        </h2>
        <ErrorNotice error={error} />
        {webhooks && webhooks.length === 0 && <p>No webhooks yet.</p>}
        {webhooks && webhooks.length > 0 && (
          <TableScroll label="Subscription list">
            <table>
              <thead>
                <tr>
                  <th scope="col">URL</th>
                  <th scope="col">Events</th>
                  <th scope="col">Description</th>
                  <th scope="col">Created</th>
                  <th scope="col">Actions</th>
                </tr>
              </thead>
              <tbody>
                {webhooks.map((webhook) => (
                  <WebhookRow
                    key={webhook.id}
                    webhook={webhook}
                    onTested={(eventId) => setMessage(`Test event ${eventId} sent to ${webhook.url}.`)}
                    onRotated={(rotated) => setSecret({ webhook: rotated, rotated: true })}
                    onDeleted={() => {
                      setMessage(`Deleted the webhook for ${webhook.url}.`);
                      reload();
                    }}
                  />
                ))}
              </tbody>
            </table>
          </TableScroll>
        )}
      </section>
    </>
  );
}

function NewWebhookForm({ onCreated }: { onCreated: (webhook: WebhookWithSecret) => void }) {
  const api = useApi();
  const [url, setUrl] = useState('');
  const [events, setEvents] = useState<WebhookEventType[]>(['job.succeeded', 'job.failed']);
  const [description, setDescription] = useState('');
  const [errors, setErrors] = useState<Partial<Record<string, string[]>>>({});
  const [failure, setFailure] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (event: Event) => {
    event.preventDefault();
    setErrors({});
    setFailure(null);
    if (events.length === 0) {
      setErrors({ events: ['choose at least one event'] });
      return;
    }
    setBusy(true);
    try {
      const body = { url: url.trim(), events, ...(description.trim() ? { description: description.trim() } : {}) };
      onCreated(await api.call(api.client.POST('/v1/webhooks', { body })));
      setUrl('');
      setDescription('');
    } catch (e) {
      if (e instanceof ApiError && e.status === 400 && e.details.length > 0) {
        const found: Partial<Record<string, string[]>> = {};
        for (const d of e.details) {
          const key = d.path.split('.')[0] ?? '';
          const field = ['url', 'events', 'description'].includes(key) ? key : 'form';
          found[field] = [...(found[field] ?? []), d.message];
        }
        setErrors(found);
        if (found.form) setFailure(e);
      } else if (e instanceof ApiError && e.status === 400) setErrors({ url: [e.message] });
      else setFailure(e);
    } finally {
      setBusy(false);
    }
  };

  return (
    <form aria-labelledby="new-webhook" onSubmit={submit} noValidate class="panel">
      <h2 id="new-webhook">New webhook</h2>
      <div class="field">
        <label for="webhook-url">URL</label>
        <input
          id="webhook-url"
          type="url"
          inputMode="url"
          autoComplete="off"
          required
          placeholder="https://hooks.example.com/pinrelay"
          value={url}
          onInput={(e) => setUrl(e.currentTarget.value)}
          {...invalidProps('webhook-url', errors.url)}
        />
        <FieldError id="webhook-url" messages={errors.url} />
      </div>
      <fieldset {...invalidProps('webhook-events', errors.events)}>
        <legend>Events</legend>
        <div class="checkboxes">
          {WEBHOOK_EVENT_TYPES.map((type) => (
            <label key={type} class="checkbox">
              <input
                type="checkbox"
                checked={events.includes(type)}
                onChange={(e) => setEvents(e.currentTarget.checked ? [...events, type] : events.filter((t) => t !== type))}
              />{' '}
              {type}
            </label>
          ))}
        </div>
        <FieldError id="webhook-events" messages={errors.events} />
      </fieldset>
      <div class="field">
        <label for="webhook-description">Description (optional)</label>
        <input
          id="webhook-description"
          type="text"
          value={description}
          onInput={(e) => setDescription(e.currentTarget.value)}
          {...invalidProps('webhook-description', errors.description)}
        />
        <FieldError id="webhook-description" messages={errors.description} />
      </div>
      <ErrorNotice error={failure} />
      <button type="submit" disabled={busy}>
        Create webhook
      </button>
    </form>
  );
}

/** The secret, once: the API never shows it again. Focus moves here so it is not missed. */
function SecretPanel({ webhook, rotated, onDone }: { webhook: WebhookWithSecret; rotated: boolean; onDone: () => void }) {
  const heading = useRef<HTMLHeadingElement>(null);
  const [copied, setCopied] = useState('');
  useEffect(() => heading.current?.focus(), [webhook.secret]);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(webhook.secret);
      setCopied('Copied to the clipboard.');
    } catch {
      const field = document.getElementById('webhook-secret-value');
      if (field) window.getSelection()?.selectAllChildren(field);
      setCopied('The clipboard is not available here: the secret is selected, copy it with your keyboard.');
    }
  };
  return (
    <section aria-labelledby="webhook-secret" class="panel secret">
      <h2 id="webhook-secret" ref={heading} tabIndex={-1}>
        Webhook secret
      </h2>
      <p>
        {rotated ? 'The new secret' : 'The secret'} for {webhook.url}. It is shown only now: store it where your receiver can check the{' '}
        <code>x-pinrelay-webhook-secret</code> header.
      </p>
      <p>
        <code id="webhook-secret-value" class="secret-value">
          {webhook.secret}
        </code>
      </p>
      <div class="actions">
        <button type="button" onClick={copy}>
          Copy secret
        </button>
        <button type="button" class="secondary" onClick={onDone}>
          Done
        </button>
        <span role="status">{copied}</span>
      </div>
    </section>
  );
}

function WebhookRow({
  webhook,
  onTested,
  onRotated,
  onDeleted,
}: {
  webhook: Webhook;
  onTested: (eventId: string) => void;
  onRotated: (webhook: WebhookWithSecret) => void;
  onDeleted: () => void;
}) {
  const api = useApi();
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  const [failure, setFailure] = useState<unknown>(null);
  const path = { params: { path: { webhook_id: webhook.id } } };

  const run = async (action: () => Promise<void>) => {
    setBusy(true);
    setFailure(null);
    try {
      await action();
    } catch (e) {
      setFailure(e);
    } finally {
      setBusy(false);
    }
  };

  return (
    <tr>
      <td class="url">{webhook.url}</td>
      <td>{webhook.events.join(', ')}</td>
      <td>{webhook.description ?? ''}</td>
      <td>{formatTime(webhook.created_at)}</td>
      <td>
        <div class="actions">
          <button
            type="button"
            disabled={busy}
            onClick={() => run(async () => onTested((await api.call(api.client.POST('/v1/webhooks/{webhook_id}/test', path))).event_id))}
          >
            Send test event
          </button>
          <button
            type="button"
            disabled={busy}
            onClick={() => run(async () => onRotated(await api.call(api.client.POST('/v1/webhooks/{webhook_id}/rotate-secret', path))))}
          >
            Rotate secret
          </button>
          {confirming ? (
            <>
              <button
                type="button"
                class="danger"
                disabled={busy}
                onClick={() =>
                  run(async () => {
                    await api.call(api.client.DELETE('/v1/webhooks/{webhook_id}', path));
                    onDeleted();
                  })
                }
              >
                Confirm delete
              </button>
              <button type="button" class="secondary" onClick={() => setConfirming(false)}>
                Keep
              </button>
            </>
          ) : (
            <button type="button" class="secondary" onClick={() => setConfirming(true)}>
              Delete
            </button>
          )}
        </div>
        <ErrorNotice error={failure} />
      </td>
    </tr>
  );
}
