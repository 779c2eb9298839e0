/** Small helpers shared by the sandbox's modules: optional properties and argument checks for its test/CLI API. */

export function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}

export function assertPositiveInteger(value: unknown, name: string): void {
  if (!Number.isInteger(value) || (value as number) < 1) throw new TypeError(`${name} must be a positive integer.`);
}
