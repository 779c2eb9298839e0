import { describe, expect, it } from 'vitest';
import { attemptInputOf } from '../../../../lambdas/adapters/pinterest/attempt-input.ts';
import { PinterestTransportError } from '../../../../lambdas/adapters/pinterest/errors.ts';
import { sendPhaseOf } from '../../../../lambdas/adapters/pinterest/send-phase.ts';
import { ACCESS, caught, client, CREATED, everything, fetchFailed, json, netError, PIN, type Call } from './harness.ts';

describe('PinterestTransportError: before_send vs after_send', () => {
  const before = 'before_send';
  const after = 'after_send';

  const rows: readonly (readonly [string, unknown, 'before_send' | 'after_send'])[] = [
    // provably never left
    ['ECONNREFUSED', fetchFailed(netError('ECONNREFUSED', { syscall: 'connect', errno: -111 })), before],
    ['DNS ENOTFOUND', fetchFailed(netError('ENOTFOUND', { syscall: 'getaddrinfo' })), before],
    ['DNS EAI_AGAIN', fetchFailed(netError('EAI_AGAIN', { syscall: 'getaddrinfo' })), before],
    ['EHOSTUNREACH', fetchFailed(netError('EHOSTUNREACH', { syscall: 'connect' })), before],
    ['ENETUNREACH', fetchFailed(netError('ENETUNREACH', { syscall: 'connect' })), before],
    ['ETIMEDOUT while connecting', fetchFailed(netError('ETIMEDOUT', { syscall: 'connect' })), before],
    ['undici connect timeout', fetchFailed(Object.assign(netError('UND_ERR_CONNECT_TIMEOUT'), { name: 'ConnectTimeoutError' })), before],
    ['TLS: self-signed certificate', fetchFailed(netError('DEPTH_ZERO_SELF_SIGNED_CERT')), before],
    ['TLS: expired certificate', fetchFailed(netError('CERT_HAS_EXPIRED')), before],
    ['TLS: host name mismatch', fetchFailed(netError('ERR_TLS_CERT_ALTNAME_INVALID')), before],
    ['TLS: wrong version number', fetchFailed(netError('ERR_SSL_WRONG_VERSION_NUMBER')), before],
    ['invalid URL inside fetch', new TypeError('Failed to parse URL from x', { cause: netError('ERR_INVALID_URL') }), before],
    [
      'happy eyeballs: every address refused',
      fetchFailed(new AggregateError([netError('ECONNREFUSED', { syscall: 'connect' }), netError('ECONNREFUSED', { syscall: 'connect' })])),
      before,
    ],
    ['a bare network error with a before-send code', netError('ECONNREFUSED', { syscall: 'connect' }), before],
    // may have reached Pinterest
    ['our timeout (TimeoutError)', new DOMException('The operation was aborted due to timeout', 'TimeoutError'), after],
    ['an abort (AbortError)', new DOMException('This operation was aborted', 'AbortError'), after],
    ['other side closed (UND_ERR_SOCKET)', fetchFailed(Object.assign(netError('UND_ERR_SOCKET'), { name: 'SocketError' })), after],
    ['ECONNRESET on read', fetchFailed(netError('ECONNRESET', { syscall: 'read' })), after],
    [
      'ECONNRESET during the TLS handshake (not provable)',
      fetchFailed(netError('ECONNRESET', {}, 'Client network socket disconnected before secure TLS connection was established')),
      after,
    ],
    ['EPIPE on write', fetchFailed(netError('EPIPE', { syscall: 'write' })), after],
    ['headers timeout', fetchFailed(netError('UND_ERR_HEADERS_TIMEOUT')), after],
    ['body timeout', fetchFailed(netError('UND_ERR_BODY_TIMEOUT')), after],
    ['ETIMEDOUT on an open socket', fetchFailed(netError('ETIMEDOUT', { syscall: 'read' })), after],
    [
      'happy eyeballs: one attempt unclear',
      fetchFailed(new AggregateError([netError('ECONNREFUSED', { syscall: 'connect' }), netError('ECONNRESET')])),
      after,
    ],
    ['an empty AggregateError', fetchFailed(new AggregateError([])), after],
    ['fetch failed without a cause', new TypeError('fetch failed'), after],
    ['a plain Error', new Error('boom'), after],
    ['a numeric code', Object.assign(new Error('x'), { code: 23 }), after],
    ['a thrown string', 'boom', after],
  ];

  it.each([
    ...rows.filter(([, , phase]) => phase === before).map(([what, thrown, phase]) => [`before_send: ${what}`, thrown, phase] as const),
    ...rows.filter(([, , phase]) => phase === after).map(([what, thrown, phase]) => [`after_send: ${what}`, thrown, phase] as const),
  ])('%s', async (_what, thrown, phase) => {
    // Prepare
    const { api } = client(() => {
      throw thrown;
    });

    // Act
    const error = await caught(api.createPin(ACCESS, PIN));

    // Assess
    expect(sendPhaseOf(thrown)).toBe(phase);
    expect(error).toBeInstanceOf(PinterestTransportError);
    expect(error).toMatchObject({ name: 'PinterestTransportError', operation: 'create_pin', phase });
    expect((error as PinterestTransportError).cause).toBe(thrown);
    expect(attemptInputOf(error)).toEqual({ kind: 'transport', phase });
  });

  it('times out through the signal it passes to fetch', async () => {
    // Prepare: a fetch that never answers but honours its signal, as undici does
    const hang = (call: Call) =>
      new Promise<Response>((_resolve, reject) => {
        call.init.signal?.addEventListener('abort', () => reject(call.init.signal?.reason));
      });
    const { api } = client(hang, { timeoutMs: 20 });

    // Act
    const error = await caught(api.createPin(ACCESS, PIN));

    // Assess
    expect(error).toMatchObject({ name: 'PinterestTransportError', phase: 'after_send' });
    expect((error as PinterestTransportError).cause).toMatchObject({ name: 'TimeoutError' });
  });

  it.each([
    ['a timeout', new DOMException('The operation was aborted due to timeout', 'TimeoutError')],
    ['a dropped connection', new TypeError('terminated', { cause: netError('UND_ERR_SOCKET') })],
  ])('a 2xx whose body breaks off (%s) is after_send: the pin may exist', async (_what, failure) => {
    // Prepare
    const broken = new ReadableStream({ start: (controller) => controller.error(failure) });
    const { api } = client(() => new Response(broken, { status: 201 }));

    // Act
    const error = await caught(api.createPin(ACCESS, PIN));

    // Assess
    expect(error).toMatchObject({ name: 'PinterestTransportError', phase: 'after_send' });
  });

  it('an invalid base URL is before_send and never reaches fetch', async () => {
    const { api, calls } = client(() => json(201, CREATED), { baseUrl: 'api.pinterest.com' });
    const error = await caught(api.createPin(ACCESS, PIN));
    expect(error).toMatchObject({ name: 'PinterestTransportError', phase: 'before_send' });
    expect(calls).toHaveLength(0);
  });

  it('a token that cannot be a header value is before_send, and the error does not quote it', async () => {
    // Prepare
    const token = 'pina_line\nbreak_secret';
    const { api, calls } = client(() => json(201, CREATED));

    // Act
    const error = await caught(api.createPin(token, PIN));

    // Assess
    expect(error).toMatchObject({ name: 'PinterestTransportError', phase: 'before_send' });
    expect(calls).toHaveLength(0);
    expect(everything(error)).not.toContain('break_secret');
  });
});
