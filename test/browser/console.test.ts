import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoTenantStore } from '../../lambdas/adapters/dynamo-tenant-store.ts';
import type { Account, AccountRate, Job, Stats } from '../../lambdas/api/schemas.ts';
import { systemClock } from '../../lambdas/domain/clock.ts';
import { revokeApiKey } from '../../lambdas/use-cases/tenants.ts';
import { CONSOLE_DIST } from '../../local/console-build.ts';
import { SANDBOX_DEMO_USER, type Pipeline } from '../../local/pipeline.ts';
import { SECRET_HEADER, startWebhookReceiver, type WebhookReceiver } from '../../local/webhook-receiver.ts';
import { callerFor, pin, testPipeline, waitFor, waitForJob, type Caller } from '../integration/harness.ts';
import { DESKTOP, launchChromium, PHONE, renderedText, screenshot, shown, textOf } from './browser.ts';

/**
 * The web console in a real browser (Debian's chromium through playwright-core) against local mode with the
 * console served at /console/ — the page an operator uses, on the public API only. The flows, in order, share
 * one tab: sign in (a wrong key refused), a job succeeding live on Jobs, a failed job (board 404) read and
 * requeued with a corrected board until it succeeds, accounts, webhooks (secret once, a test event to a local
 * receiver, rotate, delete), the overview, phone width, and a revoked key signing the tab out. Elements are
 * found by the accessible names of the UI contract (docs/adr/0015-web-console.md), so a rename breaks the test
 * the way it breaks a screen reader. Each page is saved to docs/screenshots/<page>.png.
 */
const UNKNOWN_BOARD = '9999999999';
const [KNOWN_BOARD] = SANDBOX_DEMO_USER.boards;

let pipeline: Pipeline;
let tenant: { tenantId: string; apiKey: string };
let api: Caller;
let receiver: WebhookReceiver;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let consoleUrl: string;
/** What the browser reported that a Content-Security-Policy refused (must stay empty: no inline script or style). */
const cspViolations: string[] = [];
/** Answers of the API with a 5xx, as the page saw them. */
const serverErrors: string[] = [];
let failedJobId: string;
const dynamo = () =>
  new DynamoDBClient({
    endpoint: pipeline.endpoints.dynamodb,
    region: 'us-east-1',
    credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
  });

function watch(p: Page): void {
  p.on('console', (message) => {
    if (/Content Security Policy/i.test(message.text())) cspViolations.push(message.text());
  });
  p.on('response', (response) => {
    if (response.status() >= 500) serverErrors.push(`${response.status()} ${response.request().method()} ${response.url()}`);
  });
}

async function signIn(p: Page, key: string): Promise<void> {
  await shown(p.getByRole('heading', { name: 'Sign in to pinrelay' }));
  await p.getByLabel('API key').fill(key);
  await p.getByRole('button', { name: 'Sign in' }).click();
}

const nav = (p: Page, name: string) => p.getByRole('navigation', { name: 'Main' }).getByRole('link', { name, exact: true }).click();
const jobRow = (p: Page, jobId: string) => p.getByRole('row').filter({ has: p.getByRole('link', { name: jobId, exact: true }) });

async function postPin(key: string, overrides: Record<string, unknown>): Promise<string> {
  const answer = await api<Job>('POST', '/v1/pins', {
    body: pin({ account_id: 'demo', ...overrides }),
    headers: { 'Idempotency-Key': key },
  });
  expect(answer.status).toBe(202);
  return answer.body.id;
}

beforeAll(async () => {
  pipeline = await testPipeline({ consoleDir: CONSOLE_DIST, api: { authorizerCacheSeconds: 0, tenantLimits: false } });
  tenant = await pipeline.createTenant('console');
  api = callerFor(pipeline, tenant.apiKey);
  const { accessToken, refreshToken } = SANDBOX_DEMO_USER;
  const connected = await api('PUT', '/v1/accounts/demo', {
    body: { access_token: accessToken, refresh_token: refreshToken, rate_limit_per_minute: 60 },
  });
  expect(connected.status).toBe(200);
  receiver = await startWebhookReceiver({ log: () => undefined });
  consoleUrl = `${pipeline.apiUrl}/console/`;
  browser = await launchChromium();
  context = await browser.newContext({ viewport: DESKTOP });
  page = await context.newPage();
  watch(page);
});

afterAll(async () => {
  // Each stop runs even when another fails: the browser, the receiver, the pipeline (the emulators are global).
  await Promise.allSettled([browser?.close(), receiver?.stop()]);
  await pipeline?.stop();
});

