import { describe, expect, it } from 'vitest';
import { indexNamed, JOBS_TABLE, TENANTS_TABLE, type IndexName } from '../../../definitions/tables.ts';
import { toItem } from '../../../lambdas/adapters/dynamo-job-item.ts';
import { decodeCursor, encodeCursor, indexFor } from '../../../lambdas/adapters/dynamo-job-queries.ts';
import { InvalidCursor } from '../../../lambdas/domain/errors.ts';
import { jobRecord, TENANT } from '../builders.ts';

describe('the jobs table indexes, by name', () => {
  it('finds an index by its name wherever it sits in the definition, and throws for a name the table does not declare', () => {
    const reordered = { ...JOBS_TABLE, globalSecondaryIndexes: [...JOBS_TABLE.globalSecondaryIndexes].reverse() };
    expect(indexNamed(reordered, 'by_status')).toEqual({ indexName: 'by_status', partitionKey: 'status_pk', sortKey: 'list_sk' });
    expect(() => indexNamed(JOBS_TABLE, 'by_colour' as IndexName<typeof JOBS_TABLE>)).toThrow('JobsTable has no index by_colour');
    expect(() => indexNamed(TENANTS_TABLE, 'by_status' as never)).toThrow('TenantsTable has no index by_status');
  });

  it.each([
    [{}, 'by_tenant', 'tenant_pk'],
    [{ status: 'failed' as const }, 'by_status', 'status_pk'],
    [{ accountId: 'acme-main' }, 'by_account', 'account_pk'],
    [{ status: 'failed' as const, accountId: 'acme-main' }, 'by_account_status', 'account_status_pk'],
  ])('a listing filtered by %j reads %s, in the partition the stored item carries', (filter, indexName, attribute) => {
    const record = jobRecord({ status: 'failed' });
    const index = indexFor(TENANT, filter);

    expect(index).toMatchObject({ indexName, partitionAttribute: attribute, sortAttribute: 'list_sk' });
    expect(JOBS_TABLE.globalSecondaryIndexes.find((i) => i.indexName === indexName)?.partitionKey).toBe(attribute);
    // The job is found under the value the query asks for: toItem and indexFor build the same partition.
    expect(toItem(record, 30)[attribute]).toBe(index.partitionValue);
  });

  it('a cursor comes back as the key it was made from, and only for the listing that made it', () => {
    const item = toItem(jobRecord(), 30);
    const key = { pk: item.pk, tenant_pk: item.tenant_pk, list_sk: item.list_sk };
    const cursor = encodeCursor(key);

    expect(decodeCursor(cursor, TENANT, indexFor(TENANT, {}))).toEqual(key);
    expect(() => decodeCursor(cursor, TENANT, indexFor(TENANT, { status: 'queued' }))).toThrow(InvalidCursor);
  });

  // Found by the API fuzzer (test/integration/fuzz): a forged sort key reached DynamoDB, which refused it with a 500.
  it.each([
    ['an empty sort key', { list_sk: '' }],
    ['a sort key DynamoDB would refuse as too long', { list_sk: `${'9'.repeat(1100)}#job_00000000000000000000000000` }],
    ['a sort key with an unpaired surrogate', { list_sk: '2026-11-30T03:05:28.593Z\ud800#job_00000000000000000000000000' }],
    ['a sort key that is not created_at#job_id', { list_sk: 'anything' }],
    ['the table key of another job than the sort key names', { pk: `JOB#${TENANT}#job_00000000000000000000000000` }],
    ['the table key of another tenant', { pk: 'JOB#ten_other#' }],
  ])('a forged cursor is InvalidCursor, never a query: %s', (_what, forged) => {
    const item = toItem(jobRecord(), 30);
    const key = { pk: item.pk, tenant_pk: item.tenant_pk, list_sk: item.list_sk, ...forged };
    if (key.pk === 'JOB#ten_other#') key.pk = `JOB#ten_other#${String(item.list_sk).split('#')[1]}`;

    expect(() => decodeCursor(encodeCursor(key), TENANT, indexFor(TENANT, {}))).toThrow(InvalidCursor);
  });
});
