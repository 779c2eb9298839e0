/** Shared by the stand-ins' test files: SDK client settings for a local endpoint, and names no other test uses. */

export const clientConfig = (endpoint: string) => ({
  endpoint,
  region: 'us-east-1',
  credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  maxAttempts: 1,
});

let counter = 0;
export const unique = (prefix: string): string => `${prefix}-${Date.now().toString(36)}-${counter++}`;
