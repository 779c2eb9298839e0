/**
 * /_sandbox/…: the test/CLI API over HTTP, for curl and for tests in another process. Not Pinterest:
 * errors are 400 `{"code": 1, "message"}` about the input, and requests are not logged.
 */
import type { FaultBook } from './faults.ts';
import type { Reply } from './http.ts';
import type { Fault, FaultMatch, NewUser, PinterestSandbox, UserLimits } from './types.ts';
import { optional } from './values.ts';

export function controlReply(
  sandbox: PinterestSandbox,
  faults: FaultBook,
  method: string,
  path: string,
  query: URLSearchParams,
  raw: string,
): Reply {
  try {
    return controlRoute(sandbox, faults, method, path, query, raw);
  } catch (error) {
    // Everything the control plane throws is about its input (bad JSON, unknown user, bad fault).
    if (error instanceof Error) return { status: 400, body: { code: 1, message: error.message } };
    throw error;
  }
}

function controlRoute(
  sandbox: PinterestSandbox,
  faults: FaultBook,
  method: string,
  path: string,
  query: URLSearchParams,
  raw: string,
): Reply {
  const route = `${method} ${path}`;
  switch (route) {
    case 'GET /_sandbox/pins': {
      const pins = sandbox.pins({
        ...optional('boardId', query.get('board_id') ?? undefined),
        ...optional('user', query.get('user') ?? undefined),
      });
      const counts: Record<string, number> = {};
      for (const pin of pins) counts[pin.board_id] = (counts[pin.board_id] ?? 0) + 1;
      return { status: 200, body: { total: pins.length, counts, pins } };
    }
    case 'GET /_sandbox/requests':
      return { status: 200, body: { requests: sandbox.requests() } };
    case 'GET /_sandbox/faults':
      return { status: 200, body: { faults: faults.describe() } };
    case 'POST /_sandbox/faults': {
      const body = jsonObject(raw);
      const match = body.match === undefined ? undefined : (jsonObjectValue(body.match, 'match') as FaultMatch);
      if (match?.path !== undefined && typeof match.path !== 'string')
        throw new TypeError('match.path must be a string (a regular expression).');
      if (body.probability !== undefined) {
        if (body.times !== undefined || body.nth !== undefined) throw new TypeError('give either times/nth or probability, not both.');
        sandbox.injectRate(body.fault as Fault, body.probability as number, {
          ...optional('seed', body.seed as number | undefined),
          ...optional('match', match),
        });
      } else {
        sandbox.inject(body.fault as Fault, {
          ...optional('times', body.times as number | undefined),
          ...optional('nth', body.nth as number | undefined),
          ...optional('match', match),
        });
      }
      return { status: 201, body: { ok: true, active_faults: faults.size } };
    }
    case 'DELETE /_sandbox/faults': {
      const cleared = faults.size;
      sandbox.clearFaults();
      return { status: 200, body: { ok: true, cleared } };
    }
    case 'POST /_sandbox/users': {
      const body = jsonObject(raw) as unknown as NewUser;
      if (body.boards !== undefined && !Array.isArray(body.boards)) throw new TypeError('boards must be an array of board ids.');
      const tokens = sandbox.addUser(body);
      return { status: 201, body: { username: body.username, ...tokens } };
    }
    case 'POST /_sandbox/limits': {
      const body = jsonObject(raw);
      const { username, ...limits } = body;
      const known = new Set(['ratePerMinute', 'readRatePerMinute', 'rateLimitRetryAfter']);
      for (const name of Object.keys(limits)) if (!known.has(name)) throw new TypeError(`unknown limit ${name}.`);
      sandbox.setLimits(username as string, limits as UserLimits);
      return { status: 200, body: { ok: true } };
    }
    case 'POST /_sandbox/boards': {
      const body = jsonObject(raw);
      if (body.sections !== undefined && !Array.isArray(body.sections)) throw new TypeError('sections must be an array of section ids.');
      sandbox.addBoard(body.username as string, body.boardId as string, body.sections as string[] | undefined);
      return { status: 201, body: { ok: true } };
    }
    case 'POST /_sandbox/tokens/expire':
      sandbox.expireAccessToken(jsonObject(raw).accessToken as string);
      return { status: 200, body: { ok: true } };
    case 'POST /_sandbox/tokens/revoke':
      sandbox.revokeRefreshToken(jsonObject(raw).refreshToken as string);
      return { status: 200, body: { ok: true } };
    case 'POST /_sandbox/reset':
      sandbox.reset();
      return { status: 200, body: { ok: true } };
    default:
      return { status: 404, body: { code: 404, message: `No sandbox endpoint ${route}.` } };
  }
}

function jsonObject(raw: string): Record<string, unknown> {
  const parsed: unknown = raw.trim() === '' ? {} : JSON.parse(raw);
  return jsonObjectValue(parsed, 'the request body');
}

function jsonObjectValue(value: unknown, name: string): Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new TypeError(`${name} must be a JSON object.`);
  return value as Record<string, unknown>;
}
