/**
 * mulberry32: a small, fast PRNG whose whole sequence follows from one 32-bit seed. Every seeded thing in
 * the repository draws from it — the Pinterest sandbox's fault rates, the fault injection on the SDK
 * clients, the chaos run's plan, the benchmark's workload, property tests' schedules — so "seed S" means
 * the same draws everywhere. Returns uniform numbers in [0, 1). Not for anything secret.
 */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
