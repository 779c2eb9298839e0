/** The yardstick of bench/cold-start.ts: a handler that imports nothing, bundled and loaded like a real function. */
export const handler = async (): Promise<Record<string, never>> => ({});
