import { describe, expect, it } from 'vitest';
import { ApiError, apiBaseUrl, apiErrorFrom, createApi } from '../../../console/src/api/client.ts';

/**
 * Invariants of the console's API client: every request carries the session's key as a Bearer header and
 * nowhere else (not in the URL); any 401/403 is reported as a refused key (the console signs out); other
 * failures become an ApiError carrying the API's envelope, or a plain one when there is no envelope or no answer.
 */

const BASE = 'http://127.0.0.1:3000';
const json = (status: number, body: unknown) =>
  new Response(body === undefined ? null : JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });

function recordingApi(answer: (request: Request) => Response | Promise<Response>, key: string | null = 'prk_test') {
  const requests: Request[] = [];
  const refused: ApiError[] = [];
  const api = createApi({
    baseUrl: BASE,
    key: () => key,
    onRefusedKey: (e) => refused.push(e),
    fetch: async (request) => {
      requests.push(request);
      return answer(request);
    },
  });
  return { api, requests, refused };
}

describe('createApi', () => {
  it('sends the key as a Bearer header, never in the URL, and builds the query from the typed parameters', async () => {
    const { api, requests } = recordingApi(() => json(200, { items: [], next_cursor: null }));

    const list = await api.call(api.client.GET('/v1/jobs', { params: { query: { status: 'failed', account_id: 'demo', limit: 25 } } }));

    expect(list).toEqual({ items: [], next_cursor: null });
    expect(requests).toHaveLength(1);
    expect(requests[0]!.headers.get('authorization')).toBe('Bearer prk_test');
    expect(requests[0]!.url).toBe(`${BASE}/v1/jobs?status=failed&account_id=demo&limit=25`);
    expect(requests[0]!.url).not.toContain('prk_test');
  });

  it('sends no Authorization header without a key', async () => {
    const { api, requests } = recordingApi(() => json(200, {}), null);
    await api.call(api.client.GET('/v1/stats'));

    expect(requests[0]!.headers.has('authorization')).toBe(false);
  });

  it('puts path parameters in the path, encoded', async () => {
    const { api, requests } = recordingApi(() => json(202, { id: 'job_x' }));
    await api.call(
      api.client.POST('/v1/jobs/{job_id}/requeue', { params: { path: { job_id: 'job_a/b' } }, body: { pin: { board_id: '1' } } }),
    );

    expect(requests[0]!.url).toBe(`${BASE}/v1/jobs/job_a%2Fb/requeue`);
    expect(requests[0]!.method).toBe('POST');
    expect(await requests[0]!.json()).toEqual({ pin: { board_id: '1' } });
  });

  it.each([401, 403])('reports %i as a refused key, then throws it', async (status) => {
    const { api, refused } = recordingApi(() => json(status, { error: { code: 'unauthorized', message: 'Unauthorized' } }));

    const error = await api.call(api.client.GET('/v1/stats')).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).refusedKey).toBe(true);
    expect(refused).toEqual([error]);
  });

  it('throws the 400 envelope with its field details, and does not sign out', async () => {
    const envelope = {
      error: { code: 'validation_error', message: 'invalid body', details: [{ path: 'pin.board_id', message: 'digits' }] },
    };
    const { api, refused } = recordingApi(() => json(400, envelope));

    const error = (await api
      .call(api.client.POST('/v1/webhooks', { body: { url: 'x', events: ['job.failed'] } }))
      .catch((e) => e)) as ApiError;

    expect([error.status, error.code, error.message, error.details]).toEqual([
      400,
      'validation_error',
      'invalid body',
      envelope.error.details,
    ]);
    expect(error.refusedKey).toBe(false);
    expect(refused).toEqual([]);
  });

  it('turns a failed fetch into an ApiError with status 0', async () => {
    const { api } = recordingApi(() => Promise.reject(new TypeError('Failed to fetch')));

    const error = (await api.call(api.client.GET('/v1/stats')).catch((e) => e)) as ApiError;

    expect([error.status, error.code]).toEqual([0, 'network']);
    expect(error.message).toContain('Failed to fetch');
  });

  it('answers a 204 without a body', async () => {
    const { api } = recordingApi(() => new Response(null, { status: 204 }));

    await expect(
      api.call(api.client.DELETE('/v1/webhooks/{webhook_id}', { params: { path: { webhook_id: 'whk_1' } } })),
    ).resolves.toBeUndefined();
  });
});

describe('apiErrorFrom', () => {
  it('keeps only well-formed details', () => {
    const error = apiErrorFrom(400, {
      error: { code: 'validation_error', message: 'm', details: [{ path: 'a', message: 'b' }, { path: 1 }, 'x'] },
    });

    expect(error.details).toEqual([{ path: 'a', message: 'b' }]);
  });

  it.each([
    [502, '<html>Bad Gateway</html>'],
    [500, { message: 'Internal server error' }],
    [404, null],
  ])('describes a %i without an envelope plainly', (status, body) => {
    const error = apiErrorFrom(status, body);

    expect([error.status, error.code, error.message]).toEqual([status, `http_${status}`, `The API answered HTTP ${status}.`]);
  });
});

describe('apiBaseUrl', () => {
  it.each([
    ['http://127.0.0.1:3000/console/', 'http://127.0.0.1:3000'],
    ['http://127.0.0.1:3000/console/#/jobs/job_1', 'http://127.0.0.1:3000'],
    ['https://d111.cloudfront.net/console/index.html#/', 'https://d111.cloudfront.net'],
    ['https://abc.execute-api.eu-west-1.amazonaws.com/prod/console/#/webhooks', 'https://abc.execute-api.eu-west-1.amazonaws.com/prod'],
    ['http://127.0.0.1:5173/#/', 'http://127.0.0.1:5173'],
  ])('finds the API for a page at %s', (href, base) => {
    expect(apiBaseUrl(href)).toBe(base);
  });
});
