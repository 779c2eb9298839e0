/**
 * Whether a failed request provably never left this process (`before_send`: safe to send again) or may
 * have reached Pinterest (`after_send`: the outcome is unknown).
 */
export type SendPhase = 'before_send' | 'after_send';

/**
 * Error codes that prove the request never left this process: name resolution, connection setup, TLS
 * handshake and request construction. Everything else, in particular a timeout of our own signal,
 * ECONNRESET, EPIPE and undici's UND_ERR_SOCKET ("other side closed"), is `after_send`: undici may have
 * written the request already (it does so as soon as the socket connects), and a false "before_send"
 * can duplicate a pin where a false "after_send" only costs a board listing.
 */
export const BEFORE_SEND_CODES: ReadonlySet<string> = new Set([
  // DNS
  'ENOTFOUND',
  'EAI_AGAIN',
  'EAI_FAIL',
  'EAI_NONAME',
  'EAI_NODATA',
  // TCP connect
  'ECONNREFUSED',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EHOSTDOWN',
  'ENETDOWN',
  'EADDRNOTAVAIL',
  'UND_ERR_CONNECT_TIMEOUT',
  // TLS handshake (certificate verification and protocol negotiation)
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_REVOKED',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'ERR_SSL_WRONG_VERSION_NUMBER',
  'ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION',
  'ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE',
  'ERR_SSL_TLSV1_ALERT_UNKNOWN_CA',
  'ERR_SSL_UNSUPPORTED_PROTOCOL',
  // request construction
  'ERR_INVALID_URL',
  'UND_ERR_INVALID_ARG',
  'ERR_INVALID_ARG_TYPE',
  'ERR_INVALID_ARG_VALUE',
]);

/** Node's net/dns errors name the system call; these two happen before anything is written. */
const BEFORE_SEND_SYSCALLS: ReadonlySet<string> = new Set(['connect', 'getaddrinfo']);

/**
 * Where a rejected fetch failed. fetch wraps network failures as `TypeError('fetch failed', { cause })`;
 * the first error in the cause chain that carries a code decides. An AggregateError (happy-eyeballs
 * connection attempts) is before_send only if every attempt is.
 */
export function sendPhaseOf(error: unknown): SendPhase {
  let current: unknown = error;
  for (let depth = 0; depth < 8 && current !== null && typeof current === 'object'; depth++) {
    const e = current as { name?: unknown; code?: unknown; syscall?: unknown; cause?: unknown };
    if (e.name === 'TimeoutError' || e.name === 'AbortError') return 'after_send';
    if (current instanceof AggregateError && current.errors.length > 0) {
      return current.errors.every((inner) => sendPhaseOf(inner) === 'before_send') ? 'before_send' : 'after_send';
    }
    if (typeof e.code === 'string') {
      if (BEFORE_SEND_CODES.has(e.code)) return 'before_send';
      return typeof e.syscall === 'string' && BEFORE_SEND_SYSCALLS.has(e.syscall) ? 'before_send' : 'after_send';
    }
    current = e.cause;
  }
  return 'after_send';
}
