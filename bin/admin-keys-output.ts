import type { ApiKeysReport, RevokeKeyReport, UsageKeysReport } from '../lambdas/use-cases/tenants.ts';

/**
 * What the tenant and key commands (bin/admin-keys.ts) print for a person (`--json` prints the reports
 * themselves). Pure: reports in, text out. Never a key or its hash: the reports hold neither.
 */

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;
const ADMIN = 'npm run admin --';

export function formatApiKeys(report: ApiKeysReport): string {
  const active = report.keys.filter((k) => k.status === 'active').length;
  const lines = [`Tenant ${report.tenant_id} (${report.name}): ${plural(report.keys.length, 'API key')}, ${active} active, oldest first`];
  for (const key of report.keys) {
    const revoked = key.revoked_at ? ` · revoked ${key.revoked_at}` : '';
    lines.push(`  ${key.key_id}  ${key.status.padEnd(7)}  created ${key.created_at}${revoked}`);
  }
  lines.push("  (last use is not stored; in AWS each request's keyId is in the API access log)");
  if (active === 0) lines.push(`No active key: the tenant cannot call the API. ${ADMIN} create-key ${report.tenant_id} makes one.`);
  return lines.join('\n');
}

/** How long a revoked key may still be accepted where API Gateway cached an earlier answer. */
const CACHE_NOTE =
  'API Gateway may still accept it for up to authorizerCacheSeconds (60 s by default; AUTHORIZER_CACHE_SECONDS in local mode) ' +
  'where it cached an earlier answer for it.';

export function formatRevoke(report: RevokeKeyReport): string {
  const { key } = report;
  const left =
    report.active_keys_left === 0
      ? `The tenant has no other active key: it cannot call the API until ${ADMIN} create-key ${key.tenant_id}.`
      : `The tenant keeps ${plural(report.active_keys_left, 'other active key')}.`;
  switch (report.outcome) {
    case 'would_revoke':
      return [
        `Would revoke ${key.key_id} of tenant ${key.tenant_id} (created ${key.created_at}). Dry run: nothing changed; add --apply.`,
        left,
      ].join('\n');
    case 'revoked':
      return [
        `Revoked ${key.key_id} of tenant ${key.tenant_id} at ${key.revoked_at}: the authorizer refuses it from now on.`,
        CACHE_NOTE,
        left,
      ].join('\n');
    case 'already_revoked':
      return `${key.key_id} of tenant ${key.tenant_id} was already revoked at ${key.revoked_at}; nothing changed.`;
  }
}

export function formatUsageKeys(report: UsageKeysReport): string {
  if (report.missing.length === 0) return `Every tenant (${report.tenants}) has a usage-plan key.`;
  const lines = [
    report.dry_run
      ? `${plural(report.missing.length, 'tenant')} of ${report.tenants} without a usage-plan key (API Gateway refuses their requests). Dry run: add --apply.`
      : `Attached a usage-plan key to ${report.attached.length} of ${plural(report.missing.length, 'tenant')} without one:`,
  ];
  for (const tenantId of report.missing) {
    const attached = report.attached.find((a) => a.tenant_id === tenantId);
    lines.push(`  ${tenantId}${attached ? `  → ${attached.usage_key_id}` : report.dry_run ? '' : '  (had one meanwhile)'}`);
  }
  return lines.join('\n');
}
