import { describe, expect, it } from 'vitest';
import { committedSchemaTypes, generateSchemaTypes } from '../../../console/tools/schema-types.ts';

/**
 * Invariant: the console's API types (console/src/api/schema.d.ts, committed) are exactly what
 * openapi-typescript makes of the OpenAPI document the API serves today, which is generated from the zod
 * schemas. A schema change without `npm run console:types` fails here, and `npm run typecheck` then shows
 * every page the change breaks: the page and the API cannot drift apart.
 */
describe('console API types', () => {
  it('match the OpenAPI document (run `npm run console:types` after changing an API schema)', async () => {
    const [generated, committed] = await Promise.all([generateSchemaTypes(), committedSchemaTypes()]);

    expect(committed === generated, 'console/src/api/schema.d.ts is stale: run npm run console:types').toBe(true);
  }, 60_000);

  it('describe the routes and fields the console reads', async () => {
    const committed = await committedSchemaTypes();

    for (const fragment of [
      '"/v1/stats"',
      '"/v1/jobs/{job_id}/requeue"',
      '"/v1/webhooks/{webhook_id}/rotate-secret"',
      'status_history',
      'remediation',
    ]) {
      expect(committed).toContain(fragment);
    }
  });
});
