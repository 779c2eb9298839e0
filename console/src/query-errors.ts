import { ApiError } from './api/client.ts';

/**
 * A 400 from GET /v1/jobs names the query parameter it refused (`account_id`, `status`, `cursor`): the Jobs
 * page shows it next to the filter it came from.
 */
export function fieldErrorsFromQuery(error: unknown): Partial<Record<string, string[]>> {
  if (!(error instanceof ApiError) || error.status !== 400) return {};
  const errors: Partial<Record<string, string[]>> = {};
  for (const detail of error.details) {
    const name = detail.path.replace(/^query\./, '');
    errors[name] = [...(errors[name] ?? []), detail.message];
  }
  return errors;
}