describe('web console in chromium, on local mode (test/browser)', () => {
  it('sign-in: a wrong key is refused with an alert; the right key opens the overview and lives in sessionStorage only', async () => {
    await page.goto(consoleUrl);
    await signIn(page, 'prk_not_a_real_key_000000000000');
    expect(await textOf(page.getByRole('alert'), 'the refusal alert', (t) => t.includes('The API key was refused'))).toBeTruthy();
    await shown(page.getByRole('heading', { name: 'Sign in to pinrelay' }));

    await signIn(page, tenant.apiKey);
    await shown(page.getByRole('heading', { name: 'Overview', exact: true }));
    const storage = await page.evaluate(() => ({ local: JSON.stringify(localStorage), session: JSON.stringify(sessionStorage) }));
    expect(storage.session).toContain(tenant.apiKey);
    expect(storage.local).not.toContain(tenant.apiKey);
    expect(page.url()).not.toContain(tenant.apiKey);
  });

  it('Jobs: a job posted through the API appears and succeeds while the page watches, without a reload', async () => {
    await nav(page, 'Jobs');
    await shown(page.getByRole('heading', { name: 'Jobs', exact: true }));
    expect(await page.getByLabel('Live updates').isChecked()).toBe(true);
    await page.evaluate('window.notReloaded = true'); // gone if the page reloads

    const jobId = await postPin('console-live-1', { board_id: KNOWN_BOARD, title: 'Walnut side table' });

    await shown(jobRow(page, jobId), 20_000);
    await textOf(jobRow(page, jobId), `job ${jobId} to show succeeded in its row`, (t) => t.includes('succeeded'));
    expect(await page.evaluate('window.notReloaded')).toBe(true);
    await screenshot(page, 'jobs');
  });

  it('a failed job (board 404) shows its route, reason and remediation, and its timeline', async () => {
    failedJobId = await postPin('console-board-404', { board_id: UNKNOWN_BOARD, title: 'Oak bench' });
    const failed = await waitForJob(api, failedJobId);
    expect(failed.status).toBe('failed');
    const failure = failed.failure!;

    await page.getByLabel('Status').selectOption('failed');
    await shown(jobRow(page, failedJobId), 20_000);
    await page.getByRole('link', { name: failedJobId, exact: true }).click();

    await shown(page.getByRole('heading', { name: `Job ${failedJobId}` }));
    expect(await textOf(page.getByTestId('job-status'), 'the status failed', (t) => t.trim() === 'failed')).toBeTruthy();
    const told = await renderedText(page.getByRole('region', { name: 'Failure' }));
    expect(told).toContain(`Route: ${failure.route}`);
    expect(told).toContain(`Reason: ${failure.reason}`);
    expect(told).toContain(failure.remediation.replace(/\s+/g, ' '));
    expect(await page.getByRole('list', { name: 'Timeline' }).getByRole('listitem').count()).toBeGreaterThanOrEqual(3);
    await screenshot(page, 'job-failed');
  });

  it('requeue: a bad board id is refused next to its field; the corrected board is published and the page shows the pin', async () => {
    await page.getByRole('button', { name: 'Requeue', exact: true }).click();
    const board = page.getByLabel('Board ID', { exact: true });
    expect(await board.inputValue()).toBe(UNKNOWN_BOARD);

    await board.fill('not-a-board');
    await page.getByRole('button', { name: 'Requeue with these fields' }).click();
    expect(await board.getAttribute('aria-invalid')).toBe('true');
    const describedBy = (await board.getAttribute('aria-describedby')) ?? '';
    expect(describedBy).not.toBe('');
    expect(await renderedText(page.locator(`[id="${describedBy.split(' ')[0]}"]`))).not.toBe('');
    expect((await api<Job>('GET', `/v1/jobs/${failedJobId}`)).body.status).toBe('failed'); // nothing was sent

    await board.fill(KNOWN_BOARD!);
    await page.getByRole('button', { name: 'Requeue with these fields' }).click();
    await textOf(page.getByTestId('job-status'), 'the requeued job to succeed on its page', (t) => t.trim() === 'succeeded');
    const job = (await api<Job>('GET', `/v1/jobs/${failedJobId}`)).body;
    expect(job.pin.board_id).toBe(KNOWN_BOARD);
    const pinLink = await shown(page.getByRole('link', { name: 'Open the pin on Pinterest' }));
    expect(await pinLink.getAttribute('href')).toBe(job.result?.pin_url);
    await screenshot(page, 'job-succeeded');
  });

  it('Accounts: the connection, token expiry, the rate as a meter against the limit, and the backlog', async () => {
    const account = (await api<Account>('GET', '/v1/accounts/demo')).body;
    const rate = (await api<AccountRate>('GET', '/v1/accounts/demo/rate')).body;
    await nav(page, 'Accounts');
    await shown(page.getByRole('heading', { name: 'Accounts', exact: true }));
    const card = await shown(page.getByRole('article').filter({ has: page.getByRole('heading', { name: 'demo', exact: true }) }));

    const text = await renderedText(card);
    expect(text).toContain(`Connection: ${account.connection_status}`);
    expect(text).toMatch(/Backlog: \d+/);
    const meter = card.getByRole('meter', { name: 'Rate' });
    const max = Number((await meter.getAttribute('max')) ?? (await meter.getAttribute('aria-valuemax')));
    expect(max).toBe(rate.limit);
    await screenshot(page, 'accounts');
  });

  it('Webhooks: create (secret shown once), a test event reaches the receiver with that secret, rotate, delete', async () => {
    await nav(page, 'Webhooks');
    await shown(page.getByRole('heading', { name: 'Webhooks', exact: true }));
    const url = `${receiver.url}/pinrelay`;
    const form = page.getByRole('form', { name: 'New webhook' });
    await form.getByLabel('URL').fill(url);
    const created = page.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === '/v1/webhooks');
    await form.getByRole('button', { name: 'Create webhook' }).click();
    const { id, secret } = (await (await created).json()) as { id: string; secret: string };

    const secretBox = page.getByRole('dialog', { name: 'Webhook secret' }).or(page.getByRole('region', { name: 'Webhook secret' }));
    expect(await textOf(secretBox, 'the new secret shown', (t) => t.includes(secret))).toBeTruthy();
    await shown(secretBox.getByRole('button', { name: 'Copy secret' }));
    await secretBox.getByRole('button', { name: 'Done' }).click();
    await secretBox.waitFor({ state: 'hidden' });
    expect(await page.content()).not.toContain(secret);
    await screenshot(page, 'webhooks');

    const row = page.getByRole('row').filter({ hasText: url });
    const deliveredWith = async (expected: string) => {
      const before = receiver.deliveries().length;
      await row.getByRole('button', { name: 'Send test event' }).click();
      const delivery = await waitFor(
        () =>
          receiver
            .deliveries()
            .slice(before)
            .find((d) => d.body.includes('webhook.test') && d.headers[SECRET_HEADER] === expected),
        {
          what: `a webhook.test delivery to ${url} carrying the shown secret`,
          show: () => JSON.stringify(receiver.deliveries().slice(-3)),
        },
      );
      expect(delivery.status).toBe(204);
    };
    await deliveredWith(secret);

    const rotated = page.waitForResponse((r) => r.request().method() === 'POST' && r.url().endsWith(`/v1/webhooks/${id}/rotate-secret`));
    await row.getByRole('button', { name: 'Rotate secret' }).click();
    const next = ((await (await rotated).json()) as { secret: string }).secret;
    expect(next).not.toBe(secret);
    await textOf(secretBox, 'the rotated secret shown', (t) => t.includes(next));
    await secretBox.getByRole('button', { name: 'Done' }).click();
    await deliveredWith(next);

    await row.getByRole('button', { name: 'Delete' }).click();
    await page.getByRole('button', { name: 'Confirm delete' }).click();
    await row.waitFor({ state: 'detached' });
    expect((await api<{ items: unknown[] }>('GET', '/v1/webhooks')).body.items).toEqual([]);
  });

  it('Overview: counts by status as the API reports them, throughput chart, failures by route', async () => {
    await nav(page, 'Overview');
    await shown(page.getByRole('heading', { name: 'Overview', exact: true }));
    const succeeded = (await api<Stats>('GET', '/v1/stats')).body.counts.succeeded;
    expect(succeeded).toBe(2);
    await textOf(page.getByRole('region', { name: 'Jobs by status' }), `"succeeded ${succeeded}"`, (t) =>
      t.includes(`succeeded ${succeeded}`),
    );
    const chart = page.getByRole('region', { name: 'Throughput, last hour' }).locator('canvas[aria-label], svg[aria-label], [role="img"]');
    await shown(chart.first());
    await shown(page.getByRole('region', { name: 'Failures by route' }));
    await screenshot(page, 'overview');
  });

  it('phone width (375 px): the jobs page needs no sideways scrolling', async () => {
    const phone = await browser.newContext({ viewport: PHONE, isMobile: true, hasTouch: true });
    try {
      const small = await phone.newPage();
      watch(small);
      await small.goto(consoleUrl);
      await signIn(small, tenant.apiKey); // sessionStorage is per tab: a new tab signs in again
      await shown(small.getByRole('heading', { name: 'Overview', exact: true }));
      await nav(small, 'Jobs');
      await shown(small.getByRole('heading', { name: 'Jobs', exact: true }));
      await shown(jobRow(small, failedJobId));
      const width = await small.evaluate<number>('document.documentElement.scrollWidth');
      expect(width).toBeLessThanOrEqual(PHONE.width);
      await screenshot(small, 'jobs-phone');
    } finally {
      await phone.close();
    }
  });

  it('a key revoked while signed in signs the tab out to the sign-in screen with the alert, and forgets the key', async () => {
    await nav(page, 'Jobs'); // Live updates ask the API every 2 s
    const client = dynamo();
    try {
      const store = new DynamoTenantStore(DynamoDBDocumentClient.from(client), pipeline.tableNames.tenants);
      const [key] = await store.listApiKeys(tenant.tenantId);
      await revokeApiKey({ keys: store, clock: systemClock }, key!.keyId, { apply: true });
    } finally {
      client.destroy();
    }
    await shown(page.getByRole('heading', { name: 'Sign in to pinrelay' }), 20_000);
    await textOf(page.getByRole('alert'), 'the refusal alert', (t) => t.includes('The API key was refused'));
    expect(await page.evaluate(() => JSON.stringify(sessionStorage))).not.toContain(tenant.apiKey);
  });

  it('the page ran under its CSP without a violation, and the API answered no 5xx', () => {
    expect(cspViolations).toEqual([]);
    expect(serverErrors).toEqual([]);
  });
});
