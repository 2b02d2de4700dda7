// Copyright 2026 the iox authors. MIT license.
// The task module of examples/parallel_hash.ts: plain exported functions,
// run in ThreadPool workers.

/**
 * Hashes `megabytes` of pseudo-random data made from `seed` with 32-bit
 * FNV-1a: deliberately plain, synchronous, CPU-bound JavaScript, the kind of
 * work that would freeze an event loop.
 */
export function digest(seed: number, megabytes: number): string {
  const chunk = new Uint8Array(1 << 16);
  let state = seed >>> 0 || 1;
  let hash = 0x811c9dc5;
  for (let done = 0; done < megabytes * 16; done++) {
    for (let i = 0; i < chunk.length; i++) {
      state ^= state << 13;
      state ^= state >>> 17;
      state ^= state << 5;
      chunk[i] = state & 0xff;
    }
    for (let i = 0; i < chunk.length; i++) {
      hash = Math.imul(hash ^ chunk[i]!, 0x01000193);
    }
  }
  return (hash >>> 0).toString(16).padStart(8, "0");
}
