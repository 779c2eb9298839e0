/**
 * `client_id` of the Pinterest app credentials secret until the operator stores the real credentials
 * (docs/deploy.md). Plain data only: the CDK construct writes it into the secret's template, and the worker
 * recognises it to fail refreshes with "app credentials missing" instead of blaming the account.
 */
export const PINTEREST_APP_PLACEHOLDER_CLIENT_ID = 'not-configured';
